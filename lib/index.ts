/**
 * restoregrad: restore degraded signals with conditional diffusion models whose prior is learned
 * jointly with the model (RestoreGrad), on a LibTorch core.
 *
 * @packageDocumentation
 */
export { createModel, loadModel, Model } from './model';
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
export { presets, resolveConfig } from './config';
export type { ModelConfig, PresetName, PriorKind } from './config';
export type { Pair, PairSource } from './data/batches';
export * from './errors';
