/**
 * The model object: create or load, train, restore, save, dispose. Heavy work runs on the model's
 * own native thread; every method here only validates, queues and awaits.
 */
import * as os from 'node:os';
import { Batcher, type BatcherStats } from './batcher';
import { defaultCropLength, isPresetName, type ModelConfig, type PresetName, type PriorKind, resolveConfig } from './config';
import type { PairSource } from './data/batches';
import type { ImageDataset } from './data/images';
import { resolveModelPath } from './defaults';
import { AbortError, DisposedError, fromNative, InputError } from './errors';
import { checkGroup, type Group, type GroupMembership, type GroupOptions } from './group';
import type { Image } from './image/image';
import { type ImageInput, type ImageModelParts, type ImageRestoreOptions, imageTrainSteps, restoreImages } from './image/model';
import { type NativeCounters, type NativeInfo, type NativeModel, native } from './native';
import type { ImageRestoration, SpeechRestoration } from './sigma';
import { MAX_SAMPLES, type RestoreOptions, restoreSpeech, type SpeechModelParts, speechTrainSteps } from './speech/model';
import type { StepStats } from './types';
import { checkInt, checkKeys, checkNumber, checkSignalOption } from './validate';

export type { RestoreOptions } from './speech/model';
export { speechRestoreKeys } from './speech/model';
export type { StepStats } from './types';

/** Options of {@link createModel}. */
export interface CreateModelOptions {
  /** Starting configuration (default `speech-small`). */
  preset?: PresetName;
  /** Fields that override the preset. */
  config?: Partial<ModelConfig>;
  /** Shorthand for `config.prior`. */
  prior?: PriorKind;
  /** `cpu` (default) or `cuda[:n]`. */
  device?: string;
  /** Seed of the weight initialisation and of training noise (default 0). */
  seed?: number;
  /** Intra-op threads of this model's native jobs (default: all cores). */
  threads?: number;
  /** How concurrent restore calls are merged into native batches. */
  batching?: BatchingOptions;
}

/** Options of {@link loadModel}. */
export interface LoadModelOptions {
  /** `cpu` (default) or `cuda[:n]`. */
  device?: string;
  /** Intra-op threads of this model's native jobs (default: all cores). */
  threads?: number;
  /** How concurrent restore calls are merged into native batches. */
  batching?: BatchingOptions;
}

/**
 * Dynamic batching: the inputs of all pending `restore()` calls (and the chunks of long inputs)
 * that share a length and schedule are restored together, up to `maxBatch` at a time.
 */
export interface BatchingOptions {
  /** Most inputs or chunks in one native call (default 8). */
  maxBatch?: number;
  /** How long the oldest waiting input may wait for others to fill its batch (default 2 ms). */
  maxDelayMs?: number;
  /** Most inputs or chunks waiting; a call that would exceed it rejects with `E_QUEUE_FULL` (default 4096). */
  maxQueue?: number;
  /** Inputs longer than this many seconds are restored as overlapping chunks of this length (default 4). */
  chunkSeconds?: number;
  /** Overlap of neighbouring chunks, cross-faded (default 0.25 s). */
  overlapSeconds?: number;
}

/** Throughput and queue figures of a model's restorations, from {@link Model.stats}. */
export interface RestoreStats extends BatcherStats {
  /** Mean inputs or chunks per native call. */
  meanBatchSize: number;
  /** Seconds of signal restored per second the native thread was busy. */
  secondsPerSecond: number;
}

/** Parameters of each network. */
export interface ParameterCount {
  /** All three networks together. */
  total: number;
  /** The ε-network θ. */
  denoiser: number;
  /** The Prior Net ψ (learned prior only). */
  prior: number;
  /** The Posterior Net φ (learned prior only; used in training only). */
  posterior: number;
}

/** What `onProgress` receives. */
export interface TrainProgress extends StepStats {
  /** Steps done in this `train()` call. */
  step: number;
  /** Steps asked of this `train()` call. */
  total: number;
  /** Mean training speed of this call so far. */
  stepsPerSecond: number;
}

