/**
 * Model configurations and presets. The same fields, with the same names, are stored in every
 * checkpoint's metadata and validated again by the native core.
 */
import { ConfigError } from './errors';

/** Which noise prior the diffusion model uses. */
export type PriorKind = 'standard' | 'priorgrad' | 'learned';

/** What a model restores: mono audio (CDiffuSE's network) or images (WeatherDiff's patch UNet). */
export type Modality = 'speech' | 'image';

/** Everything that defines a model. */
export interface ModelConfig {
  /** `standard`: ε ~ N(0, I) (CDiffuSE); `priorgrad`: handcrafted Σ_y from frame energy; `learned`: RestoreGrad. */
  prior: PriorKind;
  /** `speech` or `image`; the fields of the other modality are kept but unused. */
  modality: Modality;
  /** Sample rate the model works at, in Hz. */
  sampleRate: number;
  /** Residual layers of the ε-network. */
  residualLayers: number;
  /** Channels of each residual layer. */
  residualChannels: number;
  /** Dilations cycle through 1, 2, ..., 2^(dilationCycle−1). */
  dilationCycle: number;
  /** FFT size of the conditioner's spectrogram. */
  nFft: number;
  /** Hop between spectrogram frames, in samples. */
  hop: number;
  /** `transposed`: CDiffuSE's learned ×256 upsampler; `repeat`: frames repeated (hop× cheaper projections). */
  upsampler: 'transposed' | 'repeat';
  /** Width of the step-embedding MLP. */
  embeddingHidden: number;
  /** First-stage width of the Prior/Posterior encoders (Tiny 8, Base 16, Large 32). */
  encoderWidth: number;
  /** Residual blocks per encoder stage (ResNet-20: 3). */
  encoderBlocks: number;
  /** Soft lower bound of log σ². */
  logVarMin: number;
  /** Soft upper bound of log σ². */
  logVarMax: number;
  /** PriorGrad's lower bound on σ. */
  priorgradFloor: number;
  /** σ of the standard prior's noise (1: CDiffuSE); other values make a fixed-scale control. */
  noiseScale: number;
  /** Diffusion steps of the training schedule. */
  trainSteps: number;
  /** First β of the linear training schedule. */
  betaStart: number;
  /** Last β of the linear training schedule. */
  betaEnd: number;
  /** The 6-step fast inference schedule (β per step). */
  fastBetas: number[];
  /** The 3-step fast inference schedule (β per step). */
  fast3Betas: number[];
  /** Share of the degraded input mixed into the output (CDiffuSE: 0.2). */
  outputBlend: number;
  /**
   * RMS that speech is scaled to before the network sees it: each input of `restore()` as a whole
   * (the result is scaled back), and each training crop pair by the gain of its degraded crop.
   */
  signalRms: number;
  /**
   * What the speech network predicts: `epsilon`, CDiffuSE's combined noise; `x0`, the clean
   * signal; or `v` = √ᾱ·g − √(1−ᾱ)·x0 for the combined noise g. The sampler derives the noise and
   * clean estimates from whichever it is.
   */
  speechTarget: 'epsilon' | 'x0' | 'v';
  /**
   * `diffusion` (CDiffuSE's process), or `regression`: no diffusion, the network maps the noisy
   * input to the clean signal in one pass, trained on the squared error (prior `standard` only).
   */
  speechObjective: 'diffusion' | 'regression';
  /** The noisy waveform as a second input channel of the speech network, beside x_t (DOSE). */
  noisyInput: boolean;
  /** Share of speech training examples whose conditioner (spectrogram, noisy channel) is zeroed, in [0, 1). */
  condDropout: number;
  /** Weight η of the latent-regularisation term L_LR. */
  eta: number;
  /** Weight λ of the prior-matching term L_PM. */
  lambda: number;
  /**
   * L_LR = lrScale·ᾱ_T·‖x0‖²_{Σ⁻¹} + log|Σ| is smallest at σ² = lrScale·ᾱ_T·x0²: the scale moves that
   * optimum where the diffusion needs it (1: the paper's L_LR).
   */
  lrScale: number;
  /**
   * Learned prior only: what the encoders' log σ² corrects. `standard`: the constant 2·log(noiseScale)
   * (the paper at noiseScale 1); `priorgrad`: PriorGrad's handcrafted map, so training starts exactly
   * as PriorGrad. `logVarMin`/`logVarMax` then bound the correction.
   */
  priorBase: 'standard' | 'priorgrad';
  /**
   * Learned prior only: log σ² of both encoders averaged over blocks of this many samples (speech)
   * or pixels a side (images), so that Σ is a degradation map rather than per-sample noise (1: off).
   */
  sigmaBlock: number;
  /** Image channels: 3 (RGB) or 1 (grey). */
  imageChannels: number;
  /** Side of the square training and sampling patches, a multiple of 2^(levels − 1). */
  patchSize: number;
  /** Base width of the image UNet. */
  unetWidth: number;
  /** UNet width per level, as multiples of `unetWidth`; one level per entry, each but the last halves the side. */
  unetMultipliers: number[];
  /** Residual blocks per UNet level. */
  unetResBlocks: number;
  /** Patch sides (in pixels) of the UNet levels that get self-attention. */
  attentionResolutions: number[];
  /** Default DDIM sampling steps for images (WeatherDiff: 25). */
  ddimSteps: number;
  /** Fast DDIM sampling steps for images (RestoreGrad: 10). */
  ddimFastSteps: number;
  /** DDIM η: 0 deterministic, 1 DDPM-like ancestral noise. */
  ddimEta: number;
  /** Stride of the overlapping patch grid when restoring whole images. */
  patchStride: number;
  /**
   * What the image UNet predicts: `epsilon`, the noise (WeatherDiff), or `v` = √ᾱ·ε − √(1−ᾱ)·x0
   * (Salimans & Ho), whose target still carries the clean image where the noise dominates.
   */
  imageTarget: 'epsilon' | 'x0' | 'v';
  /** Default Adam learning rate. */
  lr: number;
  /** Gradient-norm clipping threshold (0: none). */
  gradClip: number;
  /** Decay of the exponential moving average of the weights used for restoration. */
  emaDecay: number;
}

