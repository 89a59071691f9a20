import * as fs from 'node:fs';
import * as path from 'node:path';

import { readWav } from '../audio/files';
import { encodeWav } from '../audio/wav';
import { type DefaultModelName, defaultModelNames } from '../defaults';
import { InputError } from '../errors';
import { imageExtensions, writeImage } from '../image/io';
import { listInputs } from '../inputs';
import { RestorePool } from '../pool';
import { writeFileAtomic } from '../write-atomic';
import { ProgressBar } from './progress';

/**
 * The shipped model for these inputs when none is named: `image-denoise` when every input is an
 * image (folders by the files inside); `--model image-derain` removes rain instead. Speech has no
 * shipped model yet.
 */
export function defaultModelForInputs(inputs: readonly string[]): DefaultModelName {
  const files = listInputs(inputs, ['.wav', ...Object.keys(imageExtensions)], 'WAV or image');
  if (files.every((f) => path.extname(f).toLowerCase() in imageExtensions)) return 'image-denoise';
  throw new InputError(`name --model: the shipped models, ${defaultModelNames.join(' and ')}, restore PNG, JPEG and WebP images`);
}

/** Options of {@link restoreFiles}. */
export interface RestoreFilesOptions {
  /** A checkpoint or a shipped model's name; default: `image-denoise` for images. */
  model?: string;
  /** Folder of the outputs, named as their inputs; or `output`. */
  out?: string;
  /** The output file of a single input (its extension picks an image's format). */
  output?: string;
  inputs: string[];
  /** Sampling steps (default: the model's: 6 for speech, `config.ddimSteps` for images). */
  steps?: number;
  seed: number;
  /** DDIM η, image models only. */
  eta?: number;
  /** Patch grid stride, image models only. */
  stride?: number;
  /** Worker threads, one model each (default: the pool's). */
  workers?: number;
  /** Most inputs or chunks per native call in a worker (default 8). */
  batch?: number;
}

/**
 * Restores WAV files (speech model) or PNG, JPEG and WebP images (image model) into `out`,
 * keeping their names and formats, through a {@link RestorePool}. A bounded number of files is
 * read and in flight at once, so a folder of any size needs bounded memory. Each output is
 * written to a temporary name and renamed, so it is never seen half-written.
 */
export async function restoreFiles(o: RestoreFilesOptions): Promise<void> {
  if ((o.out === undefined) === (o.output === undefined)) throw new InputError('name either an output folder or one output file');
  const model = o.model ?? defaultModelForInputs(o.inputs);
  const pool = await RestorePool.open({ model, workers: o.workers, batching: { maxBatch: o.batch ?? 8 } });
  try {
    const image = pool.config.modality === 'image';
    if (!image && (o.eta !== undefined || o.stride !== undefined)) throw new InputError('--eta and --stride are for image models');
    const files = image ? listInputs(o.inputs, Object.keys(imageExtensions), 'PNG, JPEG or WebP') : listInputs(o.inputs, ['.wav'], 'WAV');
    if (o.output !== undefined && (o.inputs.length !== 1 || files.length !== 1 || fs.statSync(o.inputs[0]).isDirectory()))
      throw new InputError('an output file takes exactly one input file; name an output folder for more');
    if (o.output !== undefined && !image && path.extname(o.output).toLowerCase() !== '.wav')
      throw new InputError(`a speech model writes WAV: name the output file *.wav, not '${o.output}'`);
    const targetOf = (file: string) => o.output ?? path.join(o.out as string, path.basename(file));
    fs.mkdirSync(path.dirname(targetOf(files[0])), { recursive: true });
    const bar = new ProgressBar('restoring', files.length);
    let next = 0;
    let done = 0;
    const restoreNext = async (): Promise<void> => {
      for (let i = next++; i < files.length; i = next++) {
        const file = files[i];
        const target = targetOf(file);
        // Every file keeps the seed it would have alone, whatever restores beside it.
        if (image) {
          // The worker reads the file; the model's errors name it.
          await writeImage(target, await pool.restore(file, { steps: o.steps, seed: o.seed, eta: o.eta, stride: o.stride }));
        } else {
          const audio = await readWav(file);
          const restored = await pool.restore(audio.samples, { steps: o.steps, seed: o.seed, sampleRate: audio.sampleRate });
          await writeFileAtomic(target, encodeWav(restored, audio.sampleRate)); // never a half-written output
        }
        bar.update(++done, path.basename(file));
      }
    };
    // Images are restored one at a time per worker; speech inputs merge into batches there.
    const inFlight = pool.workers * (image ? 1 : (o.batch ?? 8)) * 2;
    await Promise.all(Array.from({ length: Math.min(inFlight, files.length) }, restoreNext));
  } finally {
    await pool.close();
  }
}
