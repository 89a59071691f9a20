/**
 * Image restoration end to end: trains an image model on clean photos degraded with Gaussian noise
 * on the fly (resuming from `--model` when it exists), then restores a noisy image and writes it,
 * plus a side-by-side of input and result.
 *
 *   node images.js --photos photos/ --model image.safetensors [--steps 5000] [--preset image-small]
 *                  noisy.png restored.png
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { createModel, degradedImages, loadModel, type PresetName, readImage, sideBySide, writeImage } from 'restoregrad';

export interface ImageRun {
  photos: string;
  model: string;
  steps: number;
  preset: PresetName;
  input: string;
  output: string;
}

/** Trains, saves, restores `input` into `output` and `output`'s `.side.png` twin; returns the restored size. */
export async function trainAndRestore(run: ImageRun): Promise<{ width: number; height: number }> {
  const model = existsSync(run.model) ? await loadModel(run.model) : await createModel({ preset: run.preset, seed: 1 });
  try {
    await model.train(degradedImages(run.photos, { kind: 'noise', sigma: 25 }), { steps: run.steps, batchSize: 8 });
    await model.save(run.model);
    const noisy = await readImage(run.input);
    // Fewer DDIM steps than the default 25: config.ddimFastSteps is the fast choice.
    const restored = await model.restore(noisy, { steps: model.config.ddimFastSteps, seed: 0 });
    await writeImage(run.output, restored);
    await writeImage(run.output.replace(/\.\w+$/, '.side.png'), sideBySide([noisy, restored]));
    return { width: restored.width, height: restored.height };
  } finally {
    await model.dispose();
  }
}

if (require.main === module) {
  const { values, positionals } = parseArgs({
    options: {
      photos: { type: 'string' },
      model: { type: 'string' },
      steps: { type: 'string', default: '5000' },
      preset: { type: 'string', default: 'image-small' },
    },
    allowPositionals: true,
  });
  if (!values.photos || !values.model || positionals.length !== 2) {
    console.error('usage: images --photos DIR --model MODEL.safetensors [--steps N] [--preset image-small] INPUT OUTPUT');
    process.exit(2);
  }
  const [input, output] = positionals;
  const run = {
    photos: values.photos,
    model: values.model,
    steps: Number(values.steps),
    preset: values.preset as PresetName,
    input,
    output,
  };
  trainAndRestore(run).then(
    ({ width, height }) => console.log(`restored ${width}×${height} into ${output}`),
    (err: Error) => {
      console.error(err.message);
      process.exitCode = 1;
    },
  );
}
