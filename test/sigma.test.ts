/**
 * `returnSigma`: the prior's σ beside each restoration, in the input's units (speech) or 8-bit
 * levels laid out like the pixels (images), through a model, a pool and `restore --sigma-map`.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { RestorePool } from '../dist';
import { createModel, type Image, type ImageRestoration, type Model, type SpeechRestoration, withChannels } from '../lib';
import { measureLevel } from '../lib/audio/level';
import { encodeWav } from '../lib/audio/wav';
import { ENVELOPE_SIZE, sigmaEnvelope, sigmaHeatMap, viridis } from '../lib/cli/sigma-map';
import { readImage, writeImage } from '../lib/image/io';
import { LEVELS_PER_UNIT } from '../lib/sigma';
import { tonePair } from './helpers';

const run = promisify(execFile);
const cli = path.join(__dirname, '../dist/cli/main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-sigma-'));
const env = { ...process.env, OMP_NUM_THREADS: '1' };

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** `assertType<E>()(value)` compiles only when the type of `value` is exactly `E` (checked by ts-jest). */
const assertType =
  <Expected>() =>
  <Actual>(_value: Actual, ..._mismatch: Equal<Actual, Expected> extends true ? [] : ['types differ']) =>
    undefined;

const speech = tonePair(3000, 1).degraded;
const times = (x: Float32Array, k: number) => Float32Array.from(x, (v) => v * k);
const spread = (x: Float32Array) => Math.max(...x) - Math.min(...x);

/** A colour gradient with stripes, `width`×`height`, RGB. */
function picture(width: number, height: number): Image {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const [x, y] = [i % width, Math.floor(i / width)];
    data.set([(x * 255) / width, (y * 255) / height, (x + y) % 8 < 4 ? 210 : 30], i * 3);
  }
  return { data, width, height, channels: 3 };
}