/** Options of {@link Model.train}. */
export interface TrainOptions {
  /** Optimisation steps to run. */
  steps: number;
  /** Pairs per batch (default 8); in a data-parallel group the global batch, a multiple of the world size. */
  batchSize?: number;
  /** Samples per training crop, a multiple of the hop (default 62 hops: 15,872 samples at hop 256). Speech only: image models train on `config.patchSize` patches. */
  cropLength?: number;
  /** Adam learning rate (default: `config.lr`). */
  lr?: number;
  /** Seed of crop positions and pair order (default 0); batches depend on it and the step number only. */
  seed?: number;
  /** Called after a step at most every `progressIntervalMs`, and after the last step. */
  onProgress?: (progress: TrainProgress) => void;
  /** Throttle of `onProgress` (default 200 ms). */
  progressIntervalMs?: number;
  /** Stops training after the current step with an {@link AbortError}. */
  signal?: AbortSignal;
  /** Where to save checkpoints during training (atomically). In a group, give it to one rank only. */
  checkpointPath?: string;
  /** Save every this many steps (default: only at the end), when `checkpointPath` is set. */
  checkpointEvery?: number;
}

/** What {@link Model.train} resolves to. */
export interface TrainResult {
  /** Steps run by this call. */
  steps: number;
  /** Statistics of the last step. */
  last: StepStats;
  /** True when a streamed data source ended before `steps`. */
  dataExhausted: boolean;
}

/** Options of {@link Model.save}. */
export interface SaveOptions {
  /** Only the EMA weights restoration uses (no optimiser state): a quarter of the size. Default false. */
  weightsOnly?: boolean;
}

const trainKeys = [
  'steps',
  'batchSize',
  'cropLength',
  'lr',
  'seed',
  'onProgress',
  'progressIntervalMs',
  'signal',
  'checkpointPath',
  'checkpointEvery',
] as const;
const createKeys = ['preset', 'config', 'prior', 'device', 'seed', 'threads', 'batching'] as const;
const loadKeys = ['device', 'threads', 'batching'] as const;
const batchingKeys = ['maxBatch', 'maxDelayMs', 'maxQueue', 'chunkSeconds', 'overlapSeconds'] as const;
const MAX_SEED = 2 ** 53 - 1;

function checkDevice(device: unknown): string {
  if (device === undefined) return 'cpu';
  if (typeof device !== 'string' || !/^(cpu|cuda(:\d+)?)$/.test(device))
    throw new InputError(`device must be 'cpu' or 'cuda[:n]', got ${String(device)}`);
  return device;
}

function checkThreads(threads: unknown): number {
  return checkInt(threads, 'threads', 1, 1024, os.availableParallelism());
}

type Batching = Required<BatchingOptions>;

function checkBatching(options: BatchingOptions | undefined): Batching {
  checkKeys(options, batchingKeys, 'batching options');
  const o = options ?? {};
  const chunkSeconds = checkNumber(o.chunkSeconds, 'batching.chunkSeconds', 0.1, 600, 4);
  return {
    maxBatch: checkInt(o.maxBatch, 'batching.maxBatch', 1, 4096, 8),
    maxDelayMs: checkNumber(o.maxDelayMs, 'batching.maxDelayMs', 0, 60000, 2),
    maxQueue: checkInt(o.maxQueue, 'batching.maxQueue', 1, 1e7, 4096),
    chunkSeconds,
    overlapSeconds: checkNumber(o.overlapSeconds, 'batching.overlapSeconds', 0, chunkSeconds / 2, 0.25),
  };
}

/** What the implementation of `restore()` takes and gives, for either modality (a model's, a pool's). */
export type AnyRestoreInput = Float32Array | ImageInput | readonly (Float32Array | ImageInput)[];
type AnyRestoreResult = Float32Array | Image | SpeechRestoration | ImageRestoration;
export type AnyRestoreOutput = AnyRestoreResult | AnyRestoreResult[];

/** A restoration model: θ, and ψ and φ for the learned prior. */
export class Model implements AsyncDisposable {
  /** The model's full configuration. */
  readonly config: ModelConfig;
  /** Parameters per network. */
  readonly parameterCount: ParameterCount;
  /** The device the model lives on. */
  readonly device: string;
  private globalStep: number;
  private joined?: Group;
  private disposed = false;
  private readonly imageWork = new Set<Promise<unknown>>();
  private readonly batcher: Batcher;
  /** Chunk length and overlap in samples, whole hops. */
  private readonly chunk: number;
  private readonly overlap: number;

