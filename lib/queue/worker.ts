/**
 * A BullMQ worker that restores jobs through a {@link RestorePool}. Many jobs run at once
 * (`concurrency`), so the pool merges them into batches. Locks are renewed from the event loop,
 * which restoration never blocks (it runs on native threads), so a long batch keeps its locks; a
 * worker that dies stops renewing them, and another worker's stalled checker puts its jobs back
 * in the queue after `lockDurationMs` (+ up to `stalledIntervalMs`).
 */
import * as os from 'node:os';

import { type Job, UnrecoverableError, WaitingError, Worker } from 'bullmq';

import { AbortError, RestoreGradError } from '../errors';
import { RestorePool, type RestorePoolOptions } from '../pool';
import { checkInt, checkKeys } from '../validate';
import { type RedisTarget, redisConnection } from './connection';
import { DEFAULT_MAX_INLINE_BYTES, parseJobData, type RestoreJobData, type RestoreJobResult } from './job';
import { runRestoreJob } from './restore-job';

/** Options of {@link RestoreWorker.start}. */
export interface RestoreWorkerOptions {
  /** Redis URL (`redis://host:port/db`) or ioredis connection options. */
  connection: RedisTarget;
  /** The queue's name. */
  queue: string;
  /** A checkpoint path, or createModel options, as {@link RestorePool.open} takes. */
  model: RestorePoolOptions['model'];
  /** Pool worker threads (default: the pool's). */
  workers?: number;
  /** Intra-op threads per pool worker (default: the pool's). */
  threadsPerWorker?: number;
  /** Most inputs per native batch (default 8). */
  maxBatch?: number;
  /** Jobs this process runs at once (default: 2 × workers × maxBatch, so that batches fill). */
  concurrency?: number;
  /** The worker's name in job progress and results (default `host:pid`). */
  name?: string;
  /** How long a job's lock lasts without renewal (default 30 000 ms; renewed every half of it). */
  lockDurationMs?: number;
  /** How often this worker looks for jobs whose worker died (default 15 000 ms). */
  stalledIntervalMs?: number;
  /** Times a job may be recovered from a dead worker before it fails (default 2). */
  maxStalledCount?: number;
  /** Largest inline input accepted, decoded (default 8 MiB). */
  maxInlineBytes?: number;
  /** BullMQ key prefix (default `bull`). */
  prefix?: string;
  /** Where failures and connection errors are reported (default: none). */
  log?: (line: string) => void;
}

const workerKeys = [
  'connection',
  'queue',
  'model',
  'workers',
  'threadsPerWorker',
  'maxBatch',
  'concurrency',
  'name',
  'lockDurationMs',
  'stalledIntervalMs',
  'maxStalledCount',
  'maxInlineBytes',
  'prefix',
  'log',
] as const;

/** Codes that mean the job itself is wrong: retrying cannot help. */
const unrecoverable = new Set(['E_INPUT', 'E_CONFIG']);

/** What {@link RestoreWorker.close} did with the jobs it held. */
export interface CloseResult {
  /** Jobs put back in the queue because they had not finished within the timeout. */
  requeued: number;
}

/** Consumes restoration jobs from one queue until closed. */
export class RestoreWorker {
  private stopping = false;
  private requeued = 0;
  private closing?: Promise<CloseResult>;

  private constructor(
    /** The BullMQ worker (events: `completed`, `failed`, `error`...). */
    readonly worker: Worker<RestoreJobData, RestoreJobResult>,
    /** The pool the jobs are restored on. */
    readonly pool: RestorePool,
    /** The worker's name in job progress and results. */
    readonly name: string,
  ) {}

  /** Opens the pool (rejecting as {@link RestorePool.open} does), connects and starts taking jobs. */
  static async start(options: RestoreWorkerOptions): Promise<RestoreWorker> {
    checkKeys(options, workerKeys, 'worker options');
    const maxBatch = checkInt(options.maxBatch, 'maxBatch', 1, 4096, 8);
    const connection = redisConnection(options.connection);
    const lockDuration = checkInt(options.lockDurationMs, 'lockDurationMs', 100, 3_600_000, 30_000);
    const stalledInterval = checkInt(options.stalledIntervalMs, 'stalledIntervalMs', 100, 3_600_000, 15_000);
    const maxStalledCount = checkInt(options.maxStalledCount, 'maxStalledCount', 0, 1000, 2);
    const maxInlineBytes = checkInt(options.maxInlineBytes, 'maxInlineBytes', 1, 512 * 1024 * 1024, DEFAULT_MAX_INLINE_BYTES);
    const pool = await RestorePool.open({
      model: options.model,
      workers: options.workers,
      threadsPerWorker: options.threadsPerWorker,
      batching: { maxBatch },
    });
    const concurrency = checkInt(options.concurrency, 'concurrency', 1, 100_000, 2 * pool.workers * maxBatch);
    const name = options.name ?? `${os.hostname()}:${process.pid}`;
    const log = options.log ?? (() => {});
    let self: RestoreWorker | undefined;
    const processor = async (job: Job<RestoreJobData, RestoreJobResult>, token?: string, signal?: AbortSignal) => {
      const progress = (stage: string) => job.updateProgress({ stage, worker: name });
      try {
        const data = parseJobData(job.data, maxInlineBytes);
        const ctx = { id: job.id ?? '', attempt: job.attemptsStarted, queuedAt: job.timestamp, worker: name, signal, progress };
        return await runRestoreJob(pool, data, ctx);
      } catch (e) {
        // Stopped by a shutdown past its timeout: back to the queue, not counted as a failure.
        if (e instanceof AbortError && self?.stopping) {
          await job.moveToWait(token);
          self.requeued++;
          throw new WaitingError();
        }
        if (!(e instanceof RestoreGradError)) throw e;
        const message = `${e.code}: ${e.message}`;
        if (unrecoverable.has(e.code)) throw new UnrecoverableError(message);
        throw new Error(message); // retried with the job's backoff
      }
    };
    const worker = new Worker<RestoreJobData, RestoreJobResult>(options.queue, processor, {
      connection,
      prefix: options.prefix,
      concurrency,
      name,
      lockDuration,
      stalledInterval,
      maxStalledCount,
      autorun: false,
    });
    worker.on('error', (e) => log(`worker ${name}: ${e.message}`));
    worker.on('failed', (job, e) => log(`job ${job?.id ?? '?'} failed (attempt ${job?.attemptsMade ?? '?'}): ${e.message}`));
    self = new RestoreWorker(worker, pool, name);
    try {
      await worker.waitUntilReady();
    } catch (e) {
      await Promise.allSettled([worker.close(true), pool.close()]);
      throw e;
    }
    void worker.run().catch((e: Error) => log(`worker ${name} stopped: ${e.message}`));
    return self;
  }

  /**
   * Takes no new jobs and lets the running ones finish; those still running after `timeoutMs`
   * are aborted and put back in the queue for another worker. Then closes the pool.
   */
  close(timeoutMs = 30_000): Promise<CloseResult> {
    this.closing ??= this.stop(timeoutMs);
    return this.closing;
  }

  /** During {@link RestoreWorker.close}: aborts the running jobs now and puts them back in the queue. */
  requeueRunning(): void {
    this.stopping = true;
    this.worker.cancelAllJobs('shutdown');
  }

  private async stop(timeoutMs: number): Promise<CloseResult> {
    this.stopping = true;
    const timer = setTimeout(() => this.requeueRunning(), timeoutMs);
    try {
      await this.worker.close();
    } finally {
      clearTimeout(timer);
      await this.pool.close();
    }
    return { requeued: this.requeued };
  }
}
