/**
 * Model configurations and presets. The fields, their types, docs and defaults come from the native
 * core's config table (lib/config-fields.ts is generated from it), and the core validates every
 * config, so that both sides accept and refuse the same configs with the same messages.
 */
import { imageDefaults, type ModelConfig, speechDefaults } from './config-fields';
import { ConfigError, fromNative } from './errors';
import { native } from './native';

export type { ModelConfig };

/** Which noise prior the diffusion model uses. */
export type PriorKind = ModelConfig['prior'];

/** What a model restores: mono audio (CDiffuSE's network) or images (WeatherDiff's patch UNet). */
export type Modality = ModelConfig['modality'];

/** Named configurations. */
export type PresetName = 'speech-tiny' | 'speech-small' | 'speech-base' | 'image-tiny' | 'image-small' | 'image-base';

/** CDiffuSE Base: 30 layers × 64 channels, ≈4.28 M parameters, Base encoders (≈93 k each): the core's speech defaults. */
const base: Readonly<ModelConfig> = speechDefaults;

/** WeatherDiff64: 64×64 patches, width 128, 2 blocks a level, attention at 16×16, T = 1000, linear β 1e-4..0.02; a v target. */
const imageBase: Readonly<ModelConfig> = {
  ...imageDefaults,
  lr: 2e-5,
  // WeatherDiff predicts ε; v trains far faster here (bench/results/default-models-gpu.md).
  imageTarget: 'v',
};

/**
 * The presets. `*-tiny` are for tests; `*-small` train on a laptop CPU; `*-base` are the paper's
 * (CDiffuSE Base for speech, WeatherDiff64 for images, ≈110 M parameters: a GPU's work).
 */
export const presets: Readonly<Record<PresetName, Readonly<ModelConfig>>> = {
  'speech-tiny': {
    ...base,
    residualLayers: 4,
    residualChannels: 16,
    dilationCycle: 4,
    nFft: 256,
    hop: 64,
    upsampler: 'repeat',
    embeddingHidden: 64,
    encoderWidth: 4,
    encoderBlocks: 1,
    lr: 1e-3,
  },
  'speech-small': {
    ...base,
    residualLayers: 12,
    residualChannels: 32,
    dilationCycle: 6,
    upsampler: 'repeat',
    embeddingHidden: 256,
    encoderWidth: 8,
  },
  'speech-base': base,
  'image-tiny': {
    ...imageBase,
    patchSize: 16,
    unetWidth: 16,
    unetMultipliers: [1, 2],
    unetResBlocks: 1,
    attentionResolutions: [8],
    patchStride: 8,
    encoderWidth: 4,
    encoderBlocks: 1,
    lr: 1e-3,
  },
  'image-small': {
    ...imageBase,
    patchSize: 32,
    unetWidth: 32,
    unetMultipliers: [1, 2, 2],
    unetResBlocks: 1,
    attentionResolutions: [8],
    patchStride: 16,
    encoderWidth: 8,
    encoderBlocks: 2,
    lr: 2e-4,
  },
  'image-base': imageBase,
};

/** Default training crop: 62 frames, CDiffuSE's 15,872 samples at hop 256. */
export function defaultCropLength(config: Pick<ModelConfig, 'hop'>): number {
  return 62 * config.hop;
}

/** True for the names of the presets. */
export function isPresetName(name: unknown): name is PresetName {
  return typeof name === 'string' && Object.hasOwn(presets, name);
}

/**
 * Merges `overrides` over a preset (default `speech-small`) and checks every field: unknown
 * names (a misspelt option), wrong types and out-of-range values throw {@link ConfigError}.
 */
export function resolveConfig(preset: PresetName | undefined, overrides: Partial<ModelConfig> = {}): ModelConfig {
  if (preset !== undefined && !isPresetName(preset))
    throw new ConfigError(`unknown preset '${String(preset)}'; use one of ${Object.keys(presets).join(', ')}`);
  if (typeof overrides !== 'object' || overrides === null) throw new ConfigError('config must be an object');
  const start = presets[preset ?? 'speech-small'];
  for (const key of Object.keys(overrides)) if (!(key in start)) throw new ConfigError(`unknown config field '${key}'`);
  // Lists are copied so that no config shares an array with a preset; a non-list is left for the core to refuse.
  const copy = <T>(v: T): T => (Array.isArray(v) ? ([...v] as T) : v);
  const config: ModelConfig = {
    ...start,
    ...overrides,
    fastBetas: copy(overrides.fastBetas ?? start.fastBetas),
    fast3Betas: copy(overrides.fast3Betas ?? start.fast3Betas),
    unetMultipliers: copy(overrides.unetMultipliers ?? start.unetMultipliers),
    attentionResolutions: copy(overrides.attentionResolutions ?? start.attentionResolutions),
  };
  validateConfig(config);
  return config;
}

/** Throws {@link ConfigError} naming the first invalid field, as the native core words it. */
export function validateConfig(c: ModelConfig): void {
  try {
    native().validateConfig(JSON.stringify(c));
  } catch (err) {
    throw fromNative(err);
  }
}
