import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { addGaussianNoise } from '../lib/image/degrade';
import { cropImage } from '../lib/image/image';
import { readImage, writeImage } from '../lib/image/io';
import { psnr } from '../lib/metrics/psnr';
import { ssim } from '../lib/metrics/ssim';

const run = promisify(execFile);
const cli = path.join(__dirname, '../dist/cli/main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-image-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const skimageData = '/usr/lib/python3/dist-packages/skimage/data';
const folder = (sub: string) => path.join(tmp, sub);

beforeAll(async () => {
  const photos = [
    ['astronaut.png', cropImage(await readImage(path.join(skimageData, 'astronaut.png')), 150, 30, 64)],
    ['camera.png', cropImage(await readImage(path.join(skimageData, 'camera.png')), 200, 100, 48)], // gray
    ['coffee.webp', cropImage(await readImage(path.join(skimageData, 'coffee.png')), 250, 100, 40)],
  ] as const;
  for (const sub of ['clean', 'noisy', 'restored']) fs.mkdirSync(folder(sub));
  for (const [i, [name, image]] of photos.entries()) {
    await writeImage(path.join(folder('clean'), name), image);
    await writeImage(path.join(folder('noisy'), name), addGaussianNoise(image, 25, i));
    await writeImage(path.join(folder('restored'), name), addGaussianNoise(image, 5, i));
  }
});

test('eval on image folders: PSNR and SSIM on RGB and Y per file, means, gain over the noisy input', async () => {
  const args = ['eval', '--clean', folder('clean'), '--restored', folder('restored'), '--noisy', folder('noisy')];
  const json = JSON.parse((await run('node', [cli, ...args, '--json'])).stdout);
  expect(json.files.map((f: { name: string }) => f.name)).toEqual(['astronaut.png', 'camera.png', 'coffee.webp']);
  const clean = await readImage(path.join(folder('clean'), 'camera.png'));
  const restored = await readImage(path.join(folder('restored'), 'camera.png'));
  expect(json.files[1].restored).toEqual({
    psnr: psnr(clean, restored),
    ssim: ssim(clean, restored),
    psnrY: psnr(clean, restored, { channel: 'y' }),
    ssimY: ssim(clean, restored, { channel: 'y' }),
  });
  const { restored: r, noisy: n } = json.mean;
  // σ 25 → 5 is 20·log10(5) ≈ 14 dB less noise power (less where σ = 25 clips at 0 and 255).
  expect(r.psnr - n.psnr).toBeGreaterThan(12);
  expect(r.psnr - n.psnr).toBeLessThan(15);
  expect(r.ssim).toBeGreaterThan(n.ssim);
  expect(r.ssimY).toBeGreaterThan(n.ssimY);
  const text = (await run('node', [cli, ...args])).stdout;
  expect(text).toMatch(/^file\s+PSNR\s+SSIM\s+PSNR-Y\s+SSIM-Y$/m);
  expect(text).toMatch(/^camera\.png\s+\d\d\.\d\d\s+0\.\d{4}/m);
  expect(text).toMatch(/^improvement\s+1[2-4]\.\d\d\s+0\.\d{4}/m);
});

test('eval of a folder against itself: PSNR Infinity and SSIM 1', async () => {
  const args = ['eval', '--clean', folder('clean'), '--restored', folder('clean')];
  const json = JSON.parse((await run('node', [cli, ...args, '--json'])).stdout);
  expect(json.mean.restored).toEqual({ psnr: 'Infinity', ssim: 1, psnrY: 'Infinity', ssimY: 1 });
  expect((await run('node', [cli, ...args])).stdout).toMatch(/^mean \(restored\)\s+Infinity\s+1\.0000\s+Infinity\s+1\.0000$/m);
});

test('eval refuses mixed, empty and mismatched folders', async () => {
  fs.mkdirSync(folder('mixed'));
  fs.copyFileSync(path.join(folder('clean'), 'camera.png'), path.join(folder('mixed'), 'camera.png'));
  fs.writeFileSync(path.join(folder('mixed'), 'a.wav'), '');
  const evaluate = (restored: string) => run('node', [cli, 'eval', '--clean', folder('clean'), '--restored', restored]);
  await expect(evaluate(folder('mixed'))).rejects.toMatchObject({
    code: 1,
    stderr: expect.stringMatching(/E_INPUT: .*both WAV files and images/),
  });
  fs.mkdirSync(folder('none'));
  await expect(evaluate(folder('none'))).rejects.toMatchObject({
    code: 1,
    stderr: expect.stringMatching(/E_INPUT: no WAV files or images/),
  });
  fs.mkdirSync(folder('other'));
  await writeImage(path.join(folder('other'), 'camera.png'), { data: new Uint8Array(48 * 47), width: 48, height: 47, channels: 1 });
  await expect(evaluate(folder('other'))).rejects.toMatchObject({
    code: 1,
    stderr: expect.stringMatching(/E_INPUT: PSNR: the images differ in shape/),
  });
  await writeImage(path.join(folder('other'), 'nameless.png'), { data: new Uint8Array(3), width: 1, height: 1, channels: 3 });
  fs.rmSync(path.join(folder('other'), 'camera.png'));
  await expect(evaluate(folder('other'))).rejects.toMatchObject({
    code: 1,
    stderr: expect.stringMatching(/E_IO: cannot read .*nameless\.png/),
  });
});
