import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { addGaussianNoise, addRain } from '../lib/image/degrade';
import { cropImage, type Image } from '../lib/image/image';
import { encodeImage, readImage } from '../lib/image/io';
import { psnr } from '../lib/metrics/psnr';
import { ssim } from '../lib/metrics/ssim';

import { randomImage } from './fixtures/images';

const skimageData = '/usr/lib/python3/dist-packages/skimage/data';

/** A crop of one of scikit-image's sample photos (`left`, `top`, `size`). */
async function photo(name: string, left: number, top: number, size: number): Promise<Image> {
  return cropImage(await readImage(path.join(skimageData, name)), left, top, size);
}

/** Scores by scikit-image of each pair, computed now by Debian's python3-skimage. */
function skimageScores(pairs: [Image, Image][]): Record<'psnr' | 'ssim' | 'psnrY' | 'ssimY', number>[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-image-metrics-'));
  try {
    const jobs = pairs.map(([a, b], i) => {
      const reference = path.join(dir, `${i}-a.raw`);
      const test = path.join(dir, `${i}-b.raw`);
      fs.writeFileSync(reference, a.data);
      fs.writeFileSync(test, b.data);
      return { reference, test, width: a.width, height: a.height, channels: a.channels };
    });
    const out = execFileSync('/usr/bin/python3', [path.join(__dirname, 'fixtures/image/ref_metrics.py')], {
      input: JSON.stringify(jobs),
      encoding: 'utf8',
    });
    return JSON.parse(out, (_, v) => (v === 'inf' ? Number.POSITIVE_INFINITY : v));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('PSNR and SSIM on RGB and on Y agree with scikit-image to 1e-9', async () => {
  const astronaut = await photo('astronaut.png', 180, 40, 96);
  const coffee = await photo('coffee.png', 300, 120, 64);
  const camera = await photo('camera.png', 200, 100, 80); // gray
  const odd = randomImage(13, 29, 3, 7);
  const smallest = randomImage(11, 11, 3, 8);
  const jpeg = await readImage(await encodeImage(coffee, 'jpeg', { quality: 30 }));
  const cases: [string, Image, Image][] = [
    ['random RGB vs noise', randomImage(40, 24, 3, 1), randomImage(40, 24, 3, 2)],
    ['astronaut + noise σ=25', astronaut, addGaussianNoise(astronaut, 25, 3)],
    ['astronaut + rain', astronaut, addRain(astronaut, { seed: 4 })],
    ['coffee as JPEG q30', coffee, jpeg],
    ['camera (gray) + noise σ=10', camera, addGaussianNoise(camera, 10, 5)],
    ['odd 13×29', odd, addGaussianNoise(odd, 40, 6)],
    ['smallest 11×11', smallest, addGaussianNoise(smallest, 15, 9)],
    ['gray random 17×12', randomImage(17, 12, 1, 10), randomImage(17, 12, 1, 11)],
  ];
  const reference = skimageScores(cases.map(([, a, b]) => [a, b]));
  cases.forEach(([name, a, b], i) => {
    const ours = { psnr: psnr(a, b), ssim: ssim(a, b), psnrY: psnr(a, b, { channel: 'y' }), ssimY: ssim(a, b, { channel: 'y' }) };
    for (const key of ['psnr', 'ssim', 'psnrY', 'ssimY'] as const)
      expect({ name, key, close: Math.abs(ours[key] - reference[i][key]) < 1e-9 }).toEqual({ name, key, close: true });
    expect(ours.ssim).toBeLessThan(0.999); // every pair differs: the comparisons are not trivial
  });
});

test('a folder against itself: PSNR is +Infinity and SSIM 1, on RGB and Y; scikit-image agrees', () => {
  const a = randomImage(20, 15, 3, 12);
  const [ref] = skimageScores([[a, a]]);
  expect(ref.psnr).toBe(Number.POSITIVE_INFINITY);
  expect(psnr(a, a)).toBe(Number.POSITIVE_INFINITY);
  expect(psnr(a, a, { channel: 'y' })).toBe(Number.POSITIVE_INFINITY);
  expect(ssim(a, a)).toBeCloseTo(1, 12);
  expect(ssim(a, a, { channel: 'y' })).toBeCloseTo(1, 12);
});

test('PSNR of a constant offset is 20·log10(255/offset); on Y the offset is scaled by the luma weights', () => {
  const a = { data: new Uint8Array(30 * 20 * 3).fill(100), width: 30, height: 20, channels: 3 as const };
  const b = { ...a, data: a.data.map((v) => v + 5) };
  expect(psnr(a, b)).toBeCloseTo(20 * Math.log10(255 / 5), 12);
  // Y moves by 5·(65.481 + 128.553 + 24.966)/255 = 5·219/255.
  expect(psnr(a, b, { channel: 'y' })).toBeCloseTo(20 * Math.log10(255 / ((5 * 219) / 255)), 10);
});

test('image metrics reject mismatched or too small images with E_INPUT', () => {
  const a = randomImage(12, 12, 3, 1);
  expect(() => psnr(a, randomImage(12, 13, 3, 1))).toThrow(
    expect.objectContaining({ code: 'E_INPUT', message: expect.stringMatching(/differ in shape/) }),
  );
  expect(() => psnr(a, randomImage(12, 12, 1, 1))).toThrow(expect.objectContaining({ code: 'E_INPUT' }));
  expect(() => ssim(randomImage(10, 40, 1, 1), randomImage(10, 40, 1, 2))).toThrow(
    expect.objectContaining({ code: 'E_INPUT', message: expect.stringMatching(/at least 11×11/) }),
  );
  expect(() => psnr(a, a, { channel: 'Y' as 'y' })).toThrow(expect.objectContaining({ code: 'E_INPUT' }));
  expect(() => psnr(a, { ...a, data: a.data.subarray(1) })).toThrow(expect.objectContaining({ code: 'E_INPUT' }));
});
