/**
 * The image side of {@link Model}: restoring whole images by overlapping patches, and training on
 * random patches of an image dataset. Pixels cross to the addon as planar [C, H, W] floats in
 * [0, 1] ({@link imageToFloat}), the layout of its `restoreImage` and `trainImageStep`.
 */
import { newJobId } from '../batcher';
import type { ModelConfig } from '../config';
import { type ImageDataset, ImagePatchSampler } from '../data/images';
import { AbortError, fromNative, InputError } from '../errors';
import { asRestoration, type NativeModel } from '../native';
import { type ImageRestoration, imageSigma } from '../sigma';
import type { StepStats } from '../types';
import { checkBoolean, checkInt, checkKeys, checkNumber, checkSignalOption } from '../validate';
import { checkImage, floatToImage, type Image, imageToFloat, withChannels } from './image';
import { readImage } from './io';

/** What an image model restores: an {@link Image}, or a PNG, JPEG or WebP file as a path or its bytes. */
export type ImageInput = Image | string | Uint8Array;

/** Options of {@link Model.restore} for an image model. */
export interface ImageRestoreOptions {
  /** DDIM steps, 1 to `config.trainSteps` (default `config.ddimSteps`: 25 in the presets; `config.ddimFastSteps`, 10, is the fast choice). */
  steps?: number;
  /** DDIM η in [0, 1]: 0 deterministic given the seed, 1 DDPM-like (default `config.ddimEta`, 0). */
  eta?: number;
  /** Stride of the overlapping patch grid, 1 to `config.patchSize` (default `config.patchStride`); smaller is smoother and slower. */
  stride?: number;
  /** Seed of the sampling noise (default 0). Input i of an array uses seed + i. */
  seed?: number;
  /** Stops the native job before its next DDIM step with an {@link AbortError}. */
  signal?: AbortSignal;
  /** Use the EMA weights (default true). */
  useEma?: boolean;
  /**
   * Resolve to `{ restored, sigma }` ({@link ImageRestoration}): the restored image and the σ of
   * the prior its noise was drawn from, per pixel and channel, in 8-bit levels (default false).
   * Pass the literal `true` for the result's type to follow.
   */
  returnSigma?: boolean;
}

/** The option names of {@link ImageRestoreOptions}. */
export const imageRestoreKeys = ['steps', 'eta', 'stride', 'seed', 'signal', 'useEma', 'returnSigma'] as const;

/** The addon's limit on the pixels of one image. */
const MAX_PIXELS = 1 << 24;

/** What the image functions need of a model. */
export interface ImageModelParts {
  handle: NativeModel;
  config: ModelConfig;
  /** Throws `E_DISPOSED` once the model is disposed. */
  ensureOpen(): void;
}

/** A rough name of a value's type for error messages. */
function kindOf(x: unknown): string {
  if (x === null) return 'null';
  if (ArrayBuffer.isView(x)) return x.constructor.name;
  if (typeof x === 'string') return 'a file path';
  if (typeof x === 'object' && 'width' in x && 'data' in x) return 'an Image';
  return typeof x;
}

/** True for what a speech model should refuse as an image: an Image object, a path, or encoded bytes. */
export function looksLikeImage(x: unknown): boolean {
  return typeof x === 'string' || (x instanceof Uint8Array && !(x instanceof Float32Array)) || kindOf(x) === 'an Image';
}

/** True for an {@link ImageDataset} (`{length, patch()}`). */
export function isImageDataset(data: unknown): data is ImageDataset {
  return typeof data === 'object' && data !== null && typeof (data as ImageDataset).patch === 'function';
}

/**
 * The restored image in the input's size and channels from the addon's planar floats, with its σ
 * when the addon returned one.
 */
function imageResult(
  answer: { restored: Float32Array; sigma?: Float32Array },
  input: Image,
  modelChannels: 1 | 3,
): Image | ImageRestoration {
  const { width, height } = input;
  // A view in this realm: the addon's arrays may come from another one (a vm context, as under jest).
  const values = new Float32Array(answer.restored.buffer, answer.restored.byteOffset, answer.restored.length);
  const restored = withChannels(floatToImage(values, width, height, modelChannels), input.channels);
  if (!answer.sigma) return restored;
  return { restored, sigma: imageSigma(answer.sigma, width, height, modelChannels, input.channels) };
}

