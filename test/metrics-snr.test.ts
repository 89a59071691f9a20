import { InputError } from '../lib/errors';
import { segmentalSnr, siSdr } from '../lib/metrics';
import { Random } from '../lib/random';

/** Period-4 patterns that are zero-mean and orthogonal over any multiple of 4 samples. */
const ALTERNATING = [1, -1, 1, -1];
const PAIRS = [1, 1, -1, -1];
const pattern = (p: number[], n: number, scale = 1, offset = 0) => Float32Array.from({ length: n }, (_, i) => offset + scale * p[i % 4]);
const add = (a: Float32Array, b: Float32Array) => a.map((v, i) => v + b[i]);
const energy = (x: ArrayLike<number>) => Array.from(x).reduce((s, v) => s + v * v, 0);
const randomSignal = (n: number, seed: number) => {
  const r = new Random(seed);
  return Float32Array.from({ length: n }, () => r.next() - 0.5);
};

describe('SI-SDR', () => {
  const reference = pattern(ALTERNATING, 4096);

  test('a reference plus orthogonal noise gives exactly 10·log10(Ps/Pn)', () => {
    for (const a of [0.25, 2 ** -5, 0.5, 3]) {
      const noise = pattern(PAIRS, 4096, a);
      expect(siSdr(reference, add(reference, noise))).toBe(10 * Math.log10(energy(reference) / energy(noise)));
    }
  });

  test('a random reference plus noise made orthogonal to it', () => {
    const s = randomSignal(20000, 1);
    const raw = randomSignal(20000, 2);
    // Gram–Schmidt in float64 against the zero-mean reference, then zero-mean noise.
    const ms = s.reduce((a, v) => a + v, 0) / s.length;
    const sc = Array.from(s, (v) => v - ms);
    const k = sc.reduce((a, v, i) => a + v * raw[i], 0) / energy(sc);
    let noise = Array.from(raw, (v, i) => 0.1 * (v - k * sc[i]));
    const mn = noise.reduce((a, v) => a + v, 0) / noise.length;
    noise = noise.map((v) => v - mn);
    const estimate = Float32Array.from(s, (v, i) => v + noise[i]);
    expect(siSdr(s, estimate)).toBeCloseTo(10 * Math.log10(energy(sc) / energy(noise)), 5);
  });

  test('a scaled copy of the reference has no distortion: +Infinity, not NaN or an error', () => {
    expect(
      siSdr(
        reference,
        reference.map((v) => 2 * v),
      ),
    ).toBe(Number.POSITIVE_INFINITY);
    expect(
      siSdr(
        reference,
        reference.map((v) => -0.5 * v),
      ),
    ).toBe(Number.POSITIVE_INFINITY);
    expect(siSdr(reference, reference)).toBe(Number.POSITIVE_INFINITY);
  });

  test('scale invariance', () => {
    const estimate = add(reference, pattern(PAIRS, 4096, 0.25));
    const base = siSdr(reference, estimate);
    expect(
      siSdr(
        reference,
        estimate.map((v) => 4 * v),
      ),
    ).toBe(base);
    expect(
      siSdr(
        reference.map((v) => 0.125 * v),
        estimate,
      ),
    ).toBe(base);
    const s = randomSignal(10000, 3);
    const e = add(
      s,
      randomSignal(10000, 4).map((v) => 0.3 * v),
    );
    expect(
      siSdr(
        s,
        e.map((v) => 3.7 * v),
      ),
    ).toBeCloseTo(siSdr(s, e), 5);
  });

  test('zero-mean invariance: constant offsets change nothing', () => {
    const noise = pattern(PAIRS, 4096, 0.25);
    const base = siSdr(reference, add(reference, noise));
    expect(siSdr(pattern(ALTERNATING, 4096, 1, 0.5), add(pattern(ALTERNATING, 4096, 1, -2), noise))).toBe(base);
    const s = randomSignal(10000, 5);
    const e = add(
      s,
      randomSignal(10000, 6).map((v) => 0.3 * v),
    );
    expect(
      siSdr(
        s.map((v) => v + 0.2),
        e.map((v) => v - 0.1),
      ),
    ).toBeCloseTo(siSdr(s, e), 5);
  });

  test('errors: a silent or constant reference, different lengths, empty signals', () => {
    const e = randomSignal(100, 7);
    expect(() => siSdr(new Float32Array(100), e)).toThrow(InputError);
    expect(() => siSdr(new Float32Array(100).fill(0.3), e)).toThrow(/silent reference/);
    expect(() => siSdr(e, e.subarray(1))).toThrow(/same length \(got 100 and 99\)/);
    expect(() => siSdr(new Float32Array(0), new Float32Array(0))).toThrow(InputError);
  });
});

