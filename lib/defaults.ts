/**
 * The trained models shipped in the package (`models/`, each with its card in `models/README.md`),
 * opened by name wherever a checkpoint path is taken: `loadModel('speech')`,
 * `RestorePool.open({ model: 'image-derain' })`, `restoregrad restore --model image-derain`.
 */
import * as path from 'node:path';

/** Names of the shipped models. */
export const defaultModelNames = ['speech', 'image-denoise', 'image-derain'] as const;

/**
 * A shipped model's name: `speech` (16 kHz speech in noise), `image-denoise` (photos with Gaussian
 * noise) or `image-derain` (photos with rain streaks).
 */
export type DefaultModelName = (typeof defaultModelNames)[number];

/** The folder holding the shipped models and their cards. */
export const modelsDir = path.join(__dirname, '..', 'models');

/** True for the names of the shipped models. */
export function isDefaultModelName(name: unknown): name is DefaultModelName {
  return typeof name === 'string' && (defaultModelNames as readonly string[]).includes(name);
}

/**
 * The checkpoint a model argument names: a shipped model's file for one of
 * {@link defaultModelNames} (write `./image-denoise` for a file of that name in the working directory),
 * anything else unchanged.
 */
export function resolveModelPath(model: string): string {
  return isDefaultModelName(model) ? path.join(modelsDir, `${model}.safetensors`) : model;
}
