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
  siSdr,
  writeImage,
} from '../lib';
import { readWav } from '../lib/audio/files';

const run = promisify(execFile);
const cli = path.join(__dirname, '../dist/cli/main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-defaults-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const samples = path.join(__dirname, '../samples');
// A held-out photo the package ships, small enough for a quick restoration.
const heldOutCrop = async () => cropImage(await readImage(path.join(samples, 'photo.png')), 16, 16, 64);

async function noisyPhoto() {
  const clean = await heldOutCrop();
  return { clean, noisy: addGaussianNoise(clean, 25, 7) };
}

test('the shipped speech model opens by name and raises the SI-SDR of the shipped noisy recording', async () => {
  expect(defaultModelNames).toEqual(['speech', 'image-denoise', 'image-derain']);
  const model = await loadModel('speech', { threads: 2 });
  expect(model.config.modality).toBe('speech');
  const clean = await readWav(path.join(samples, 'speech-clean.wav'));
  const noisy = await readWav(path.join(samples, 'speech-noisy.wav'), clean.sampleRate);
  const restored = (await model.restore(noisy.samples, { seed: 1 })) as Float32Array;
  expect(restored.length).toBe(noisy.samples.length);
  expect(siSdr(clean.samples, restored) - siSdr(clean.samples, noisy.samples)).toBeGreaterThan(0.5);
  await model.dispose();
});

test('the shipped image-denoise model opens by name and removes σ = 25 noise from a held-out photo', async () => {
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

test('restore picks the shipped denoiser for images and the speech model for WAV when no --model is named', async () => {
  const { noisy } = await noisyPhoto();
  const input = path.join(tmp, 'noisy.png');
  await writeImage(input, noisy);
  const output = path.join(tmp, 'out', 'restored.webp');
  await run('node', [cli, 'restore', '-o', output, '--steps', '3', input]);
  const restored = await readImage(output);
  expect([restored.width, restored.height]).toEqual([64, 64]);
  const wav = path.join(tmp, 'noisy.wav');
  const noisyWav = await readWav(path.join(samples, 'speech-noisy.wav'));
  fs.writeFileSync(wav, encodeWav(noisyWav.samples.subarray(0, 8000), noisyWav.sampleRate));
  await run('node', [cli, 'restore', '-o', path.join(tmp, 'clean.wav'), wav]);
  expect((await readWav(path.join(tmp, 'clean.wav'))).samples.length).toBe(8000);
  await expect(run('node', [cli, 'restore', '--out', path.join(tmp, 'mixed'), wav, input])).rejects.toMatchObject({
    code: 1,
    stderr: expect.stringMatching(/different models/),
  });
});

test('restoregrad demo restores the shipped recording and photo with the shipped models and prints their scores', async () => {
  const out = path.join(tmp, 'demo');
  const { stdout } = await run('node', [cli, 'demo', '--out', out]);
  expect(stdout).toMatch(/SI-SDR -?[\d.]+ dB → -?[\d.]+ dB, STOI [\d.]+ → [\d.]+/);
  expect(stdout).toMatch(/PSNR [\d.]+ dB → [\d.]+ dB/);
  for (const f of ['speech-noisy.wav', 'speech-restored.wav', 'speech-clean.wav', 'photo-restored.png', 'photo-side-by-side.png'])
    expect(fs.existsSync(path.join(out, f))).toBe(true);
  const restored = await readWav(path.join(out, 'speech-restored.wav'));
  expect(restored.samples.length).toBe((await readWav(path.join(samples, 'speech-noisy.wav'))).samples.length);
});