describe('segmental SNR', () => {
  const clean = pattern(ALTERNATING, 4096);

  test('a signal with the same SNR in every frame gives that SNR', () => {
    for (const a of [0.25, 0.5, 0.125]) {
      const estimate = add(clean, pattern(PAIRS, 4096, a));
      expect(segmentalSnr(clean, estimate)).toBeCloseTo(10 * Math.log10(1 / (a * a)), 12);
      expect(segmentalSnr(clean, estimate, { frameLength: 160, hop: 80 })).toBeCloseTo(10 * Math.log10(1 / (a * a)), 12);
    }
  });

  test('random speech-like frames scaled to 7 dB each', () => {
    const frame = 400;
    const s = Float64Array.from(randomSignal(frame * 20, 8), (v, i) => v * (1 + Math.floor(i / frame)));
    const noise = Float64Array.from(randomSignal(frame * 20, 9));
    for (let f = 0; f < 20; f++) {
      const seg = (x: Float64Array) => x.subarray(f * frame, (f + 1) * frame);
      const k = Math.sqrt(energy(seg(s)) / (energy(seg(noise)) * 10 ** 0.7));
      seg(noise).forEach((v, i) => {
        seg(noise)[i] = k * v;
      });
    }
    expect(
      segmentalSnr(
        s,
        s.map((v, i) => v + noise[i]),
        { frameLength: frame, hop: frame },
      ),
    ).toBeCloseTo(7, 9);
  });

  test('per-frame SNRs are clamped to [minDb, maxDb]', () => {
    expect(segmentalSnr(clean, clean)).toBe(35);
    expect(segmentalSnr(clean, new Float32Array(clean.length))).toBe(0);
    expect(
      segmentalSnr(
        clean,
        clean.map((v) => -v),
      ),
    ).toBeCloseTo(10 * Math.log10(1 / 4), 12);
    expect(segmentalSnr(clean, add(clean, pattern(PAIRS, 4096, 100)))).toBe(-10);
    expect(segmentalSnr(clean, clean, { maxDb: 50 })).toBe(50);
    expect(segmentalSnr(clean, add(clean, pattern(PAIRS, 4096, 100)), { minDb: -60 })).toBeCloseTo(-40, 12);
    // A silent clean frame: exact (maxDb) or with any error (minDb).
    const silent = new Float32Array(1024);
    expect(segmentalSnr(silent, silent)).toBe(35);
    expect(
      segmentalSnr(
        silent,
        silent.map(() => 1e-6),
      ),
    ).toBe(-10);
  });

  test('the mean is over frames: half perfect and half drowned frames average the two clamps', () => {
    const n = 512 * 8;
    const s = pattern(ALTERNATING, n);
    const e = s.map((v, i) => (i < n / 2 ? v : v + 1000 * PAIRS[i % 4]));
    expect(segmentalSnr(s, e, { hop: 512 })).toBe((35 * 4 - 10 * 4) / 8);
  });

  test('whole frames only; a signal shorter than a frame is one frame', () => {
    const s = pattern(ALTERNATING, 1000);
    const e = s.map((v, i) => (i >= 768 ? v + 5 : v));
    // Frames start at 0 and 256; samples 768.. are in no frame.
    expect(segmentalSnr(s, e)).toBe(35);
    const short = pattern(ALTERNATING, 100);
    expect(segmentalSnr(short, add(short, pattern(PAIRS, 100, 0.5)))).toBeCloseTo(10 * Math.log10(4), 12);
  });

  test('accepts Float32Array and Float64Array alike', () => {
    const e = add(clean, pattern(PAIRS, 4096, 0.25));
    expect(segmentalSnr(Float64Array.from(clean), Float64Array.from(e))).toBe(segmentalSnr(clean, e));
  });

  test.each([
    ['different lengths', () => segmentalSnr(clean, clean.subarray(1)), /same length/],
    ['an empty signal', () => segmentalSnr(new Float32Array(0), new Float32Array(0)), /clean is empty/],
    ['a NaN sample', () => segmentalSnr(clean, Float32Array.from(clean).fill(Number.NaN, 3, 4)), /estimate has a non-finite sample/],
    ['a zero hop', () => segmentalSnr(clean, clean, { hop: 0 }), /hop must be an integer/],
    ['a fractional frame length', () => segmentalSnr(clean, clean, { frameLength: 1.5 }), /frameLength must be an integer/],
    ['minDb not below maxDb', () => segmentalSnr(clean, clean, { minDb: 10, maxDb: 10 }), /must be below maxDb/],
    ['an infinite clamp', () => segmentalSnr(clean, clean, { maxDb: Number.POSITIVE_INFINITY }), /maxDb must be a number/],
    ['an unknown option', () => segmentalSnr(clean, clean, { frame: 256 } as never), /unknown option 'frame'/],
  ])('errors: %s', (_, call, message) => {
    expect(call).toThrow(InputError);
    expect(call).toThrow(message);
  });
});

describe('SI-SDR input checks', () => {
  test('NaN samples and non-typed arrays are refused; an estimate without the reference is −Infinity', () => {
    const s = Float32Array.from({ length: 100 }, (_, i) => Math.sin(i));
    expect(() => siSdr(s, Float32Array.from(s).fill(Number.NaN, 5, 6))).toThrow(/non-finite sample \(NaN\) at index 5/);
    expect(() => siSdr(s, [1, 2] as unknown as Float32Array)).toThrow(/Float32Array or Float64Array/);
    expect(siSdr(s, new Float32Array(100).fill(0.3))).toBe(Number.NEGATIVE_INFINITY);
    expect(
      siSdr(
        Float64Array.from(s),
        Float64Array.from(s, (v) => v + 0.01 * Math.cos(7 * v)),
      ),
    ).toBeGreaterThan(30);
  });
});
