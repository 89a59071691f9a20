import * as fs from 'node:fs';
import * as path from 'node:path';

import { readWav } from '../audio/files';
import { encodeWav } from '../audio/wav';
import type { DefaultModelName } from '../defaults';
import { InputError } from '../errors';
import { imageExtensions, writeImage } from '../image/io';
import { listInputs } from '../inputs';
import { RestorePool } from '../pool';
import { writeFileAtomic } from '../write-atomic';
import { ProgressBar } from './progress';
import { sigmaEnvelope, sigmaHeatMap } from './sigma-map';

/**
 * The shipped model for these inputs when none is named: `speech` for WAV files, `image-denoise` for
 * images (folders by the files inside); `--model image-derain` removes rain instead.
 */
export function defaultModelForInputs(inputs: readonly string[]): DefaultModelName {
  const files = listInputs(inputs, ['.wav', ...Object.keys(imageExtensions)], 'WAV or image');
  const images = files.filter((f) => path.extname(f).toLowerCase() in imageExtensions).length;
  if (images === files.length) return 'image-denoise';
  if (images === 0) return 'speech';
  throw new InputError('WAV files and images take different models: restore them in separate runs');
}

/** Options of {@link restoreFiles}. */
export interface RestoreFilesOptions {
  /** A checkpoint or a shipped model's name; default: `speech` for WAV files, `image-denoise` for images. */
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
  /**
   * A PNG of the prior's σ for the single input of `output`: a heat map for an image, the σ
   * envelope over the input's waveform for speech.
   */
  sigmaMap?: string;
}

/** Refuses a σ map that is not a PNG, or that has no single input to belong to. */
function checkSigmaMap(o: RestoreFilesOptions): void {
  if (o.sigmaMap === undefined) return;
  if (o.output === undefined) throw new InputError('--sigma-map draws the σ of one input: give it with -o FILE');
  if (path.extname(o.sigmaMap).toLowerCase() !== '.png') throw new InputError(`--sigma-map writes PNG: name it *.png, not '${o.sigmaMap}'`);
}

/** Restores one image file into `target`; with `sigmaMap`, also writes the heat map of its σ there. */
async function restoreImageFile(pool: RestorePool, file: string, target: string, o: RestoreFilesOptions): Promise<void> {
  // The worker reads the file; the model's errors name it.
  const options = { steps: o.steps, seed: o.seed, eta: o.eta, stride: o.stride };
  if (o.sigmaMap === undefined) {
    await writeImage(target, await pool.restore(file, options));
    return;
  }
  const { restored, sigma } = await pool.restore(file, { ...options, returnSigma: true });
  await writeImage(target, restored);
  await writeImage(o.sigmaMap, sigmaHeatMap(sigma, restored.width, restored.height, restored.channels));
}

/** Restores one WAV file into `target`; with `sigmaMap`, also writes its σ envelope over the input's waveform there. */
async function restoreWavFile(pool: RestorePool, file: string, target: string, o: RestoreFilesOptions): Promise<void> {
  const audio = await readWav(file);
  const options = { steps: o.steps, seed: o.seed, sampleRate: audio.sampleRate };
  if (o.sigmaMap === undefined) {
    await writeFileAtomic(target, encodeWav(await pool.restore(audio.samples, options), audio.sampleRate)); // never a half-written output
    return;
  }
  const { restored, sigma } = await pool.restore(audio.samples, { ...options, returnSigma: true });
  await writeFileAtomic(target, encodeWav(restored, audio.sampleRate));
  await writeImage(o.sigmaMap, sigmaEnvelope(audio.samples, sigma));
}

/**
 * Restores WAV files (speech model) or PNG, JPEG and WebP images (image model) into `out`,
 * keeping their names and formats, through a {@link RestorePool}. A bounded number of files is
 * read and in flight at once, so a folder of any size needs bounded memory. Each output is
 * written to a temporary name and renamed, so it is never seen half-written.
 */
export async function restoreFiles(o: RestoreFilesOptions): Promise<void> {
  if ((o.out === undefined) === (o.output === undefined)) throw new InputError('name either an output folder or one output file');
  checkSigmaMap(o);
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
        await (image ? restoreImageFile : restoreWavFile)(pool, file, target, o);
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
