/**
 * Level handling: inputs are restored at the RMS the model trains at (config.signalRms) and scaled
 * back, training crops are scaled alike, and levels that cannot be represented are refused.
 */
import { createModel, Model, resolveConfig, siSdr } from '../lib';
import { checkLevel, levelGain, MAX_PEAK, MIN_RMS, measureLevel, scaled, undoGain } from '../lib/audio/level';
import { addNoise, synthVoice } from '../lib/audio/synth';
import { BatchSampler } from '../lib/data/batches';
import type { NativeInfo, NativeModel } from '../lib/native';

const RATE = 16000;
const rmsOf = (x: ArrayLike<number>) => Math.sqrt(Array.from(x).reduce((s, v) => s + v * v, 0) / x.length);
const times = (x: Float32Array, gain: number) => Float32Array.from(x, (v) => v * gain);
const allFinite = (x: Float32Array) => x.every((v) => Number.isFinite(v));
const sine = (n: number, amplitude: number, period = 36.4) =>
  Float32Array.from({ length: n }, (_, i) => amplitude * Math.sin((2 * Math.PI * i) / period));

describe('the level helper', () => {
  test('RMS, peak and gain match their closed forms', () => {
    expect(measureLevel(new Float32Array([3, -4]))).toEqual({ rms: Math.sqrt(12.5), peak: 4 });
    const whole = sine(64 * 100, 2, 64); // whole periods: RMS = A/√2
    expect(measureLevel(whole).rms).toBeCloseTo(Math.SQRT2, 7); // to float32's rounding of the samples
    expect(levelGain(0.5, 0.1)).toBeCloseTo(0.2, 15);
    expect(levelGain(Math.SQRT2, 0.1)).toBeCloseTo(0.1 / Math.SQRT2, 15);
    const normalised = scaled(whole, levelGain(measureLevel(whole).rms, 0.1));
    expect(measureLevel(normalised).rms).toBeCloseTo(0.1, 7);
  });

  test('silence keeps gain 1; sums run in float64, so tiny and huge samples neither underflow nor overflow', () => {
    expect(measureLevel(new Float32Array(100))).toEqual({ rms: 0, peak: 0 });
    expect(levelGain(0, 0.1)).toBe(1);
    expect(levelGain(MIN_RMS / 2, 0.1)).toBe(1);
    // 1e-30² and 1e36² are out of float32's range, not of float64's.
    expect(measureLevel(new Float32Array(4).fill(1e-30)).rms / 1e-30).toBeCloseTo(1, 6);
    expect(measureLevel(new Float32Array(4).fill(-1e36)).rms / 1e36).toBeCloseTo(1, 6);
  });

  test('levels at the limits pass, beyond them E_INPUT says what and where the limits are', () => {
    expect(checkLevel(new Float32Array(8).fill(9e35), 'x').peak).toBeCloseTo(9e35, -30);
    expect(checkLevel(new Float32Array(8).fill(2e-30), 'x').rms).toBeGreaterThan(MIN_RMS);
    expect(checkLevel(new Float32Array(8), 'x').rms).toBe(0);
    const loud = new Float32Array(8);
    loud[5] = -2 * MAX_PEAK;
    expect(() => checkLevel(loud, 'inputs[1]')).toThrow(
      expect.objectContaining({
        code: 'E_INPUT',
        message: expect.stringMatching(/inputs\[1\] is too loud: .*above 1e\+36.*at least 1e-30/),
      }),
    );
    expect(() => checkLevel(new Float32Array(8).fill(1e-35), 'input')).toThrow(
      expect.objectContaining({ code: 'E_INPUT', message: expect.stringMatching(/input is too quiet: RMS .* below 1e-30/) }),
    );
  });

  test('undoGain scales by 1/gain and refuses NaN or an overflow with E_NATIVE', () => {
    expect(Array.from(undoGain(new Float32Array([0.1, -0.2]), 0.01, 'x'))).toEqual([Math.fround(10), Math.fround(-20)]);
    const nan = new Float32Array([0, Number.NaN, 0]);
    expect(() => undoGain(nan, 1, 'input')).toThrow(
      expect.objectContaining({ code: 'E_NATIVE', message: expect.stringMatching(/non-finite.*NaN at sample 1/) }),
    );
    expect(() => undoGain(new Float32Array([3e38]), 0.1, 'input')).toThrow(
      expect.objectContaining({ code: 'E_NATIVE', message: expect.stringMatching(/Infinity at sample 0/) }),
    );
  });
});

describe('training crops', () => {
  // A pair as long as the crop is cropped whole; a shorter one is zero-padded after its end.
  const clean = sine(256, 30);
  const degraded = Float32Array.from(clean, (v, i) => v + 50 * Math.cos(i));

  test('clean and degraded are scaled by the one gain that brings the degraded crop to signalRms', async () => {
    const batch = (await new BatchSampler([{ clean, degraded }], 2, 256, 7, 0.25).next(3))!;
    const gain = 0.25 / rmsOf(degraded);
    for (const b of [0, 1]) {
      expect(batch.degraded.subarray(b * 256, (b + 1) * 256)).toEqual(times(degraded, gain));
      expect(batch.clean.subarray(b * 256, (b + 1) * 256)).toEqual(times(clean, gain));
    }
    expect(rmsOf(batch.degraded.subarray(0, 256))).toBeCloseTo(0.25, 6);
  });

  test('the gain of a short pair ignores its padding; a silent pair stays silent', async () => {
    const short = { clean: clean.subarray(0, 200), degraded: degraded.subarray(0, 200) };
    const batch = (await new BatchSampler([short], 1, 256, 1, 0.1).next(0))!;
    const gain = 0.1 / rmsOf(short.degraded);
    expect(batch.degraded.subarray(0, 200)).toEqual(times(short.degraded, gain));
    expect(batch.clean.subarray(0, 200)).toEqual(times(short.clean, gain));
    expect(batch.degraded.subarray(200).every((v) => v === 0)).toBe(true);
    const silent = (await new BatchSampler([{ clean: new Float32Array(256), degraded: new Float32Array(256) }], 1, 256, 1, 0.1).next(0))!;
    expect(silent.degraded.every((v) => v === 0) && silent.clean.every((v) => v === 0)).toBe(true);
  });
});

