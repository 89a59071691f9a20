import { InputError } from '../lib/errors';
import { estoi, stoi } from '../lib/metrics';
import { RealFft } from '../lib/metrics/fft';
import { resampleFilter, resampleOct } from '../lib/metrics/resample';
import { estoiSegmentScores, STOI_TOO_SHORT, stoiBandSpectrograms, stoiSegmentScores } from '../lib/metrics/stoi';
import { frameCount, HANN, keptFrames, overlapAddFrames, STOI } from '../lib/metrics/stoi-frames';
import { thirdOctaveBands } from '../lib/metrics/third-octave';
import { cleanSignal, degradedSignal, noiseSignal } from './fixtures/stoi/signals';
import { readDegradedF32, readF32, sha256, type VectorCase, vectors } from './fixtures/stoi/vectors';

/** A faithful float64 port is within 1e-12 of pystoi at 10 kHz, 1e-11 after resampling. */
const tolerance = (rate: number) => (rate === 10000 ? 1e-12 : 1e-11);

const cleans = new Map<string, Float64Array>();
function clean(c: { signal: string; fs: number }): Float64Array {
  const key = `${c.signal}_fs${c.fs}`;
  if (!cleans.has(key)) cleans.set(key, cleanSignal(c.signal, c.fs));
  return cleans.get(key)!;
}
const degraded = (c: VectorCase) => degradedSignal(c, clean(c));
const byName = (name: string) => vectors.cases.find((c) => c.name === name)!;
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
const maxRelDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] / b[i] - 1));
  return m;
};
const sumSquares = (x: Float64Array) => x.reduce((s, v) => s + v * v, 0);

describe('the generator of the reference signals', () => {
  test.each(Object.entries(vectors.cleans))('clean %s is bit-exact', (_, c) => {
    const x = clean(c);
    expect(x.length).toBe(c.n_samples);
    expect(Array.from(x.subarray(5000, 5005))).toEqual(c.samples_at_5000_to_5004);
    expect(sha256(x)).toBe(c.sha256_f64le);
    expect(sha256(Float32Array.from(x))).toBe(c.sha256_f32le);
  });

  test.each(vectors.cases.map((c) => [c.name, c] as const))('degraded %s is bit-exact', (_, c) => {
    const y = degraded(c);
    expect(sha256(y)).toBe(c.sha256_degraded_f64le);
    expect(sha256(Float32Array.from(y))).toBe(c.sha256_degraded_f32le);
  });

  test('the stored float32 files are the float32-rounded signals', () => {
    for (const c of vectors.cases.filter((c) => c.clean_file)) {
      expect(sha256(readF32(c.clean_file!))).toBe(vectors.cleans[c.clean_key].sha256_f32le);
      const y = readDegradedF32(c);
      if (y) expect(sha256(y)).toBe(c.sha256_degraded_f32le);
    }
  });
});

describe('STOI and ESTOI match pystoi 0.4.1', () => {
  test.each(vectors.cases.map((c) => [c.name, c] as const))('%s (float64 signals)', (_, c) => {
    const x = clean(c);
    const y = degraded(c);
    expect(Math.abs(stoi(x, y, c.fs) - c.stoi)).toBeLessThanOrEqual(tolerance(c.fs));
    expect(Math.abs(estoi(x, y, c.fs) - c.estoi)).toBeLessThanOrEqual(tolerance(c.fs));
  });

  const stored = vectors.cases.filter((c) => c.clean_file && readDegradedF32(c));
  test.each(stored.map((c) => [c.name, c] as const))('%s (stored float32 files)', (_, c) => {
    const x = readF32(c.clean_file!);
    const y = readDegradedF32(c)!;
    expect(Math.abs(stoi(x, y, c.fs) - c.stoi_from_f32)).toBeLessThanOrEqual(tolerance(c.fs));
    expect(Math.abs(stoi(x, y, c.fs, { extended: true }) - c.estoi_from_f32)).toBeLessThanOrEqual(tolerance(c.fs));
  });

  test('the float32 files cover every kind of case at 10 kHz and some at 16 kHz', () => {
    expect(stored.filter((c) => c.fs === 10000).length).toBeGreaterThanOrEqual(15);
    expect(stored.filter((c) => c.fs === 16000).length).toBeGreaterThanOrEqual(6);
  });
});

