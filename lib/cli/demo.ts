import * as fs from 'node:fs';
import * as path from 'node:path';

import { addNoise, synthVoice } from '../audio/synth';
import { encodeWav } from '../audio/wav';
import type { PriorKind } from '../config';
import { InputError } from '../errors';
import { sideBySide } from '../image/compose';
import { addGaussianNoise } from '../image/degrade';
import type { Image } from '../image/image';
import { readImage, writeImage } from '../image/io';
import { psnr } from '../metrics/psnr';
import { siSdr } from '../metrics/sisdr';
import { ssim } from '../metrics/ssim';
import { createModel, loadModel } from '../model';
import { ProgressBar } from './progress';

const RATE = 16000;

/** A photo the package ships (credit in `samples/README.md`). */
const samplePhoto = path.join(__dirname, '..', '..', 'samples', 'photo.png');

/**
 * The shipped `image-denoise` model on the shipped photo with Gaussian noise of σ = 25: writes the
 * clean, noisy and restored PNGs and a side-by-side one, and prints PSNR and SSIM before and after.
 */
async function photoDemo(out: string): Promise<void> {
  const clean = await readImage(samplePhoto);
  const noisy = addGaussianNoise(clean, 25, 1);
  const model = await loadModel('image-denoise');
  try {
    const steps = model.config.ddimFastSteps;
    const restored = (await model.restore(noisy, { steps, seed: 1 })) as Image;
    for (const [name, image] of Object.entries({ clean, noisy, restored })) await writeImage(path.join(out, `photo-${name}.png`), image);
    await writeImage(path.join(out, 'photo-side-by-side.png'), sideBySide([noisy, restored, clean]));
    console.log(`photo (${clean.width}×${clean.height}, noise σ = 25, shipped image-denoise model, ${steps} DDIM steps):`);
    console.log(
      `  PSNR ${psnr(clean, noisy).toFixed(2)} dB → ${psnr(clean, restored).toFixed(2)} dB, SSIM ${ssim(clean, noisy).toFixed(3)} → ${ssim(clean, restored).toFixed(3)}`,
    );
  } finally {
    await model.dispose();
  }
}

/**
 * Trains a `speech-tiny` model on synthetic voices in white noise, restores a held-out voice and
 * writes clean, noisy and restored WAV files with the model beside them; then restores a noisy
 * photo with the shipped `image-denoise` model.
 */
export async function demo(options: { out: string; steps: number; prior?: string }): Promise<void> {
  const prior = (options.prior ?? 'learned') as PriorKind;
  if (!Number.isInteger(options.steps) || options.steps < 1) throw new InputError('--steps must be a positive integer');
  fs.mkdirSync(options.out, { recursive: true });
  const pairs = Array.from({ length: 12 }, (_, i) => {
    const clean = synthVoice({ seconds: 2, sampleRate: RATE, f0: 90 + 15 * i, seed: 100 + i });
    return { clean, degraded: addNoise(clean, 5 - (i % 4) * 3, 200 + i) };
  });
  const clean = synthVoice({ seconds: 3, sampleRate: RATE, f0: 140, seed: 7 });
  const noisy = addNoise(clean, 2, 8);

  const model = await createModel({ preset: 'speech-tiny', prior, seed: 1 });
  const bar = new ProgressBar(`training speech-tiny (${prior} prior)`, options.steps);
  await model.train(pairs, {
    steps: options.steps,
    batchSize: 8,
    lr: 2e-3,
    onProgress: (p) => bar.update(p.step, `loss ${p.loss.toFixed(3)}`),
  });
  const restored = await model.restore(noisy, { steps: 6, seed: 1 });
  const files = { clean: 'clean.wav', noisy: 'noisy.wav', restored: 'restored.wav' };
  fs.writeFileSync(path.join(options.out, files.clean), encodeWav(clean, RATE));
  fs.writeFileSync(path.join(options.out, files.noisy), encodeWav(noisy, RATE));
  fs.writeFileSync(path.join(options.out, files.restored), encodeWav(restored, RATE));
  await model.save(path.join(options.out, 'model.safetensors'));
  await model.dispose();
  console.log(`SI-SDR of the noisy input:  ${siSdr(clean, noisy).toFixed(2)} dB`);
  console.log(`SI-SDR after restoration:   ${siSdr(clean, restored).toFixed(2)} dB (6 sampling steps)`);
  await photoDemo(options.out);
  console.log(`wrote ${Object.values(files).join(', ')}, model.safetensors and photo-*.png to ${options.out}/`);
}
