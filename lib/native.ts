/**
 * The typed boundary to the native addon. Nothing outside this file sees the untyped binding.
 */
import { LoadError } from './errors';
import { loadBinding } from './loader';
import type { StepStats } from './types';

/** What the addon reports after creating or loading a model. */
export interface NativeInfo {
  config: string;
  paramCounts: { total: number; denoiser: number; prior: number; posterior: number };
  step: number;
  device: string;
}

/** How often the step-invariant and per-step parts of the network ran. */
export interface NativeCounters {
  /** Conditioner computations (spectrogram, upsampling, per-layer projections). */
  conditionerRuns: number;
  /** Step-embedding computations for a whole schedule. */
  stepEmbeddingRuns: number;
  /** Prior Net evaluations. */
  priorRuns: number;
  /** ε-network evaluations, one per diffusion step of a native call. */
  networkRuns: number;
}

/** A restoration and the σ of the prior it drew its noise from, as the addon returns them on request. */
export interface NativeRestoration {
  restored: Float32Array;
  /** exp(½·log σ²_prior), laid out like `restored` (images: planar, in the sampler's [−1, 1] scale). */
  sigma: Float32Array;
}

/** The addon's answer as `{restored, sigma}`, `sigma` undefined when it was not asked for. */
export function asRestoration(out: Float32Array | NativeRestoration): { restored: Float32Array; sigma?: Float32Array } {
  return ArrayBuffer.isView(out) ? { restored: out } : out;
}

/** What `restore` is told besides its rows: one options object, as every call of the addon takes. */
export interface NativeRestoreOptions {
  /** Rows in `input`, each of the same length. */
  batch: number;
  /** The reverse schedule's β. */
  betas: number[];
  /** One seed, or one per row. */
  seeds: number[];
  useEma: boolean;
  /** The id `cancel(jobId)` stops it by. */
  jobId: number;
  bf16?: boolean;
  /** Resolve to the rows and their prior's σ. */
  returnSigma?: boolean;
}

/** What `restoreImage` is told besides the pixels. */
export interface NativeImageRestoreOptions {
  channels: number;
  height: number;
  width: number;
  seed: number;
  useEma: boolean;
  jobId: number;
  /** DDIM steps (default: the config's ddimSteps). */
  steps?: number;
  /** DDIM η (default: the config's ddimEta). */
  eta?: number;
  /** Patch grid stride (default: the config's patchStride). */
  stride?: number;
  /** Patches per network forward (default 16). */
  maxPatches?: number;
  returnSigma?: boolean;
}

/** A data-parallel group to join. */
export interface NativeGroupOptions {
  masterAddress: string;
  masterPort: number;
  rank: number;
  worldSize: number;
  timeoutMs: number;
}

/** One rg::Model on its own executor thread. All async methods run there, in call order. */
export interface NativeModel {
  create(configJson: string, options: { device: string; seed: number }): Promise<NativeInfo>;
  load(path: string, options: { device: string }): Promise<NativeInfo>;
  save(path: string, options: { weightsOnly?: boolean }): Promise<void>;
  /** Joins a data-parallel group and takes rank 0's model state; resolves to its step count. */
  joinGroup(options: NativeGroupOptions): Promise<number>;
  /** One training step; in a group, `batch` is the whole global batch and this rank trains on its slice. */
  trainStep(clean: Float32Array, degraded: Float32Array, options: { batch: number; lr: number }): Promise<StepStats>;
  /** Restores `batch` rows of equal length; with `returnSigma`, resolves to the rows and their prior's σ. */
  restore(input: Float32Array, options: NativeRestoreOptions): Promise<Float32Array | NativeRestoration>;
  /**
   * One training step of an image model on `batch` square patches of `size` × `size` pixels:
   * `clean` and `degraded` hold values in [0, 1] laid out planar [batch, channels, size, size]
   * (channel after channel, as `imageToFloat` and `ImagePatchSampler` give them). Rejects
   * with E_INPUT for a speech model.
   */
  trainImageStep(
    clean: Float32Array,
    degraded: Float32Array,
    options: { batch: number; channels: number; size: number; lr: number },
  ): Promise<StepStats>;
  /**
   * Restores one image of any size (values in [0, 1] laid out planar [channels, height, width],
   * as `imageToFloat` gives them) by overlapping patches and DDIM; resolves to the same
   * layout and size, or with `returnSigma` to the image and its prior's σ. Cancel with `jobId`.
   */
  restoreImage(data: Float32Array, options: NativeImageRestoreOptions): Promise<Float32Array | NativeRestoration>;
  /** Stops the job before its next diffusion step; false when it is not queued or running. */
  cancel(jobId: number): boolean;
  counters(): Promise<NativeCounters>;
  dispose(): Promise<void>;
}

/**
 * The cache that keeps LibTorch's large CPU buffers for reuse (off with RESTOREGRAD_ALLOCATOR=system):
 * requests served from it or not, and the bytes it holds against its bound.
 */
export interface BlockCacheInfo {
  enabled: boolean;
  hits?: number;
  misses?: number;
  cachedBytes?: number;
  maxCachedBytes?: number;
  minBlockBytes?: number;
}

/** The addon's exports. */
export interface Binding {
  NativeModel: new (threads: number) => NativeModel;
  /** The LibTorch built against; dataParallel: whether c10d's Gloo backend is built in. */
  buildInfo(): {
    torchVersion: string;
    cudaAvailable: boolean;
    cudaDevices: number;
    dataParallel: boolean;
    cpuBf16: boolean;
    blockCache: BlockCacheInfo;
  };
  /** Cancels every model's restorations and waits until no model's thread is running. */
  stopAll(): void;
  /** The core's reading of a config (JSON text in, JSON text out); throws E_CONFIG naming the first invalid field. */
  validateConfig(json: string): string;
}

let binding: Binding | undefined;

/** The addon, loaded on first use. Throws {@link LoadError} with the fix when it cannot load. */
export function native(): Binding {
  if (!binding) {
    try {
      binding = loadBinding() as Binding;
      // LibTorch must not be unloaded under a running job when the process exits mid-restore.
      const loaded = binding;
      process.once('exit', () => loaded.stopAll());
    } catch (err) {
      throw new LoadError((err as Error).message, { cause: err });
    }
  }
  return binding;
}
