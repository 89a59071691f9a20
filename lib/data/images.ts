/**
 * Image corpora as training data: batches of random square patches, [B, C, P, P] floats in
 * [0, 1], from paired folders or from clean photos degraded on the fly. Images are read from
 * disk when a patch needs them, never all held in memory.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { InputError } from '../errors';
import { checkDegradation, type Degradation, degrade } from '../image/degrade';
import { cropImage, type Image, imageToFloat, withChannels } from '../image/image';
import { listImageFiles, type ReadImageOptions, readImage } from '../image/io';
import type { Random } from '../random';
import { checkInt, checkKeys } from '../validate';
import { stepRandom } from './batches';

/** A clean image and its degraded observation, pixel-aligned. */
export interface ImagePair {
  /** The target image. */
  clean: Image;
  /** The observation to restore, of the same size and channels. */
  degraded: Image;
}

/**
 * An image corpus read on demand: `patch(i, size, random)` loads image `i` and returns the same
 * random `size`×`size` window of its clean and degraded versions, drawing every random choice
 * (window, degradation seed) from `random`.
 */
export interface ImageDataset {
  /** Number of images; indices run from 0 to `length - 1`. */
  readonly length: number;
  /** The same random `size`×`size` window of image `index`, clean and degraded, drawn from `random`. */
  patch(index: number, size: number, random: Random): Promise<ImagePair>;
}

/** A random window of `size` inside a `width`×`height` image (at the corner when the image is smaller). */
function randomWindow(width: number, height: number, size: number, random: Random): [number, number] {
  return [random.int(Math.max(1, width - size + 1)), random.int(Math.max(1, height - size + 1))];
}

/**
 * The pairs `DIR/clean/NAME` ↔ `DIR/degraded/NAME` (PNG, JPEG or WebP; names relative to each
 * folder, searched recursively). Both images of a pair must have the same size.
 */
export function pairedImageFolders(dir: string, options?: ReadImageOptions): ImageDataset {
  const cleanDir = path.join(dir, 'clean');
  const degradedDir = path.join(dir, 'degraded');
  const names = listImageFiles(cleanDir).map((f) => path.relative(cleanDir, f));
  if (names.length === 0) throw new InputError(`no PNG, JPEG or WebP files in '${cleanDir}'`);
  const missing = names.filter((n) => !fs.existsSync(path.join(degradedDir, n)));
  if (missing.length > 0)
    throw new InputError(`${missing.length} clean images have no degraded twin, e.g. '${path.join(degradedDir, missing[0])}'`);
  return {
    length: names.length,
    async patch(i: number, size: number, random: Random): Promise<ImagePair> {
      const [clean, degraded] = await Promise.all([
        readImage(path.join(cleanDir, names[i]), options),
        readImage(path.join(degradedDir, names[i]), options),
      ]);
      if (clean.width !== degraded.width || clean.height !== degraded.height)
        throw new InputError(`'${names[i]}': clean is ${clean.width}×${clean.height}, degraded ${degraded.width}×${degraded.height}`);
      const [left, top] = randomWindow(clean.width, clean.height, size, random);
      return { clean: cropImage(clean, left, top, size), degraded: cropImage(degraded, left, top, size) };
    },
  };
}

/**
 * The clean images below `dir` (PNG, JPEG or WebP, recursively), each patch degraded as it is
 * drawn, with a new seed each time: Gaussian noise of σ (`{kind: 'noise', sigma: 25}`) or rain
 * (`{kind: 'rain', ...RainOptions}`). The window is cut first, so only the patch is degraded.
 */
export function degradedImages(dir: string, degradation: Degradation, options?: ReadImageOptions): ImageDataset {
  checkDegradation(degradation);
  const files = listImageFiles(dir);
  if (files.length === 0) throw new InputError(`no PNG, JPEG or WebP files in '${dir}'`);
  return {
    length: files.length,
    async patch(i: number, size: number, random: Random): Promise<ImagePair> {
      const image = await readImage(files[i], options);
      const [left, top] = randomWindow(image.width, image.height, size, random);
      const clean = cropImage(image, left, top, size);
      return { clean, degraded: degrade(clean, degradation, random.int(0x100000000)) };
    },
  };
}