  private constructor(
    private readonly handle: NativeModel,
    info: NativeInfo,
    batching: Batching,
  ) {
    this.config = JSON.parse(info.config) as ModelConfig;
    this.parameterCount = { ...info.paramCounts };
    this.device = info.device;
    this.globalStep = info.step;
    const hops = (seconds: number) => Math.max(1, Math.round((seconds * this.config.sampleRate) / this.config.hop)) * this.config.hop;
    this.chunk = hops(batching.chunkSeconds);
    this.overlap = batching.overlapSeconds === 0 ? 0 : Math.min(hops(batching.overlapSeconds), this.chunk / 2);
    this.batcher = new Batcher(
      (input, options) => handle.restore(input, options),
      (jobId) => handle.cancel(jobId),
      batching,
    );
  }

  /** @internal */
  static async open(handle: NativeModel, start: Promise<NativeInfo>, batching: Batching): Promise<Model> {
    const info = await start.catch((err: unknown) => {
      void handle.dispose().catch(() => undefined);
      throw fromNative(err);
    });
    return new Model(handle, info, batching);
  }

  /** Optimisation steps taken so far (restored from checkpoints). */
  get step(): number {
    return this.globalStep;
  }

  /** The data-parallel group this model trains in, after {@link Model.joinGroup}. */
  get group(): GroupMembership | undefined {
    return this.joined && { rank: this.joined.rank, worldSize: this.joined.worldSize };
  }

  /**
   * Joins a data-parallel training group of `worldSize` processes (on this machine or others) over
   * LibTorch's c10d with the Gloo backend; resolves when every rank has joined. The model then
   * holds rank 0's weights, optimiser and EMA state and step count, so every rank may start from
   * the same preset or checkpoint, or the others from a fresh model of the same configuration
   * (else all reject with `E_INPUT`). Each later {@link Model.train} step draws the whole global
   * batch (`batchSize`, the same on every rank: give every rank the same data, seed and options),
   * trains on this rank's slice and averages the gradients: W ranks give the result of one
   * process on the same batches, up to float summation order. A rank that leaves or does not come
   * makes the others reject with `E_NATIVE` after `timeoutMs`.
   */
  async joinGroup(options: GroupOptions): Promise<void> {
    this.ensureOpen();
    const g = checkGroup(options);
    if (this.joined) throw new InputError('this model has already joined a group');
    const step = await this.handle
      .joinGroup({ masterAddress: g.host, masterPort: g.port, rank: g.rank, worldSize: g.worldSize, timeoutMs: g.timeoutMs })
      .catch((e: unknown) => {
        throw fromNative(e);
      });
    this.joined = g;
    this.globalStep = step;
  }

