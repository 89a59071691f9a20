import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import {
  addGaussianNoise,
  addRain,
  cropImage,
  defaultModelNames,
  encodeWav,
  type Image,
  loadModel,
  psnr,
  readImage,
  writeImage,
} from '../lib';

const run = promisify(execFile);
const cli = path.join(__dirname, '../dist/cli/main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-defaults-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// A held-out photo the package ships, small enough for a quick restoration.
const heldOutCrop = async () => cropImage(await readImage(path.join(__dirname, '../samples/photo.png')), 16, 16, 64);

async function noisyPhoto() {
  const clean = await heldOutCrop();
  return { clean, noisy: addGaussianNoise(clean, 25, 7) };
}

test('the shipped image-denoise model opens by name and removes σ = 25 noise from a held-out photo', async () => {
  expect(defaultModelNames).toEqual(['image-denoise', 'image-derain']);
  const model = await loadModel('image-denoise', { threads: 2 });
  expect(model.config.modality).toBe('image');
  expect(model.config.imageTarget).toBe('v');
  const { clean, noisy } = await noisyPhoto();
  const restored = (await model.restore(noisy, { steps: model.config.ddimFastSteps, seed: 1 })) as Image;
  expect([restored.width, restored.height, restored.channels]).toEqual([64, 64, 3]);
  expect(psnr(clean, restored) - psnr(clean, noisy)).toBeGreaterThan(3);
  await model.dispose();
});

test('the shipped image-derain model opens by name and removes synthetic rain from a held-out photo', async () => {
  const model = await loadModel('image-derain', { threads: 2 });
  expect(model.config.modality).toBe('image');
  const clean = await heldOutCrop();
  const rainy = addRain(clean, { seed: 3 });
  const restored = (await model.restore(rainy, { steps: model.config.ddimFastSteps, seed: 1 })) as Image;
  expect([restored.width, restored.height, restored.channels]).toEqual([64, 64, 3]);
  expect(psnr(clean, restored) - psnr(clean, rainy)).toBeGreaterThan(4);
  await model.dispose();
});

test('restore picks the shipped denoiser for images when no --model is named, and refuses WAV without one', async () => {
  const { noisy } = await noisyPhoto();
  const input = path.join(tmp, 'noisy.png');
  await writeImage(input, noisy);
  const output = path.join(tmp, 'out', 'restored.webp');
  await run('node', [cli, 'restore', '-o', output, '--steps', '3', input]);
  const restored = await readImage(output);
  expect([restored.width, restored.height]).toEqual([64, 64]);
  const wav = path.join(tmp, 'noisy.wav');
  fs.writeFileSync(wav, encodeWav(new Float32Array(1600), 16000));
  await expect(run('node', [cli, 'restore', '-o', path.join(tmp, 'x.wav'), wav])).rejects.toMatchObject({
    code: 1,
    stderr: expect.stringMatching(/name --model/),
  });
});
