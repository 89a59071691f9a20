/**
 * RestorePool: one model per worker thread (piscina), each with its own intra-op threads and
 * dynamic batching, behind the same `restore()` contract as {@link Model.restore}.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { MessageChannel } from 'node:worker_threads';

import { Piscina } from 'piscina';

import type { ModelConfig } from './config';
import { AbortError, fromNative, InputError, QueueFullError } from './errors';
import type { Image } from './image/image';
import { type ImageInput, type ImageRestoreOptions, imageRestoreKeys } from './image/model';
import {
  type AnyRestoreInput,
  type AnyRestoreOutput,
  type BatchingOptions,
  type CreateModelOptions,
  type RestoreOptions,
  speechRestoreKeys,
} from './model';
import type { WorkerResult, WorkerSetup, WorkerTask } from './pool-worker';
import type { ImageRestoration, SpeechRestoration } from './sigma';
import { checkInt, checkKeys, checkSignalOption } from './validate';

/** Options of {@link RestorePool.open}. */
export interface RestorePoolOptions {
  /** A checkpoint to load in every worker, or options of {@link createModel} (for tests and benchmarks). */
  model: string | Omit<CreateModelOptions, 'threads' | 'batching' | 'device'>;
  /** Worker threads, one model each (default: the cores, at most 4). */
  workers?: number;
  /** Intra-op threads per worker (default: the cores shared evenly between workers). */
  threadsPerWorker?: number;
  /** `cpu` (default) or `cuda[:n]`. */
  device?: string;
  /** Dynamic batching inside each worker; `maxBatch` calls are sent to a worker at once so they can merge. */
  batching?: BatchingOptions;
  /** Most calls waiting for a worker; more reject with `E_QUEUE_FULL` (default 1024). */
  maxQueue?: number;
}

/** Load and queue figures of a pool. */
export interface PoolStats {
  /** Worker threads, one model each. */
  workers: number;
  /** Calls waiting for a worker. */
  queueDepth: number;
  /** Calls finished. */
  completed: number;
  /** Share of the pool's capacity used since it opened, 0 to 1. */
  utilization: number;
}

const poolKeys = ['model', 'workers', 'threadsPerWorker', 'device', 'batching', 'maxQueue'] as const;

/** Several models on worker threads restoring in parallel. */
export class RestorePool implements AsyncDisposable {
  private closed = false;

  private constructor(
    private readonly piscina: Piscina<WorkerTask, WorkerResult>,
    /** The configuration every worker's model has. */
    readonly config: ModelConfig,
    /** Worker threads in the pool. */
    readonly workers: number,
  ) {}

  /** Starts the workers and opens the model in each; rejects as `loadModel`/`createModel` would. */
  static async open(options: RestorePoolOptions): Promise<RestorePool> {
    checkKeys(options, poolKeys, 'pool options');
    if (options === undefined || (typeof options.model !== 'string' && (typeof options.model !== 'object' || options.model === null)))
      throw new InputError('pool options need `model`: a checkpoint path or createModel options');
    const cores = os.availableParallelism();
    const workers = checkInt(options.workers, 'workers', 1, 256, Math.min(cores, 4));
    const threads = checkInt(options.threadsPerWorker, 'threadsPerWorker', 1, 1024, Math.max(1, Math.floor(cores / workers)));
    const maxQueue = checkInt(options.maxQueue, 'maxQueue', 1, 1e7, 1024);
    const maxBatch = checkInt(options.batching?.maxBatch, 'batching.maxBatch', 1, 4096, 8);
    const load = { device: options.device, threads, batching: options.batching };
    const setup: WorkerSetup =
      typeof options.model === 'string' ? { path: options.model, load } : { create: options.model as CreateModelOptions, load };
    const piscina = new Piscina<WorkerTask, WorkerResult>({
      filename: path.join(__dirname, 'pool-worker.js'),
      minThreads: workers,
      maxThreads: workers,
      idleTimeout: Number.POSITIVE_INFINITY,
      concurrentTasksPerWorker: maxBatch,
      maxQueue,
      atomics: 'disabled', // workers wait on their model's native thread, not on the task queue
      workerData: setup,
    });
    // Every worker opens its model on start; one empty task reports whether that worked.
    const first = await piscina.run({ inputs: null, options: {} });
    if ('error' in first) {
      await piscina.destroy();
      throw fromNative(first.error);
    }
    return new RestorePool(piscina, JSON.parse(first.config) as ModelConfig, workers);
  }