  /**
   * Trains on `{clean, degraded}` pairs: random crops, Adam, gradient clipping, EMA weights.
   * An array is sampled at random with replacement; an iterable is read in order, reopened when it
   * ends (a one-shot generator ends training early). An image model trains on an
   * {@link ImageDataset} (`pairedImageFolders(dir)`, `degradedImages(dir, degradation)`): random
   * `config.patchSize` patches, the batch of each step fixed by the seed and the step number.
   */
  async train(data: PairSource | ImageDataset, options: TrainOptions): Promise<TrainResult> {
    this.ensureOpen();
    checkKeys(options, trainKeys, 'train options');
    if (options === undefined) throw new InputError('train options with `steps` are required');
    const steps = checkInt(options.steps, 'steps', 1, 1e9);
    const batchSize = checkInt(options.batchSize, 'batchSize', 1, 4096, 8);
    if (this.joined && batchSize % this.joined.worldSize !== 0)
      throw new InputError(`batchSize ${batchSize} does not split evenly over the group's ${this.joined.worldSize} ranks`);
    const image = this.config.modality === 'image';
    if (image && options.cropLength !== undefined)
      throw new InputError(
        `cropLength is for speech models; this image model trains on ${this.config.patchSize}×${this.config.patchSize} patches`,
      );
    const crop = checkInt(options.cropLength, 'cropLength', this.config.hop, MAX_SAMPLES, defaultCropLength(this.config));
    if (crop % this.config.hop !== 0) throw new InputError(`cropLength must be a multiple of the hop (${this.config.hop})`);
    const lr = checkNumber(options.lr, 'lr', 1e-12, 1, this.config.lr);
    const seed = checkInt(options.seed, 'seed', 0, MAX_SEED, 0);
    const interval = checkNumber(options.progressIntervalMs, 'progressIntervalMs', 0, 3.6e6, 200);
    const every = checkInt(options.checkpointEvery, 'checkpointEvery', 1, 1e9, steps);
    const signal = checkSignalOption(options.signal, 'signal');
    if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new InputError('onProgress must be a function');
    if (options.checkpointPath !== undefined && typeof options.checkpointPath !== 'string')
      throw new InputError('checkpointPath must be a string');

    const runStep = image
      ? imageTrainSteps(this.imageParts(), data, batchSize, seed, lr)
      : speechTrainSteps(this.speechParts(), data, batchSize, crop, seed, lr);
    const started = Date.now();
    let reported = 0;
    let last: StepStats | undefined;
    let done = 0;
    for (; done < steps; done++) {
      if (signal?.aborted) throw new AbortError(`training aborted after ${done} steps`);
      const stats = await runStep(this.globalStep).catch((e: unknown) => {
        throw fromNative(e);
      });
      if (!stats) break;
      last = stats;
      this.globalStep = stats.globalStep;
      const now = Date.now();
      if (options.onProgress && (now - reported >= interval || done + 1 === steps)) {
        reported = now;
        options.onProgress({ ...last, step: done + 1, total: steps, stepsPerSecond: ((done + 1) * 1000) / Math.max(1, now - started) });
      }
      if (options.checkpointPath && ((done + 1) % every === 0 || done + 1 === steps)) await this.save(options.checkpointPath);
    }
    if (!last) throw new InputError('training data gave no batch');
    if (options.checkpointPath && done < steps) await this.save(options.checkpointPath);
    return { steps: done, last, dataExhausted: done < steps };
  }

  /**
   * Restores one signal (speech model). The signal is scaled as a whole to RMS `config.signalRms`,
   * the level the model trains at, and the result scaled back, so restore(k·y) ≈ k·restore(y).
   * A peak |sample| above 1e36 or a non-silent RMS below 1e-30 rejects with `E_INPUT`.
   */
  restore(input: Float32Array, options?: RestoreOptions & { returnSigma?: false }): Promise<Float32Array>;
  /** Restores several signals; equal lengths share native batches. Results keep the input order. */
  restore(inputs: readonly Float32Array[], options?: RestoreOptions & { returnSigma?: false }): Promise<Float32Array[]>;
  /** Restores one signal and returns the prior's σ beside it, per sample, in the input's units. */
  restore(input: Float32Array, options: RestoreOptions & { returnSigma: true }): Promise<SpeechRestoration>;
  /** Restores several signals, each with its prior's σ; results keep the input order. */
  restore(inputs: readonly Float32Array[], options: RestoreOptions & { returnSigma: true }): Promise<SpeechRestoration[]>;
  /**
   * Restores one image (image model): an {@link Image}, or a PNG/JPEG/WebP file's path or bytes.
   * The result has the input's size and channels; a gray input of an RGB model is restored as RGB
   * and reduced back to luma, an RGB input of a gray model is refused (`E_INPUT`).
   */
  restore(input: ImageInput, options?: ImageRestoreOptions & { returnSigma?: false }): Promise<Image>;
  /** Restores several images one after another; results keep the input order. */
  restore(inputs: readonly ImageInput[], options?: ImageRestoreOptions & { returnSigma?: false }): Promise<Image[]>;
  /** Restores one image and returns the prior's σ beside it, laid out like its pixels, in 8-bit levels. */
  restore(input: ImageInput, options: ImageRestoreOptions & { returnSigma: true }): Promise<ImageRestoration>;
  /** Restores several images, each with its prior's σ; results keep the input order. */
  restore(inputs: readonly ImageInput[], options: ImageRestoreOptions & { returnSigma: true }): Promise<ImageRestoration[]>;
  async restore(input: AnyRestoreInput, options: RestoreOptions | ImageRestoreOptions = {}): Promise<AnyRestoreOutput> {
    this.ensureOpen();
    const single = !Array.isArray(input);
    const all = single ? [input] : (input as readonly unknown[]);
    const outputs =
      this.config.modality === 'image'
        ? await this.track(restoreImages(this.imageParts(), all, single, options as ImageRestoreOptions))
        : await restoreSpeech(this.speechParts(), all, single, options as RestoreOptions);
    return single ? outputs[0] : outputs;
  }