describe('pystoi checkpoints', () => {
  test('constants, window and band edges', () => {
    const { FS, N_FRAME, NFFT, NUMBAND, MINFREQ, N, BETA, DYN_RANGE, EPS } = STOI;
    expect({ FS, N_FRAME, NFFT, NUMBAND, MINFREQ, N, BETA, DYN_RANGE, EPS }).toEqual(vectors.stoi_constants);
    expect(maxAbsDiff(HANN.subarray(0, 3), vectors.hann256_first3)).toBeLessThan(1e-16);
    for (let i = 0; i < 128; i++) expect(HANN[i]).toBe(HANN[255 - i]);
    expect(thirdOctaveBands(10000, 512, 15, 150).map(({ lo, hi }) => [lo, hi])).toEqual(vectors.third_octave_bands);
  });

  test('framing: frames start below length − 256, so an exact fit drops the last frame', () => {
    expect(frameCount(256)).toBe(0);
    expect(frameCount(257)).toBe(1);
    expect(frameCount(384)).toBe(1);
    expect(frameCount(385)).toBe(2);
    expect(frameCount(30000)).toBe(233);
  });

  test.each(Object.entries(vectors.cleans))('kept frames of %s (after resampling to 10 kHz)', (_, c) => {
    let x = clean(c);
    if (c.fs !== 10000) x = resampleOct(x, 10000, c.fs);
    expect(x.length).toBe(30000);
    expect(frameCount(x.length)).toBe(c.frames_total);
    expect(keptFrames(x)).toEqual(c.kept_frame_indices);
    for (const k of vectors.cases.filter((k) => k.clean_key === `${c.signal}_fs${c.fs}`)) {
      expect(k.frames_kept).toBe(c.frames_kept);
      expect(k.stft_frames).toBe(c.frames_kept - 1);
      expect(k.segments).toBe(c.frames_kept - 1 - 29);
    }
  });

  test('the 16 kHz resampler: reduced ratio, filter taps and output', () => {
    const d = vectors.debug.sigA_fs16000_white_snr0;
    const r = d.resampler!;
    const f = resampleFilter(r.p, r.q);
    expect([f.up, f.down, f.half]).toEqual([5, 8, r.L]);
    expect(f.taps.length).toBe(2 * r.L + 1);
    expect(maxAbsDiff(f.taps, r.taps_normalized)).toBeLessThan(1e-15);
    expect(Math.abs(f.taps.reduce((s, v) => s + v, 0) - r.taps_normalized.reduce((s, v) => s + v, 0))).toBeLessThan(1e-15);
    const c = byName('sigA_fs16000_white_snr0');
    const x = resampleOct(clean(c), 10000, 16000);
    const y = resampleOct(degraded(c), 10000, 16000);
    expect(x.length).toBe(d.x_10k_len);
    expect(maxAbsDiff(x.subarray(5000, 5008), d.x_10k_first8_from_sample5000!)).toBeLessThan(1e-15);
    expect(maxAbsDiff(y.subarray(5000, 5008), d.y_10k_first8_from_sample5000!)).toBeLessThan(1e-15);
    expect(Math.abs(sumSquares(x) / d.x_10k_sumsq! - 1)).toBeLessThan(1e-13);
    expect(Math.abs(sumSquares(y) / d.y_10k_sumsq! - 1)).toBeLessThan(1e-13);
  });

  test.each(Object.keys(vectors.debug))('%s: silence removal, spectrum, bands and segment scores', (name) => {
    const d = vectors.debug[name];
    const c = byName(name);
    let x = clean(c);
    let y = degraded(c);
    if (c.fs !== 10000) {
      x = resampleOct(x, 10000, c.fs);
      y = resampleOct(y, 10000, c.fs);
    }
    const kept = keptFrames(x);
    const xs = overlapAddFrames(x, kept);
    const ys = overlapAddFrames(y, kept);
    expect(xs.length).toBe(d.x_sil_len);
    expect(maxAbsDiff(xs.subarray(128, 136), d.x_sil_first8_from_sample128)).toBeLessThan(1e-15);
    expect(Math.abs(sumSquares(xs) / d.x_sil_sumsq - 1)).toBeLessThan(1e-13);
    expect(Math.abs(sumSquares(ys) / d.y_sil_sumsq - 1)).toBeLessThan(1e-13);

    const re = new Float64Array(257);
    const im = new Float64Array(257);
    new RealFft(512).forward(
      HANN.map((w, i) => w * xs[i]),
      re,
      im,
    );
    const power = Array.from({ length: 10 }, (_, k) => re[k] * re[k] + im[k] * im[k]);
    expect(maxRelDiff(power, d.x_spec_frame0_abs2_bins0to9)).toBeLessThan(1e-12);

    const bands = stoiBandSpectrograms(clean(c), degraded(c), c.fs);
    expect(bands.x.frames).toBe(d.stft_frames);
    for (const [m, ref] of [
      [bands.x, d.x_tob_segment0_15x30],
      [bands.y, d.y_tob_segment0_15x30],
    ] as const)
      expect(
        maxRelDiff(
          ref.flatMap((row, b) => Array.from(m.data.subarray(b * m.frames, b * m.frames + row.length))),
          ref.flat(),
        ),
      ).toBeLessThan(1e-12);
    const s = stoiSegmentScores(bands.x, bands.y);
    const e = estoiSegmentScores(bands.x, bands.y);
    expect(s.length).toBe(d.segments);
    expect(maxAbsDiff(s.subarray(0, 5), d.stoi_segment_scores_first5)).toBeLessThan(1e-14);
    expect(maxAbsDiff(e.subarray(0, 5), d.estoi_segment_scores_first5_no_eps_noise)).toBeLessThan(1e-14);
  });
});

