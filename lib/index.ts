/**
 * restoregrad: restore degraded signals with conditional diffusion models whose prior is learned
 * jointly with the model (RestoreGrad), on a LibTorch core.
 *
 * @packageDocumentation
 */

export type { Audio } from './audio/wav';
export { decodeWav, encodeWav } from './audio/wav';
export type { ModelConfig, PresetName, PriorKind } from './config';
export { presets, resolveConfig } from './config';
export type { Dataset, Pair, PairSource } from './data/batches';
export type { MixOptions } from './data/folders';
export { mix, mixedSpeech, pairedFolders } from './data/folders';
export * from './errors';
export * from './metrics';
export type {
  CreateModelOptions,
  LoadModelOptions,
  ParameterCount,
  RestoreOptions,
  StepStats,
  TrainOptions,
  TrainProgress,
  TrainResult,
} from './model';
export { createModel, loadModel, Model } from './model';