  /**
   * Writes a checkpoint atomically: by default everything needed to resume training exactly
   * (weights, EMA, optimiser state, config). With `weightsOnly` it holds only the EMA weights that
   * restoration uses and the config, a quarter of the size: the form to ship a trained model in.
   * A model loaded from such a file restores the same; training it starts a fresh optimiser.
   */
  async save(path: string, options: SaveOptions = {}): Promise<void> {
    this.ensureOpen();
    if (typeof path !== 'string' || path.length === 0) throw new InputError('path must be a non-empty string');
    checkKeys(options, ['weightsOnly'], 'save options');
    if (options.weightsOnly !== undefined && typeof options.weightsOnly !== 'boolean')
      throw new InputError('weightsOnly must be a boolean');
    await this.handle.save(path, { weightsOnly: options.weightsOnly ?? false }).catch((e: unknown) => {
      throw fromNative(e);
    });
  }

  /** How often each part of the network has run: step-invariant work runs once per restore call. */
  async counters(): Promise<NativeCounters> {
    this.ensureOpen();
    return this.handle.counters().catch((e: unknown) => {
      throw fromNative(e);
    });
  }

  /** Queue depth, batch sizes and throughput of this model's speech restorations so far (images are not counted). */
  stats(): RestoreStats {
    const s = this.batcher.stats();
    return {
      ...s,
      meanBatchSize: s.batches === 0 ? 0 : s.items / s.batches,
      secondsPerSecond: s.busySeconds === 0 ? 0 : s.samples / this.config.sampleRate / s.busySeconds,
    };
  }

  /** Frees the native model after the work already queued. Later calls reject with `E_DISPOSED`. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.batcher.drained();
    await Promise.allSettled(this.imageWork);
    await this.handle.dispose();
  }

  /** {@link Model.dispose}, for `await using model = ...`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  private ensureOpen(): void {
    if (this.disposed) throw new DisposedError();
  }

  /** What the speech functions use of this model. */
  private speechParts(): SpeechModelParts {
    const { handle, config, device, batcher, chunk, overlap } = this;
    return { handle, config, device, batcher, chunk, overlap, ensureOpen: () => this.ensureOpen() };
  }

  /** What the image functions use of this model. */
  private imageParts(): ImageModelParts {
    return { handle: this.handle, config: this.config, ensureOpen: () => this.ensureOpen() };
  }

  /** Keeps `work` until it settles, so that dispose() waits for it. */
  private async track<T>(work: Promise<T>): Promise<T> {
    this.imageWork.add(work);
    try {
      return await work;
    } finally {
      this.imageWork.delete(work);
    }
  }
}

/** Creates a new, untrained model from a preset and overrides. */
export async function createModel(options: CreateModelOptions = {}): Promise<Model> {
  checkKeys(options, createKeys, 'createModel options');
  if (options.preset !== undefined && !isPresetName(options.preset)) throw new InputError(`unknown preset '${String(options.preset)}'`);
  const config = resolveConfig(options.preset, { ...options.config, ...(options.prior !== undefined ? { prior: options.prior } : {}) });
  const device = checkDevice(options.device);
  const seed = checkInt(options.seed, 'seed', 0, MAX_SEED, 0);
  const batching = checkBatching(options.batching);
  const handle = new (native().NativeModel)(checkThreads(options.threads));
  return Model.open(handle, handle.create(JSON.stringify(config), { device, seed }), batching);
}

/**
 * Loads a checkpoint written by {@link Model.save}: a full one resumes training where it stopped;
 * a weights-only one restores the same and trains on with a fresh optimiser. A shipped model is
 * opened by its name (`'speech'`, `'image-denoise'`, `'image-derain'`, see `defaultModelNames`).
 */
export async function loadModel(path: string, options: LoadModelOptions = {}): Promise<Model> {
  checkKeys(options, loadKeys, 'loadModel options');
  if (typeof path !== 'string' || path.length === 0) throw new InputError('path must be a non-empty string');
  const device = checkDevice(options.device);
  const batching = checkBatching(options.batching);
  const handle = new (native().NativeModel)(checkThreads(options.threads));
  return Model.open(handle, handle.load(resolveModelPath(path), { device }), batching);
}
