/**
 * restoregrad: restore degraded signals with conditional diffusion models whose prior is learned
 * jointly with the model (RestoreGrad), on a LibTorch core.
 *
 * @packageDocumentation
 */

export type { ModelConfig, PresetName, PriorKind } from './config';
export { presets, resolveConfig } from './config';
export type { Pair, PairSource } from './data/batches';
export * from './errors';
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