async function toImage(input: ImageInput, name: string): Promise<Image> {
  if (typeof input === 'string' || input instanceof Uint8Array) return readImage(input);
  if (typeof input !== 'object' || input === null || ArrayBuffer.isView(input))
    throw new InputError(
      `${name}: this is an image model: it restores an Image, a file path or a Buffer of a PNG/JPEG/WebP, got ${kindOf(input)}`,
    );
  return checkImage(input, name);
}

/**
 * Restores images one after another on the model's native thread. Each result has the size and
 * channels of its input: gray inputs of an RGB model are restored as RGB and reduced back to luma;
 * RGB inputs of a gray model are refused.
 */
export async function restoreImages(
  model: ImageModelParts,
  inputs: readonly unknown[],
  single: boolean,
  options: ImageRestoreOptions,
): Promise<(Image | ImageRestoration)[]> {
  checkKeys(options, imageRestoreKeys, 'image restore options');
  const c = model.config;
  if (inputs.length === 0) throw new InputError('no inputs to restore');
  const steps = checkInt(options.steps, 'steps', 1, c.trainSteps, c.ddimSteps);
  const eta = checkNumber(options.eta, 'eta', 0, 1, c.ddimEta);
  const stride = checkInt(options.stride, 'stride', 1, c.patchSize, c.patchStride);
  const seed = checkInt(options.seed, 'seed', 0, 2 ** 53 - 1 - inputs.length, 0);
  const signal = checkSignalOption(options.signal, 'signal');
  const useEma = options.useEma ?? true;
  if (typeof useEma !== 'boolean') throw new InputError('useEma must be a boolean');
  const returnSigma = checkBoolean(options.returnSigma, 'returnSigma', false);
  for (const [i, x] of inputs.entries())
    if (x instanceof Float32Array || Array.isArray(x))
      throw new InputError(
        `${single ? 'input' : `inputs[${i}]`}: this is an image model: it restores images (an Image, a file path or a Buffer), got ${Array.isArray(x) ? 'an array' : 'a Float32Array'}`,
      );

  const outputs: (Image | ImageRestoration)[] = [];
  for (const [i, input] of inputs.entries()) {
    const name = single ? 'input' : `inputs[${i}]`;
    if (signal?.aborted) throw new AbortError();
    const image = await toImage(input as ImageInput, name);
    if (image.channels === 3 && c.imageChannels === 1)
      throw new InputError(`${name} is RGB but the model restores gray images: convert it with withChannels(image, 1)`);
    if (image.width * image.height > MAX_PIXELS)
      throw new InputError(`${name} is ${image.width}×${image.height} pixels, more than the limit of ${MAX_PIXELS}`);
    model.ensureOpen();
    const channels = c.imageChannels as 1 | 3;
    const jobId = newJobId();
    const onAbort = () => model.handle.cancel(jobId);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal?.aborted) throw new AbortError();
      const answer = await model.handle
        .restoreImage(imageToFloat(withChannels(image, channels)), {
          channels,
          height: image.height,
          width: image.width,
          steps,
          eta,
          stride,
          seed: seed + i,
          useEma,
          jobId,
          returnSigma,
        })
        .catch((e: unknown) => {
          throw fromNative(e);
        });
      outputs.push(imageResult(asRestoration(answer), image, channels));
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }
  return outputs;
}

/**
 * One training step's work for an image model: the batch of global step `step` (random
 * `config.patchSize` patches, seeded by `seed` and the step), run by the addon.
 */
export function imageTrainSteps(
  model: ImageModelParts,
  data: unknown,
  batchSize: number,
  seed: number,
  lr: number,
): (step: number) => Promise<StepStats> {
  if (!isImageDataset(data))
    throw new InputError(
      `this is an image model: train it on an image dataset (pairedImageFolders(dir) or degradedImages(dir, degradation)), got ${Array.isArray(data) ? 'an array of pairs' : kindOf(data)}`,
    );
  const channels = model.config.imageChannels as 1 | 3;
  const sampler = new ImagePatchSampler(data, { batchSize, patchSize: model.config.patchSize, seed, channels });
  return async (step) => {
    const b = await sampler.next(step);
    model.ensureOpen();
    return model.handle.trainImageStep(b.clean, b.degraded, { batch: b.batch, channels: b.channels, size: b.size, lr });
  };
}
