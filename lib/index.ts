/**
 * restoregrad: restore degraded signals with conditional diffusion models whose prior is learned
 * jointly with the model (RestoreGrad), on a LibTorch core.
 *
 * Restoration over Redis (BullMQ) is the subpath `restoregrad/queue`, so that this entry point
 * does not load the queue library.
 *
 * @module restoregrad
 */

export type { Audio } from './audio/wav';
export { decodeWav, encodeWav } from './audio/wav';
export type { BatcherStats } from './batcher';
export type { Modality, ModelConfig, PresetName, PriorKind } from './config';
export { presets, resolveConfig } from './config';
export type { Dataset, Pair, PairSource } from './data/batches';
export type { MixOptions } from './data/folders';
export { mix, mixedSpeech, pairedFolders } from './data/folders';
export type { ImageBatch, ImageDataset, ImagePair, ImagePatchOptions } from './data/images';
export { degradedImages, ImagePatchSampler, pairedImageFolders } from './data/images';
export { type DefaultModelName, defaultModelNames } from './defaults';
export * from './errors';
export type { GroupMembership, GroupOptions } from './group';
export type { SideBySideOptions } from './image/compose';
export { sideBySide } from './image/compose';
export type { Degradation, RainOptions, Range } from './image/degrade';
export { addGaussianNoise, addRain, degrade } from './image/degrade';
export type { Image } from './image/image';
export { cropImage, floatToImage, imageToFloat, withChannels } from './image/image';
export type { ImageFormat, ReadImageOptions, WriteImageOptions } from './image/io';
export { DEFAULT_MAX_PIXELS, encodeImage, listImageFiles, readImage, writeImage } from './image/io';
export type { ImageInput, ImageRestoreOptions } from './image/model';
export * from './metrics';
export type {
  BatchingOptions,
  CreateModelOptions,
  LoadModelOptions,
  ParameterCount,
  RestoreOptions,
  RestoreStats,
  SaveOptions,
  StepStats,
  TrainOptions,
  TrainProgress,
  TrainResult,
} from './model';
export { createModel, loadModel, Model } from './model';
export type { NativeCounters } from './native';
export type { PoolStats, RestorePoolOptions } from './pool';
export { RestorePool } from './pool';
export type { Random } from './random';
export type { ImageRestoration, SpeechRestoration } from './sigma';
