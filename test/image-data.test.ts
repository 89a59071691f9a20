import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { degradedImages, ImagePatchSampler, pairedImageFolders } from '../lib/data/images';
import type { Image } from '../lib/image/image';
import { writeImage } from '../lib/image/io';

import { randomImage } from './fixtures/images';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-image-data-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const invert = (im: Image): Image => ({ ...im, data: im.data.map((v) => 255 - v) });

beforeAll(async () => {
  // Degraded = inverted clean, so aligned windows give degraded = 1 − clean exactly.
  const images: [string, Image][] = [
    ['a.png', randomImage(40, 30, 3, 1)],
    ['sub/b.webp', randomImage(21, 33, 3, 2)],
    ['c.png', randomImage(12, 9, 1, 3)], // gray and smaller than a patch
  ];
  for (const [name, im] of images) {
    for (const [sub, x] of [
      ['pairs/clean', im],
      ['pairs/degraded', invert(im)],
      ['photos', im],
    ] as const) {
      fs.mkdirSync(path.dirname(path.join(tmp, sub, name)), { recursive: true });
      await writeImage(path.join(tmp, sub, name), x);
    }
  }
});

test('paired folders give [B, C, P, P] batches of aligned windows in [0, 1]', async () => {
  const sampler = new ImagePatchSampler(pairedImageFolders(path.join(tmp, 'pairs')), { batchSize: 6, patchSize: 16, seed: 1 });
  const batch = await sampler.next(0);
  expect([batch.batch, batch.channels, batch.size]).toEqual([6, 3, 16]);
  expect(batch.clean.length).toBe(6 * 3 * 16 * 16);
  expect(batch.degraded.length).toBe(batch.clean.length);
  expect(batch.clean.every((v) => v >= 0 && v <= 1)).toBe(true);
  expect(batch.degraded.every((v, i) => Math.abs(v + batch.clean[i] - 1) < 1e-6)).toBe(true);
  const gray = await new ImagePatchSampler(pairedImageFolders(path.join(tmp, 'pairs')), { batchSize: 2, patchSize: 8, channels: 1 }).next(
    3,
  );
  expect([gray.channels, gray.clean.length]).toEqual([1, 2 * 8 * 8]);
});

test('batches depend only on the seed and the step; iteration gives steps 0, 1, 2...', async () => {
  const data = pairedImageFolders(path.join(tmp, 'pairs'));
  const make = (seed: number) => new ImagePatchSampler(data, { batchSize: 4, patchSize: 8, seed });
  const a = await make(1).next(5);
  expect((await make(1).next(5)).clean).toEqual(a.clean);
  expect((await make(1).next(6)).clean).not.toEqual(a.clean);
  expect((await make(2).next(5)).clean).not.toEqual(a.clean);
  const iterator = make(1)[Symbol.asyncIterator]();
  expect((await iterator.next()).value.clean).toEqual((await make(1).next(0)).clean);
  expect((await iterator.next()).value.clean).toEqual((await make(1).next(1)).clean);
});

test('on-the-fly degradation: noise of σ and rain, seeded, new noise at every draw', async () => {
  const noisy = degradedImages(path.join(tmp, 'photos'), { kind: 'noise', sigma: 20 });
  const sampler = new ImagePatchSampler(noisy, { batchSize: 16, patchSize: 16, seed: 3 });
  const batch = await sampler.next(0);
  expect((await sampler.next(0)).degraded).toEqual(batch.degraded);
  let sq = 0;
  for (let i = 0; i < batch.clean.length; i++) sq += ((batch.degraded[i] - batch.clean[i]) * 255) ** 2;
  const std = Math.sqrt(sq / batch.clean.length);
  expect(std).toBeGreaterThan(15); // σ = 20, less where clipping at 0 and 255 bites
  expect(std).toBeLessThan(21);
  const rainy = await new ImagePatchSampler(degradedImages(path.join(tmp, 'photos'), { kind: 'rain', density: 200 }), {
    batchSize: 4,
    patchSize: 16,
  }).next(0);
  expect(rainy.degraded.every((v, i) => v >= rainy.clean[i] - 1e-6)).toBe(true);
  expect(rainy.degraded.some((v, i) => v > rainy.clean[i] + 0.03)).toBe(true);
});

test('bad corpora and options reject with E_INPUT or E_IO', async () => {
  fs.mkdirSync(path.join(tmp, 'lonely/clean'), { recursive: true });
  fs.mkdirSync(path.join(tmp, 'lonely/degraded'), { recursive: true });
  await writeImage(path.join(tmp, 'lonely/clean/x.png'), randomImage(10, 10, 3, 1));
  expect(() => pairedImageFolders(path.join(tmp, 'lonely'))).toThrow(
    expect.objectContaining({ code: 'E_INPUT', message: expect.stringMatching(/no degraded twin/) }),
  );
  await writeImage(path.join(tmp, 'lonely/degraded/x.png'), randomImage(10, 11, 3, 1));
  const mismatched = new ImagePatchSampler(pairedImageFolders(path.join(tmp, 'lonely')), { batchSize: 1, patchSize: 4 });
  await expect(mismatched.next(0)).rejects.toMatchObject({ code: 'E_INPUT', message: expect.stringMatching(/10×10, degraded 10×11/) });
  expect(() => degradedImages(path.join(tmp, 'lonely/nothing'), { kind: 'noise', sigma: 1 })).toThrow(
    expect.objectContaining({ code: 'E_IO' }),
  );
  fs.mkdirSync(path.join(tmp, 'empty'));
  expect(() => degradedImages(path.join(tmp, 'empty'), { kind: 'noise', sigma: 1 })).toThrow(expect.objectContaining({ code: 'E_INPUT' }));
  expect(() => degradedImages(path.join(tmp, 'photos'), { kind: 'noise', sigma: -2 })).toThrow(
    expect.objectContaining({ code: 'E_INPUT' }),
  );
  expect(() => degradedImages(path.join(tmp, 'photos'), { kind: 'haze' } as never)).toThrow(expect.objectContaining({ code: 'E_INPUT' }));
  const photos = degradedImages(path.join(tmp, 'photos'), { kind: 'noise', sigma: 5 });
  expect(() => new ImagePatchSampler(photos, { batchSize: 0, patchSize: 8 })).toThrow(expect.objectContaining({ code: 'E_INPUT' }));
  expect(() => new ImagePatchSampler(photos, { batchSize: 1, patchSize: 8, channels: 2 as 1 })).toThrow(
    expect.objectContaining({ code: 'E_INPUT' }),
  );
  expect(() => new ImagePatchSampler(photos, { batchSize: 1, patchSize: 8, sede: 1 } as never)).toThrow(
    expect.objectContaining({ code: 'E_INPUT' }),
  );
  fs.writeFileSync(path.join(tmp, 'empty/broken.png'), 'not a png');
  await expect(
    new ImagePatchSampler(degradedImages(path.join(tmp, 'empty'), { kind: 'noise', sigma: 1 }), { batchSize: 1, patchSize: 4 }).next(0),
  ).rejects.toMatchObject({
    code: 'E_IO',
  });
});