const models: Model[] = [];
async function model(options: Parameters<typeof createModel>[0]): Promise<Model> {
  const m = await createModel({ threads: 1, seed: 3, ...options });
  models.push(m);
  return m;
}
afterAll(async () => {
  await Promise.all(models.map((m) => m.dispose()));
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('speech', () => {
  test('σ per sample beside the same restoration, for one signal and for a list', async () => {
    const m = await model({ preset: 'speech-tiny', prior: 'priorgrad' });
    const plain = await m.restore(speech, { seed: 1 });
    const pair = await m.restore(speech, { seed: 1, returnSigma: true });
    assertType<SpeechRestoration>()(pair);
    assertType<Float32Array>()(plain);
    expect(pair.restored).toEqual(plain);
    expect(pair.sigma).toBeInstanceOf(Float32Array);
    expect(pair.sigma).toHaveLength(speech.length);
    expect(pair.sigma.every((s) => s > 0 && Number.isFinite(s))).toBe(true);
    expect(spread(pair.sigma)).toBeGreaterThan(0); // PriorGrad's map follows the frames' energy

    const pairs = await m.restore([speech, speech.subarray(0, 1000)], { returnSigma: true });
    assertType<SpeechRestoration[]>()(pairs);
    expect(pairs.map((p) => [p.restored.length, p.sigma.length])).toEqual([
      [3000, 3000],
      [1000, 1000],
    ]);
    // Calls with and without σ share a native batch; each gets what it asked for.
    const [alone, withSigma] = await Promise.all([m.restore(speech, { seed: 1 }), m.restore(speech, { seed: 1, returnSigma: true })]);
    expect(m.stats().batchSizes[2]).toBeGreaterThanOrEqual(1);
    expect(alone).toBeInstanceOf(Float32Array);
    expect(Math.max(...alone.map((v, i) => Math.abs(v - withSigma.restored[i])))).toBeLessThan(1e-5);
    expect(withSigma.sigma).toEqual(pair.sigma);
    // @ts-expect-error returnSigma is a boolean
    await expect(m.restore(speech, { returnSigma: 'yes' })).rejects.toMatchObject({ code: 'E_INPUT' });
  });

  test("σ is in the input's units: σ of restore(k·y) is k times σ of restore(y)", async () => {
    const m = await model({ preset: 'speech-tiny', prior: 'priorgrad' });
    const { sigma } = await m.restore(speech, { returnSigma: true });
    for (const k of [1e-3, 7, 1e3]) {
      const scaledSigma = (await m.restore(times(speech, k), { returnSigma: true })).sigma;
      const worst = Math.max(...scaledSigma.map((s, i) => Math.abs(s / (k * sigma[i]) - 1)));
      expect(worst).toBeLessThan(1e-3);
    }
  });

  test("the standard prior's σ is noiseScale at the input's level, the same for every sample", async () => {
    const m = await model({ preset: 'speech-tiny', prior: 'standard', config: { noiseScale: 0.5 } });
    const { sigma } = await m.restore(speech, { returnSigma: true });
    expect(new Set(sigma).size).toBe(1);
    // Restored at RMS signalRms, so σ = noiseScale there is noiseScale · rms(y) / signalRms here.
    expect(sigma[0]).toBeCloseTo((0.5 * measureLevel(speech).rms) / m.config.signalRms, 6);
  });

  test('a long input is cut into chunks: σ is joined back to its whole length', async () => {
    const m = await model({ preset: 'speech-tiny', prior: 'priorgrad', batching: { chunkSeconds: 0.1, overlapSeconds: 0.02 } });
    const long = tonePair(5000, 2).degraded;
    const { restored, sigma } = await m.restore(long, { returnSigma: true });
    expect([restored.length, sigma.length]).toEqual([5000, 5000]);
    expect(sigma.every((s) => s > 0)).toBe(true);
    expect(m.stats().items).toBeGreaterThan(1);
  });

  test('a pool returns what a model returns', async () => {
    const m = await model({ preset: 'speech-tiny', prior: 'priorgrad' });
    const expected = await m.restore(speech, { seed: 2, returnSigma: true });
    const pool = await RestorePool.open({ model: { preset: 'speech-tiny', prior: 'priorgrad', seed: 3 }, workers: 1, threadsPerWorker: 1 });
    try {
      const got = await pool.restore(speech, { seed: 2, returnSigma: true });
      assertType<SpeechRestoration>()(got);
      expect(Array.from(got.sigma)).toEqual(Array.from(expected.sigma));
      expect(Math.max(...got.restored.map((v, i) => Math.abs(v - expected.restored[i])))).toBeLessThan(1e-5);
    } finally {
      await pool.close();
    }
  });
});

describe('images', () => {
  test("σ laid out like the result's pixels, gray inputs of an RGB model included", async () => {
    const m = await model({ preset: 'image-tiny', prior: 'priorgrad' });
    const image = picture(20, 13); // 13 rows: mirrored to cover a 16-pixel patch
    const plain = await m.restore(image, { steps: 2 });
    const pair = await m.restore(image, { steps: 2, returnSigma: true });
    assertType<ImageRestoration>()(pair);
    assertType<Image>()(plain);
    expect(pair.restored).toEqual(plain);
    expect(pair.sigma).toHaveLength(20 * 13 * 3);
    expect(pair.sigma.every((s) => s > 0 && s <= LEVELS_PER_UNIT)).toBe(true); // PriorGrad's σ is at most 1
    expect(spread(pair.sigma)).toBeGreaterThan(0);

    const [rgb, gray] = await m.restore([image, withChannels(image, 1)], { steps: 1, returnSigma: true });
    assertType<ImageRestoration>()(gray);
    expect([rgb.sigma.length, gray.restored.channels, gray.sigma.length]).toEqual([20 * 13 * 3, 1, 20 * 13]);
  });

  test("the standard prior's σ is noiseScale in 8-bit levels everywhere", async () => {
    const m = await model({ preset: 'image-tiny', prior: 'standard' });
    const { sigma } = await m.restore(picture(17, 16), { steps: 1, returnSigma: true });
    expect(new Set(sigma)).toEqual(new Set([LEVELS_PER_UNIT * m.config.noiseScale]));
  });
});

describe('pictures of σ', () => {
  test('the heat map runs from the lowest to the highest σ on viridis, mean over channels', () => {
    // Two pixels, RGB: σ means 1 and 3.
    const map = sigmaHeatMap(new Float32Array([1, 1, 1, 2, 3, 4]), 2, 1, 3);
    expect(Array.from(map.data)).toEqual([...viridis(0), ...viridis(1)]);
    expect(viridis(0)).toEqual([0x44, 0x01, 0x54]);
    expect(viridis(1)).toEqual([0xfd, 0xe7, 0x25]);
    expect(Array.from(sigmaHeatMap(new Float32Array(4).fill(2), 2, 2, 1).data.subarray(0, 3))).toEqual([...viridis(0)]);
  });

  test('the envelope is as wide as σ is large', () => {
    const samples = new Float32Array(400);
    const sigma = Float32Array.from({ length: 400 }, (_, i) => (i < 200 ? 0.1 : 1));
    const picture = sigmaEnvelope(samples, sigma, { width: 4, height: 101 });
    expect([picture.width, picture.height, picture.channels]).toEqual([4, 101, 3]);
    const coloured = (x: number) => Array.from({ length: 101 }, (_, y) => picture.data[(y * 4 + x) * 3] !== 255).filter(Boolean).length;
    expect(coloured(3)).toBeGreaterThan(5 * coloured(0));
  });
});

describe('restore --sigma-map', () => {
  const isPng = (file: string) =>
    fs
      .readFileSync(file)
      .subarray(0, 8)
      .equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));

  test('a WAV file gets its σ envelope over the waveform', async () => {
    const m = await model({ preset: 'speech-tiny', prior: 'priorgrad' });
    const [checkpoint, input, map] = ['speech.safetensors', 'noisy.wav', 'speech-sigma.png'].map((f) => path.join(tmp, f));
    await m.save(checkpoint);
    fs.writeFileSync(input, encodeWav(speech, 16000));
    await run('node', [cli, 'restore', '--model', checkpoint, '-o', path.join(tmp, 'restored.wav'), '--sigma-map', map, input], { env });
    expect(isPng(map)).toBe(true);
    expect(await readImage(map)).toMatchObject({ ...ENVELOPE_SIZE, channels: 3 });

    const fail = (args: string[]) => run('node', [cli, 'restore', '--model', checkpoint, ...args, input], { env });
    await expect(fail(['--out', path.join(tmp, 'out'), '--sigma-map', map])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/E_INPUT: --sigma-map .* -o FILE/),
    });
    await expect(fail(['-o', path.join(tmp, 'r.wav'), '--sigma-map', path.join(tmp, 'map.jpg')])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/E_INPUT: --sigma-map writes PNG/),
    });
  });

  test('an image gets a heat map of its own size', async () => {
    const m = await model({ preset: 'image-tiny', prior: 'priorgrad' });
    const [checkpoint, input, map] = ['image.safetensors', 'noisy.png', 'image-sigma.png'].map((f) => path.join(tmp, f));
    await m.save(checkpoint);
    await writeImage(input, picture(24, 18));
    const args = ['restore', '--model', checkpoint, '--steps', '1', '-o', path.join(tmp, 'restored.png'), '--sigma-map', map, input];
    await run('node', [cli, ...args], { env });
    expect(isPng(map)).toBe(true);
    expect(await readImage(map)).toMatchObject({ width: 24, height: 18, channels: 3 });
  });
});
