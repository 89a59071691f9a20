import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { degradedImages, type ImageDataset } from '../lib/data/images';
import { addGaussianNoise } from '../lib/image/degrade';
import { type Image, withChannels } from '../lib/image/image';
import { encodeImage, writeImage } from '../lib/image/io';
import { createModel, loadModel, type Model } from '../lib/model';
import { tonePair } from './helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-image-model-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A smooth colour gradient with a few edges, `width`×`height`, RGB. */
function picture(width: number, height: number, shift = 0): Image {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = (x * 255) / width;
      data[i + 1] = (y * 255) / height;
      data[i + 2] = (x + y + shift) % 16 < 8 ? 200 : 40;
    }
  return { data, width, height, channels: 3 };
}

let model: Model;
let data: ImageDataset;

beforeAll(async () => {
  const dir = path.join(tmp, 'photos');
  fs.mkdirSync(dir);
  await writeImage(path.join(dir, 'a.png'), picture(40, 28));
  await writeImage(path.join(dir, 'b.png'), picture(33, 21, 5));
  data = degradedImages(dir, { kind: 'noise', sigma: 25 });
  model = await createModel({ preset: 'image-tiny', threads: 1 });
});
afterAll(() => model.dispose());

test('train a few steps on random patches, then restore: same size and channels as the input', async () => {
  const steps: number[] = [];
  const result = await model.train(data, { steps: 3, batchSize: 2, onProgress: (p) => steps.push(p.step), progressIntervalMs: 0 });
  expect(result.steps).toBe(3);
  expect(steps).toEqual([1, 2, 3]);
  expect(Number.isFinite(result.last.loss)).toBe(true);
  expect(model.step).toBe(3);
  const noisy = addGaussianNoise(picture(40, 28), 25, 1);
  const restored = await model.restore(noisy, { steps: 2 });
  expect(restored).toMatchObject({ width: 40, height: 28, channels: 3 });
  expect(restored.data).toBeInstanceOf(Uint8Array);
  expect(restored.data.length).toBe(40 * 28 * 3);
});

test('odd sizes, smaller than a patch, gray on an RGB model, paths and Buffers', async () => {
  const sizes: [number, number][] = [
    [13, 7],
    [1, 1],
    [17, 31],
  ];
  for (const [w, h] of sizes) {
    const out = await model.restore(picture(w, h), { steps: 1 });
    expect(out).toMatchObject({ width: w, height: h, channels: 3 });
  }
  const gray = withChannels(picture(19, 11), 1);
  expect(await model.restore(gray, { steps: 1 })).toMatchObject({ width: 19, height: 11, channels: 1 });
  const file = path.join(tmp, 'in.png');
  await writeImage(file, picture(20, 10));
  const bytes = await encodeImage(picture(20, 10), 'png');
  const [fromFile, fromBytes] = await model.restore([file, bytes], { steps: 1 });
  expect(fromFile).toMatchObject({ width: 20, height: 10, channels: 3 });
  expect(fromBytes).toMatchObject({ width: 20, height: 10, channels: 3 });
});

test('a seed fixes the result; another seed changes it (η = 1); input i of a list uses seed + i', async () => {
  const noisy = addGaussianNoise(picture(40, 28), 25, 2);
  const a = await model.restore(noisy, { steps: 2, eta: 1, seed: 7 });
  const b = await model.restore(noisy, { steps: 2, eta: 1, seed: 7 });
  const c = await model.restore(noisy, { steps: 2, eta: 1, seed: 8 });
  expect(b.data).toEqual(a.data);
  expect(c.data).not.toEqual(a.data);
  const [x, y] = await model.restore([noisy, noisy], { steps: 2, eta: 1, seed: 7 });
  expect(x.data).toEqual(a.data);
  expect(y.data).toEqual(c.data);
});

test('an abort cancels the native job; the model stays usable', async () => {
  const big = picture(160, 120);
  const controller = new AbortController();
  const started = Date.now();
  const pending = model.restore(big, { steps: 200, stride: 4, signal: controller.signal });
  setTimeout(() => controller.abort(), 50);
  await expect(pending).rejects.toMatchObject({ code: 'E_ABORTED' });
  expect(Date.now() - started).toBeLessThan(5000);
  await expect(model.restore(big, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'E_ABORTED' });
  const trainAbort = new AbortController();
  trainAbort.abort();
  await expect(model.train(data, { steps: 2, signal: trainAbort.signal })).rejects.toMatchObject({ code: 'E_ABORTED' });
  expect(await model.restore(picture(8, 8), { steps: 1 })).toMatchObject({ width: 8, height: 8 });
});

