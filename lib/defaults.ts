/**
 * The trained models shipped in the package (`models/`, each with its card in `models/README.md`),
 * opened by name wherever a checkpoint path is taken: `loadModel('speech')`,
 * `RestorePool.open({ model: 'image-denoise' })`, `restoregrad restore --model image-derain`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Names of the shipped models. */
export const defaultModelNames = ['speech', 'image-denoise', 'image-derain'] as const;

/** A shipped model's name: `speech` (16 kHz enhancement), `image-denoise` or `image-derain`. */
export type DefaultModelName = (typeof defaultModelNames)[number];

/** The folder holding the shipped models and their cards. */
export const modelsDir = path.join(__dirname, '..', 'models');

export function isDefaultModelName(name: unknown): name is DefaultModelName {
  return typeof name === 'string' && (defaultModelNames as readonly string[]).includes(name);
}

/**
 * The checkpoint a model argument names: a shipped model's file for one of
 * {@link defaultModelNames} (write `./speech` for a file of that name in the working directory),
 * anything else unchanged.
 */
export function resolveModelPath(model: string): string {
  return isDefaultModelName(model) ? path.join(modelsDir, `${model}.safetensors`) : model;
}

/** The shipped model for a file, by its extension: `speech` for WAV, `image-denoise` for images. */
export function defaultModelFor(file: string): DefaultModelName {
  return path.extname(file).toLowerCase() === '.wav' ? 'speech' : 'image-denoise';
}

/** Whether the shipped model `name` is present (a source checkout may lack its files). */
export function hasDefaultModel(name: DefaultModelName): boolean {
  return fs.existsSync(resolveModelPath(name));
}