describe('properties', () => {
  const x16 = () => clean({ signal: 'sigA', fs: 16000 });

  test.each([10000, 16000, 8000, 22050, 44100])('a signal scores 1 against itself at %i Hz', (rate) => {
    const x = cleanSignal('sigB', rate);
    expect(Math.abs(stoi(x, x, rate) - 1)).toBeLessThan(1e-12);
    expect(Math.abs(estoi(x, x, rate) - 1)).toBeLessThan(1e-12);
  });

  test('both scores fall monotonically as white noise gets louder', () => {
    const x = x16();
    const noise = noiseSignal('sigA', 'white', 16000);
    const px = sumSquares(x);
    const pn = sumSquares(noise);
    const scores = [30, 20, 10, 5, 0, -5, -10].map((snr) => {
      const k = Math.sqrt(px / (pn * 10 ** (snr / 10)));
      const y = x.map((v, i) => v + k * noise[i]);
      return [stoi(x, y, 16000), estoi(x, y, 16000)];
    });
    for (let i = 1; i < scores.length; i++) {
      expect(scores[i][0]).toBeLessThan(scores[i - 1][0]);
      expect(scores[i][1]).toBeLessThan(scores[i - 1][1]);
    }
    expect(scores[0][0]).toBeGreaterThan(0.95);
    expect(scores[scores.length - 1][0]).toBeLessThan(0.7);
  });

  test('float32 input scores the same as its float64 copy, and the inputs are left unchanged', () => {
    const x = Float32Array.from(x16());
    const y = Float32Array.from(degraded(byName('sigA_fs16000_brown_snr0')));
    const before = sha256(y);
    expect(stoi(x, y, 16000)).toBe(stoi(Float64Array.from(x), Float64Array.from(y), 16000));
    expect(sha256(y)).toBe(before);
  });

  test('a silent degraded signal scores 0 (no NaN from a zero norm)', () => {
    const x = x16();
    const silent = new Float64Array(x.length);
    expect(stoi(x, silent, 16000)).toBe(0);
    expect(estoi(x, silent, 16000)).toBe(0);
  });

  test('fewer than 30 frames after silence removal give 1e-5, as in pystoi', () => {
    const x = x16();
    expect(stoi(x.subarray(0, 8000), x.subarray(0, 8000), 16000)).toBe(STOI_TOO_SHORT);
    expect(estoi(x.subarray(0, 100), x.subarray(0, 100), 16000)).toBe(STOI_TOO_SHORT);
    expect(stoi(new Float32Array(1), new Float32Array(1), 10000)).toBe(STOI_TOO_SHORT);
  });

  test('the general rational resampler: reduced ratio, length and a band-limited tone', () => {
    const f = resampleFilter(10000, 44100);
    expect([f.up, f.down]).toEqual([100, 441]);
    expect(f.half).toBe(Math.ceil(52 / ((28.714 * (1 / 882)) / 10)));
    expect(Math.abs(f.taps.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-12);
    for (const [rate, n] of [
      [44100, 44100],
      [8000, 8001],
      [22050, 22051],
    ]) {
      const x = Float64Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * 440 * i) / rate));
      const y = resampleOct(x, 10000, rate);
      expect(y.length).toBe(Math.ceil((n * 10000) / rate));
      // Away from the edges the output is the same tone sampled at 10 kHz.
      let err = 0;
      for (let m = 1000; m < y.length - 1000; m++) err = Math.max(err, Math.abs(y[m] - Math.sin((2 * Math.PI * 440 * m) / 10000)));
      expect(err).toBeLessThan(2e-3);
    }
    expect(resampleOct(Float64Array.of(1, 2), 10000, 10000)).toEqual(Float64Array.of(1, 2));
  });

  test('10 s at 16 kHz takes well under a second', () => {
    const x = Float64Array.from({ length: 160000 }, (_, i) => x16()[i % 48000]);
    const y = x.map((v, i) => v + 0.05 * Math.sin(i * 1.7));
    const t0 = performance.now();
    stoi(x, y, 16000);
    estoi(x, y, 16000);
    // A loose bound for shared CI machines; it typically takes a few tens of milliseconds.
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

describe('input errors', () => {
  const x = new Float32Array(16000).fill(0.1);
  test.each([
    ['different lengths', () => stoi(x, x.subarray(1), 16000), /same length/],
    ['an empty signal', () => stoi(new Float32Array(0), new Float32Array(0), 16000), /clean is empty/],
    [
      'a NaN sample',
      () => estoi(x, Float32Array.from(x).fill(Number.NaN, 5, 6), 16000),
      /degraded has a non-finite sample \(NaN\) at index 5/,
    ],
    [
      'an infinite sample',
      () => stoi(Float64Array.from(x).fill(Number.POSITIVE_INFINITY, 7, 8), x, 16000),
      /non-finite sample \(Infinity\) at index 7/,
    ],
    ['a plain array', () => stoi([0.1] as unknown as Float32Array, x, 16000), /Float32Array or Float64Array, got object/],
    ['a fractional rate', () => stoi(x, x, 16000.5), /sampleRate must be an integer/],
    ['a zero rate', () => stoi(x, x, 0), /sampleRate must be an integer/],
    ['a rate as a string', () => stoi(x, x, '16000' as unknown as number), /sampleRate must be an integer/],
    ['a rate above the limit', () => stoi(x, x, 1_000_000), /sampleRate must be an integer in \[1, 384000\]/],
    ['an unknown option', () => stoi(x, x, 16000, { extnded: true } as never), /unknown option 'extnded'/],
    ['a non-boolean option', () => stoi(x, x, 16000, { extended: 1 as unknown as boolean }), /must be a boolean/],
  ])('%s', (_, call, message) => {
    expect(call).toThrow(InputError);
    expect(call).toThrow(message);
  });
});