/** Named configurations. */
export type PresetName = 'speech-tiny' | 'speech-small' | 'speech-base' | 'image-tiny' | 'image-small' | 'image-base';

/** CDiffuSE Base: 30 layers × 64 channels, ≈4.28 M parameters, Base encoders (≈93 k each). */
const base: ModelConfig = {
  prior: 'learned',
  modality: 'speech',
  sampleRate: 16000,
  residualLayers: 30,
  residualChannels: 64,
  dilationCycle: 10,
  nFft: 1024,
  hop: 256,
  upsampler: 'transposed',
  embeddingHidden: 512,
  encoderWidth: 16,
  encoderBlocks: 3,
  logVarMin: -6,
  logVarMax: 4,
  priorgradFloor: 0.1,
  noiseScale: 1,
  trainSteps: 50,
  betaStart: 1e-4,
  betaEnd: 0.035,
  fastBetas: [1e-4, 1e-3, 0.01, 0.05, 0.2, 0.35],
  fast3Betas: [1e-3, 0.1, 0.45],
  outputBlend: 0.2,
  speechTarget: 'epsilon',
  speechObjective: 'diffusion',
  noisyInput: false,
  condDropout: 0,
  signalRms: 0.1,
  eta: 1,
  lambda: 1,
  lrScale: 1,
  priorBase: 'standard',
  sigmaBlock: 1,
  imageChannels: 3,
  patchSize: 64,
  unetWidth: 128,
  unetMultipliers: [1, 1, 2, 2, 4, 4],
  unetResBlocks: 2,
  attentionResolutions: [16],
  ddimSteps: 25,
  ddimFastSteps: 10,
  ddimEta: 0,
  patchStride: 16,
  imageTarget: 'epsilon',
  lr: 2e-4,
  gradClip: 1,
  emaDecay: 0.999,
};

/** WeatherDiff64: 64×64 patches, width 128, 2 blocks a level, attention at 16×16, T = 1000, linear β 1e-4..0.02; a v target. */
const imageBase: ModelConfig = {
  ...base,
  modality: 'image',
  trainSteps: 1000,
  betaStart: 1e-4,
  betaEnd: 0.02,
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

const numberRanges: Partial<Record<keyof ModelConfig, [number, number, 'int' | 'real']>> = {
  sampleRate: [1000, 192000, 'int'],
  residualLayers: [1, 128, 'int'],
  residualChannels: [1, 1024, 'int'],
  dilationCycle: [1, 16, 'int'],
  nFft: [16, 8192, 'int'],
  hop: [1, 8192, 'int'],
  embeddingHidden: [1, 4096, 'int'],
  encoderWidth: [1, 256, 'int'],
  encoderBlocks: [1, 16, 'int'],
  logVarMin: [-30, 0, 'real'],
  logVarMax: [0, 30, 'real'],
  priorgradFloor: [1e-6, 1, 'real'],
  noiseScale: [1e-3, 1e3, 'real'],
  trainSteps: [2, 10000, 'int'],
  betaStart: [1e-9, 1, 'real'],
  betaEnd: [1e-9, 1, 'real'],
  outputBlend: [0, 1, 'real'],
  condDropout: [0, 0.999, 'real'],
  signalRms: [1e-6, 1e3, 'real'],
  eta: [0, 1e6, 'real'],
  lambda: [0, 1e6, 'real'],
  lrScale: [1e-6, 1e6, 'real'],
  sigmaBlock: [1, 4096, 'int'],
  patchSize: [4, 512, 'int'],
  unetWidth: [1, 512, 'int'],
  unetResBlocks: [1, 8, 'int'],
  ddimSteps: [1, 10000, 'int'],
  ddimFastSteps: [1, 10000, 'int'],
  ddimEta: [0, 1, 'real'],
  patchStride: [1, 512, 'int'],
  lr: [1e-12, 1, 'real'],
  gradClip: [0, 1e9, 'real'],
  emaDecay: [0, 1, 'real'],
};

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
  const config: ModelConfig = {
    ...start,
    ...overrides,
    fastBetas: [...(overrides.fastBetas ?? start.fastBetas)],
    fast3Betas: [...(overrides.fast3Betas ?? start.fast3Betas)],
    unetMultipliers: [...(overrides.unetMultipliers ?? start.unetMultipliers)],
    attentionResolutions: [...(overrides.attentionResolutions ?? start.attentionResolutions)],
  };
  validateConfig(config);
  return config;
}