  /** Restores one signal on some worker. */
  restore(input: Float32Array, options?: RestoreOptions & { returnSigma?: false }): Promise<Float32Array>;
  /** Restores several signals on one worker, in one call there; results keep the input order. */
  restore(inputs: readonly Float32Array[], options?: RestoreOptions & { returnSigma?: false }): Promise<Float32Array[]>;
  /** Restores one signal on some worker, with the prior's σ as {@link Model.restore} gives it. */
  restore(input: Float32Array, options: RestoreOptions & { returnSigma: true }): Promise<SpeechRestoration>;
  /** Restores several signals on one worker, each with its prior's σ; results keep the input order. */
  restore(inputs: readonly Float32Array[], options: RestoreOptions & { returnSigma: true }): Promise<SpeechRestoration[]>;
  /** Restores one image (an {@link Image}, a file path or its bytes) on some worker, as {@link Model.restore} does. */
  restore(input: ImageInput, options?: ImageRestoreOptions & { returnSigma?: false }): Promise<Image>;
  /** Restores several images on one worker; results keep the input order. */
  restore(inputs: readonly ImageInput[], options?: ImageRestoreOptions & { returnSigma?: false }): Promise<Image[]>;
  /** Restores one image on some worker, with the prior's σ as {@link Model.restore} gives it. */
  restore(input: ImageInput, options: ImageRestoreOptions & { returnSigma: true }): Promise<ImageRestoration>;
  /** Restores several images on one worker, each with its prior's σ; results keep the input order. */
  restore(inputs: readonly ImageInput[], options: ImageRestoreOptions & { returnSigma: true }): Promise<ImageRestoration[]>;
  async restore(input: AnyRestoreInput, options: RestoreOptions | ImageRestoreOptions = {}): Promise<AnyRestoreOutput> {
    if (this.closed) throw new InputError('the pool is closed');
    const known = this.config.modality === 'image' ? imageRestoreKeys : speechRestoreKeys;
    checkKeys(options, known, 'restore options');
    const single = !Array.isArray(input);
    const { signal, ...rest } = options;
    checkSignalOption(signal, 'signal');
    if (signal?.aborted) throw new AbortError();
    const inputs = single ? [input as Float32Array | ImageInput] : [...(input as readonly (Float32Array | ImageInput)[])];
    const channel = signal ? new MessageChannel() : undefined;
    const onAbort = () => channel?.port1.postMessage('abort');
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const task: WorkerTask = { inputs, options: rest, abort: channel?.port2 };
      const result = await this.piscina.run(task, { transferList: channel ? [channel.port2] : [] }).catch((e: unknown) => {
        throw (e as Error).message?.includes('queue is at limit')
          ? new QueueFullError(`pool queue is full: ${this.piscina.queueSize} calls waiting`)
          : fromNative(e);
      });
      if ('error' in result) throw fromNative(result.error);
      return single ? result.outputs[0] : result.outputs;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      channel?.port1.close();
    }
  }

  /** Queue depth, calls finished and utilisation of the pool so far. */
  stats(): PoolStats {
    return {
      workers: this.workers,
      queueDepth: this.piscina.queueSize,
      completed: this.piscina.completed,
      utilization: this.piscina.utilization,
    };
  }

  /** Finishes the calls already made, then stops the workers and frees their models. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.piscina.close();
  }

  /** {@link RestorePool.close}, for `await using pool = ...`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
