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

/** One rg::Model on its own executor thread. All async methods run there, in call order. */
export interface NativeModel {
  create(configJson: string, device: string, seed: number): Promise<NativeInfo>;
  load(path: string, device: string): Promise<NativeInfo>;
  save(path: string, weightsOnly: boolean): Promise<void>;
  /** Joins a data-parallel group and takes rank 0's model state; resolves to its step count. */
  joinGroup(masterAddress: string, masterPort: number, rank: number, worldSize: number, timeoutMs: number): Promise<number>;
  /** One training step; in a group, `batch` is the whole global batch and this rank trains on its slice. */
  trainStep(clean: Float32Array, degraded: Float32Array, batch: number, lr: number): Promise<StepStats>;
  /** Restores `batch` rows of equal length; with `returnSigma`, resolves to the rows and their prior's σ. */
  restore(
    input: Float32Array,
    batch: number,
    betas: number[],
    seeds: number[],
    useEma: boolean,
    jobId: number,
    bf16: boolean,
    returnSigma?: boolean,
  ): Promise<Float32Array | NativeRestoration>;
  /**
   * One training step of an image model on `batch` square patches of `size` × `size` pixels:
   * `clean` and `degraded` hold values in [0, 1] laid out planar [batch, channels, size, size]
   * (channel after channel, as `imageToFloat` and `ImagePatchSampler` give them). Rejects
   * with E_INPUT for a speech model.
   */
  trainImageStep(
    clean: Float32Array,
    degraded: Float32Array,
    batch: number,
    channels: number,
    size: number,
    lr: number,
  ): Promise<StepStats>;
  /**
   * Restores one image of any size (values in [0, 1] laid out planar [channels, height, width],
   * as `imageToFloat` gives them) by overlapping patches and DDIM; resolves to the same
   * layout and size.
   * `steps` 0, `eta` < 0 and `stride` 0 take the config's ddimSteps, ddimEta and patchStride;
   * `maxPatches` (default 16) bounds the patches per network forward. Cancel with `jobId`. With
   * `returnSigma`, resolves to the image and its prior's σ.
   */
  restoreImage(
    data: Float32Array,
    channels: number,
    height: number,
    width: number,
    steps: number,
    eta: number,
    stride: number,
    seed: number,
    useEma: boolean,
    jobId: number,
    maxPatches?: number,
    returnSigma?: boolean,
  ): Promise<Float32Array | NativeRestoration>;
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