/** A speech-tiny Model over a stand-in for the addon that records the rows it is given and answers with `respond(rows)`. */
async function modelOverFake(respond: (rows: Float32Array) => Float32Array) {
  const rows: Float32Array[] = [];
  const handle = {
    restore: async (input: Float32Array, { batch }: { batch: number }) => {
      const length = input.length / batch;
      for (let b = 0; b < batch; b++) rows.push(input.slice(b * length, (b + 1) * length));
      return respond(input);
    },
    cancel: () => false,
    dispose: async () => undefined,
  } as unknown as NativeModel;
  const info: NativeInfo = {
    config: JSON.stringify(resolveConfig('speech-tiny')),
    paramCounts: { total: 0, denoiser: 0, prior: 0, posterior: 0 },
    step: 0,
    device: 'cpu',
  };
  // Chunks of 2,048 samples overlapping by 512.
  const batching = { maxBatch: 8, maxDelayMs: 0, maxQueue: 4096, chunkSeconds: 0.128, overlapSeconds: 0.032 };
  return { model: await Model.open(handle, Promise.resolve(info), batching), rows };
}

describe('restore scales around the core (addon stand-in)', () => {
  test('a long input is scaled as a whole before it is cut: every chunk has the one gain, and the result is scaled back', async () => {
    // Loud first half, quiet second half: chunk-by-chunk gains would differ by ×500.
    const x = Float32Array.from({ length: 6000 }, (_, i) => (i < 3000 ? 5 : 0.01) * Math.sin(i / 5));
    const { model, rows } = await modelOverFake((input) => input);
    const out = await model.restore(x, { precision: 'float32' });
    const gain = 0.1 / rmsOf(x);
    const starts = [0, 1536, 3072, 3952];
    expect(rows.length).toBe(starts.length);
    for (const [k, s] of starts.entries()) expect(rows[k]).toEqual(times(x.subarray(s, s + 2048), gain));
    expect(Math.max(...out.map((v, i) => Math.abs(v - x[i])))).toBeLessThan(5e-6);
    await model.dispose();
  });

  test('a restored signal that overflows when scaled back rejects with E_NATIVE instead of returning Inf', async () => {
    const { model } = await modelOverFake((input) => input.map((v) => v * 1e5));
    const loud = sine(1000, 1e35);
    await expect(model.restore(loud, { precision: 'float32' })).rejects.toMatchObject({
      code: 'E_NATIVE',
      message: expect.stringMatching(/^input: restoration produced non-finite values/),
    });
    await expect(model.restore([sine(1000, 1), loud], { precision: 'float32' })).rejects.toMatchObject({
      message: expect.stringMatching(/^inputs\[1\]: /),
    });
    await model.dispose();
  });
});

describe('a trained speech-tiny model restores at any level', () => {
  let model: Model;
  const clean = synthVoice({ seconds: 0.5, sampleRate: RATE, seed: 7 });
  const noisy = addNoise(clean, 5, 7);
  const options = { seed: 3, precision: 'float32' } as const;

  beforeAll(async () => {
    model = await createModel({ preset: 'speech-tiny', seed: 1, threads: 1 });
    const pairs = [1, 2, 3, 4].map((seed) => {
      const voice = synthVoice({ seconds: 0.5, sampleRate: RATE, seed, f0: 100 + 20 * seed });
      return { clean: voice, degraded: addNoise(voice, 5, seed) };
    });
    await model.train(pairs, { steps: 40, batchSize: 4, cropLength: 4096 });
  });
  afterAll(() => model.dispose());

  /** SI-SDR against the clean voice of restore(k·y)/k, after checking that every sample is finite. */
  const siSdrAtLevel = async (k: number) => {
    const out = await model.restore(times(noisy, k), options);
    expect(allFinite(out)).toBe(true);
    return siSdr(clean, times(out, 1 / k));
  };

  test.each([1e-3, 0.1, 10, 1e3])('restore(k·y)/k scores within 0.1 dB SI-SDR of restore(y), k = %p', async (k) => {
    const base = await siSdrAtLevel(1);
    expect(Number.isFinite(base)).toBe(true);
    expect(Math.abs((await siSdrAtLevel(k)) - base)).toBeLessThan(0.1);
  });

  test('a sine of amplitude 40 comes back at its level, nothing clipped at ±1', async () => {
    const out = await model.restore(sine(8000, 40), options);
    expect(allFinite(out)).toBe(true);
    expect(Math.max(...out.map(Math.abs))).toBeGreaterThan(10);
    expect(out.filter((v) => Math.abs(v) === 1).length).toBe(0);
  });

  test('levels that cannot be represented reject with E_INPUT; silence restores to finite values', async () => {
    await expect(model.restore(sine(4000, 3e38), options)).rejects.toMatchObject({ code: 'E_INPUT', message: /too loud/ });
    await expect(model.restore(new Float32Array(4000).fill(1e-35), options)).rejects.toMatchObject({
      code: 'E_INPUT',
      message: /too quiet/,
    });
    const silent = await model.restore(new Float32Array(4000), options);
    expect(silent.length).toBe(4000);
    expect(allFinite(silent)).toBe(true);
  });
});