/** A batch of patches: `batch` × `channels` × `size` × `size` floats in [0, 1] in each array ([B, C, P, P]). */
export interface ImageBatch {
  /** The clean patches, planar. */
  clean: Float32Array;
  /** The degraded patches, in the same layout. */
  degraded: Float32Array;
  /** Patches in the batch (B). */
  batch: number;
  /** Channels of each patch (C). */
  channels: 1 | 3;
  /** Side of each square patch in pixels (P). */
  size: number;
}

/** Options of {@link ImagePatchSampler}. */
export interface ImagePatchOptions {
  /** Patches per batch. */
  batchSize: number;
  /** Side of the square patches in pixels; images smaller than it are padded by edge replication. */
  patchSize: number;
  /** Seed of the draws (default 0). */
  seed?: number;
  /** Channels of the batch (default 3): gray images are repeated into RGB, RGB reduced to BT.601 luma for 1. */
  channels?: 1 | 3;
}

/**
 * Draws batches of random patches from an {@link ImageDataset}, uniformly over its images. The
 * batch of step `n` depends only on the seed and `n`, so training resumed at step `n` sees the
 * batches of a run that never stopped. Iterating gives the batches of steps 0, 1, 2, ... without end.
 */
export class ImagePatchSampler implements AsyncIterable<ImageBatch> {
  private readonly batchSize: number;
  private readonly patchSize: number;
  private readonly seed: number;
  private readonly channels: 1 | 3;

  constructor(
    private readonly dataset: ImageDataset,
    options: ImagePatchOptions,
  ) {
    if (!dataset || typeof dataset.patch !== 'function' || typeof dataset.length !== 'number')
      throw new InputError('the image dataset must be {length, patch(index, size, random)}, e.g. pairedImageFolders(dir)');
    if (dataset.length === 0) throw new InputError('the image dataset is empty');
    checkKeys(options, ['batchSize', 'patchSize', 'seed', 'channels'], 'image patch options');
    this.batchSize = checkInt(options?.batchSize, 'batchSize', 1, 4096);
    this.patchSize = checkInt(options?.patchSize, 'patchSize', 1, 4096);
    this.seed = checkInt(options.seed, 'seed', 0, 0xffffffff, 0);
    const channels = options.channels ?? 3;
    if (channels !== 1 && channels !== 3) throw new InputError(`channels must be 1 or 3, got ${String(channels)}`);
    this.channels = channels;
  }

  /** The batch of training step `step`. */
  async next(step: number): Promise<ImageBatch> {
    const random = stepRandom(this.seed, step);
    const { batchSize: batch, patchSize: size, channels } = this;
    const item = channels * size * size;
    const clean = new Float32Array(batch * item);
    const degraded = new Float32Array(batch * item);
    for (let b = 0; b < batch; b++) {
      const index = random.int(this.dataset.length);
      const pair = await this.dataset.patch(index, size, random);
      for (const im of [pair?.clean, pair?.degraded])
        if (im?.width !== size || im?.height !== size)
          throw new InputError(`image dataset: patch(${index}, ${size}) gave ${im?.width}×${im?.height}, not ${size}×${size}`);
      clean.set(imageToFloat(withChannels(pair.clean, channels)), b * item);
      degraded.set(imageToFloat(withChannels(pair.degraded, channels)), b * item);
    }
    return { clean, degraded, batch, channels, size };
  }

  /** The batches of steps 0, 1, 2, ... in turn. */
  async *[Symbol.asyncIterator](): AsyncIterator<ImageBatch> {
    for (let step = 0; ; step++) yield await this.next(step);
  }
}