/** Throws {@link ConfigError} naming the first invalid field. */
export function validateConfig(c: ModelConfig): void {
  if (!['standard', 'priorgrad', 'learned'].includes(c.prior))
    throw new ConfigError(`prior must be 'standard', 'priorgrad' or 'learned', got '${String(c.prior)}'`);
  if (c.upsampler !== 'transposed' && c.upsampler !== 'repeat')
    throw new ConfigError(`upsampler must be 'transposed' or 'repeat', got '${String(c.upsampler)}'`);
  for (const [key, [lo, hi, kind]] of Object.entries(numberRanges) as [keyof ModelConfig, [number, number, string]][]) {
    const v = c[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (kind === 'int' && !Number.isInteger(v)))
      throw new ConfigError(`config.${key} must be ${kind === 'int' ? 'an integer' : 'a number'} in [${lo}, ${hi}], got ${String(v)}`);
  }
  for (const key of ['fastBetas', 'fast3Betas'] as const) {
    const list = c[key];
    if (!Array.isArray(list) || list.length === 0 || !list.every((b) => typeof b === 'number' && b > 0 && b < 1))
      throw new ConfigError(`config.${key} must be a non-empty list of β in (0, 1)`);
  }
  if (c.hop > c.nFft) throw new ConfigError('config.hop must not exceed config.nFft');
  if (!['epsilon', 'x0', 'v'].includes(c.speechTarget))
    throw new ConfigError(`config.speechTarget must be 'epsilon', 'x0' or 'v', got '${String(c.speechTarget)}'`);
  if (c.speechObjective !== 'diffusion' && c.speechObjective !== 'regression')
    throw new ConfigError(`config.speechObjective must be 'diffusion' or 'regression', got '${String(c.speechObjective)}'`);
  if (c.speechObjective === 'regression' && c.prior !== 'standard')
    throw new ConfigError("config.speechObjective 'regression' has no diffusion prior: use prior 'standard'");
  if (c.priorBase !== 'standard' && c.priorBase !== 'priorgrad')
    throw new ConfigError(`config.priorBase must be 'standard' or 'priorgrad', got '${String(c.priorBase)}'`);
  if (typeof c.noisyInput !== 'boolean') throw new ConfigError(`config.noisyInput must be a boolean, got ${String(c.noisyInput)}`);
  validateImageFields(c);
  if (c.upsampler === 'transposed' && c.hop !== 256)
    throw new ConfigError("the transposed upsampler is fixed at ×256: use hop 256 or upsampler 'repeat'");
}

/** The image fields, checked for speech configs too, as the native core does. */
function validateImageFields(c: ModelConfig): void {
  if (c.modality !== 'speech' && c.modality !== 'image')
    throw new ConfigError(`modality must be 'speech' or 'image', got '${String(c.modality)}'`);
  if (c.imageChannels !== 1 && c.imageChannels !== 3)
    throw new ConfigError(`config.imageChannels must be 1 or 3, got ${String(c.imageChannels)}`);
  const ints = (list: unknown, lo: number, hi: number) =>
    Array.isArray(list) && list.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi);
  if (!ints(c.unetMultipliers, 1, 16) || c.unetMultipliers.length === 0 || c.unetMultipliers.length > 7)
    throw new ConfigError('config.unetMultipliers must hold 1 to 7 integers in [1, 16]');
  if (!ints(c.attentionResolutions, 1, c.patchSize) || c.attentionResolutions.length > 8)
    throw new ConfigError('config.attentionResolutions must hold at most 8 integers in [1, patchSize]');
  const divisor = 2 ** (c.unetMultipliers.length - 1);
  if (c.patchSize % divisor !== 0) throw new ConfigError(`config.patchSize must be a multiple of 2^(levels − 1) = ${divisor}`);
  if (c.patchStride > c.patchSize) throw new ConfigError('config.patchStride must not exceed config.patchSize');
  if (!['epsilon', 'x0', 'v'].includes(c.imageTarget))
    throw new ConfigError(`config.imageTarget must be 'epsilon', 'x0' or 'v', got '${String(c.imageTarget)}'`);
  // Speech schedules may be shorter than the image step counts, which they do not use.
  if (c.modality === 'image' && (c.ddimSteps > c.trainSteps || c.ddimFastSteps > c.trainSteps))
    throw new ConfigError('config.ddimSteps and config.ddimFastSteps must not exceed config.trainSteps');
}