test('bad inputs and options reject with E_INPUT naming the problem', async () => {
  const im = picture(8, 8);
  const cases: [() => Promise<unknown>, RegExp][] = [
    [() => model.restore(new Float32Array(64) as never), /image model.*Float32Array/],
    [() => model.restore([im, new Float32Array(64)] as never), /inputs\[1\].*image model/],
    [() => model.restore(im, { step: 2 } as never), /unknown option 'step'/],
    [() => model.restore(im, { steps: 0 }), /steps must be an integer/],
    [() => model.restore(im, { steps: 1001 }), /steps must be an integer/],
    [() => model.restore(im, { eta: 2 }), /eta must be a number/],
    [() => model.restore(im, { stride: 17 }), /stride must be an integer in \[1, 16\]/],
    [() => model.restore(im, { precision: 'bfloat16' } as never), /unknown option 'precision'/],
    [() => model.restore({ ...im, channels: 4 } as never), /channels must be 1 or 3/],
    [() => model.restore({ ...im, width: 9 }), /bytes/],
    [() => model.restore([]), /no inputs/],
    [() => model.restore(Buffer.from('not an image')), /not a readable image/],
    [() => model.train([tonePair(1024)] as never, { steps: 1 }), /image model: train it on an image dataset/],
    [() => model.train(data, { steps: 1, cropLength: 256 }), /cropLength is for speech/],
  ];
  for (const [call, message] of cases) await expect(call()).rejects.toThrow(message);
  await expect(model.restore(Buffer.from('not an image'))).rejects.toMatchObject({ code: 'E_IO' });
  await expect(model.restore(im, { steps: 0 })).rejects.toMatchObject({ code: 'E_INPUT' });
  const gray = await createModel({ preset: 'image-tiny', config: { imageChannels: 1 }, threads: 1 });
  await expect(gray.restore(im, { steps: 1 })).rejects.toThrow(/RGB but the model restores gray/);
  expect(await gray.restore(withChannels(im, 1), { steps: 1 })).toMatchObject({ channels: 1 });
  await gray.dispose();
  const speech = await createModel({ preset: 'speech-tiny', threads: 1 });
  await expect(speech.restore(im as never)).rejects.toMatchObject({ code: 'E_INPUT', message: expect.stringMatching(/speech model/) });
  await expect(speech.restore('photo.png' as never)).rejects.toThrow(/speech model/);
  await expect(speech.train(data as never, { steps: 1 })).rejects.toThrow(/speech model: train it on/);
  await speech.dispose();
});

test('resume from a checkpoint trains exactly as an uninterrupted run', async () => {
  const straight = await createModel({ preset: 'image-tiny', seed: 3, threads: 1 });
  const whole = await straight.train(data, { steps: 4, batchSize: 2, seed: 5 });
  const first = await createModel({ preset: 'image-tiny', seed: 3, threads: 1 });
  const ckpt = path.join(tmp, 'half.safetensors');
  await first.train(data, { steps: 2, batchSize: 2, seed: 5, checkpointPath: ckpt });
  await first.dispose();
  const resumed = await loadModel(ckpt, { threads: 1 });
  expect(resumed.step).toBe(2);
  expect(resumed.config.modality).toBe('image');
  const rest = await resumed.train(data, { steps: 2, batchSize: 2, seed: 5 });
  expect(rest.last).toEqual(whole.last);
  const probe = addGaussianNoise(picture(24, 20), 25, 3);
  const [a, b] = [await straight.restore(probe, { steps: 2 }), await resumed.restore(probe, { steps: 2 })];
  expect(b.data).toEqual(a.data);
  await straight.dispose();
  await resumed.dispose();
});

test('a RestorePool restores images (objects and paths) as the model does', async () => {
  // Worker threads load compiled JavaScript: the built package (`npm test` builds it).
  const built = await import('../dist');
  const pool = await built.RestorePool.open({ model: { preset: 'image-tiny', seed: 4 }, workers: 1, threadsPerWorker: 1 });
  const alone = await built.createModel({ preset: 'image-tiny', seed: 4, threads: 1 });
  try {
    const noisy = addGaussianNoise(picture(40, 28), 25, 4);
    const file = path.join(tmp, 'pool.png');
    await writeImage(file, noisy);
    const expected = await alone.restore(noisy, { steps: 2, seed: 1 });
    expect((await pool.restore(noisy, { steps: 2, seed: 1 })).data).toEqual(expected.data);
    const [fromFile] = await pool.restore([file], { steps: 2, seed: 1 });
    expect(fromFile.data).toEqual(expected.data);
    await expect(pool.restore(noisy, { sampleRate: 16000 } as never)).rejects.toThrow(/unknown option 'sampleRate'/);
    await expect(pool.restore(new Float32Array(256) as never)).rejects.toMatchObject({ code: 'E_INPUT' });
  } finally {
    await pool.close();
    await alone.dispose();
  }
});
