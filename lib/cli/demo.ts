import * as fs from 'node:fs';
import * as path from 'node:path';

import { readWav } from '../audio/files';
import { encodeWav } from '../audio/wav';
import { sideBySide } from '../image/compose';
import { addGaussianNoise } from '../image/degrade';
import type { Image } from '../image/image';
import { readImage, writeImage } from '../image/io';
import { psnr } from '../metrics/psnr';
import { score } from '../metrics/scores';
import { ssim } from '../metrics/ssim';
import { loadModel } from '../model';

/** Inputs the package ships (credits in `samples/README.md`). */
const samples = path.join(__dirname, '..', '..', 'samples');

/**
 * The shipped `speech` model on the shipped noisy recording (a test mixture of the speech corpus:
 * a voice and a noise no model saw in training): writes the noisy, restored and clean WAV files
 * and prints SI-SDR and STOI before and after.
 */
async function speechDemo(out: string): Promise<void> {
  const clean = await readWav(path.join(samples, 'speech-clean.wav'));
  const noisy = await readWav(path.join(samples, 'speech-noisy.wav'), clean.sampleRate);
  const model = await loadModel('speech');
  try {
    const restored = (await model.restore(noisy.samples, { seed: 1 })) as Float32Array;
    const wavs = { clean: clean.samples, noisy: noisy.samples, restored };
    for (const [name, samples] of Object.entries(wavs))
      fs.writeFileSync(path.join(out, `speech-${name}.wav`), encodeWav(samples, clean.sampleRate));
    const before = score(clean.samples, noisy.samples, clean.sampleRate);
    const after = score(clean.samples, restored, clean.sampleRate);
    console.log(
      `speech (${(noisy.samples.length / clean.sampleRate).toFixed(1)} s, unseen voice and noise, shipped speech model, ${model.config.fastBetas.length} steps):`,
    );
    console.log(
      `  SI-SDR ${before.siSdr.toFixed(2)} dB → ${after.siSdr.toFixed(2)} dB, STOI ${before.stoi.toFixed(3)} → ${after.stoi.toFixed(3)}`,
    );
  } finally {
    await model.dispose();
  }
}

/**
 * The shipped `image-denoise` model on the shipped photo with Gaussian noise of σ = 25: writes the
 * clean, noisy and restored PNGs and a side-by-side one, and prints PSNR and SSIM before and after.
 */
async function photoDemo(out: string): Promise<void> {
  const clean = await readImage(path.join(samples, 'photo.png'));
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

/** Restores the shipped noisy recording and the shipped photo with the shipped models, into `out`. */
export async function demo(options: { out: string }): Promise<void> {
  fs.mkdirSync(options.out, { recursive: true });
  await speechDemo(options.out);
  await photoDemo(options.out);
  console.log(`wrote speech-{noisy,restored,clean}.wav and photo-*.png to ${options.out}/`);
}
