/**
 * Dynamic batching in front of a model's native thread: items of concurrent restore calls that
 * share a shape and schedule are merged into one native call of up to `maxBatch` items, waiting at
 * most `maxDelayMs` for company. Each item carries its own seed, so its result does not depend on
 * what it was batched with.
 */
import { AbortError, fromNative, QueueFullError, type RestoreGradError } from './errors';
import { asRestoration, type NativeModel } from './native';

/** One signal to restore with its own seed. */
export interface BatchItem {
  data: Float32Array;
  seed: number;
}

/** What the items of one call share; only items with equal settings and lengths are merged. */
export interface BatchSettings {
  betas: readonly number[];
  useEma: boolean;
  bf16: boolean;
  /** Deliver each item's prior σ too. Not part of the merge key: a batch returns σ when any member asks. */
  returnSigma?: boolean;
  signal?: AbortSignal;
}

/** One item's result: the restored signal, and its prior's σ when the call asked for it. */
export interface BatchOutput {
  restored: Float32Array;
  sigma?: Float32Array;
}

/** Runs one native batch: `input` holds `seeds.length` rows of equal length. */
export type RunBatch = NativeModel['restore'];

/** Limits of the batcher. */
export interface BatcherLimits {
  maxBatch: number;
  maxDelayMs: number;
  maxQueue: number;
}

/** Counters of the batcher since the model was opened. */
export interface BatcherStats {
  /** Items waiting for a batch. */
  queueDepth: number;
  /** Items in the native call now running. */
  inFlight: number;
  /** Native calls run. */
  batches: number;
  /** Items restored. */
  items: number;
  /** How many batches had each size: `{size: count}`. */
  batchSizes: Record<number, number>;
  /** Samples restored. */
  samples: number;
  /** Time the native thread spent on batches, in seconds. */
  busySeconds: number;
  /** Calls rejected because the queue was full. */
  rejected: number;
}

interface Call {
  settings: BatchSettings;
  outputs: BatchOutput[];
  remaining: number;
  settled: boolean;
  resolve(outputs: BatchOutput[]): void;
  reject(error: RestoreGradError): void;
}

interface Piece {
  call: Call;
  index: number;
  item: BatchItem;
  key: string;
  queuedAt: number;
}

interface Running {
  pieces: Piece[];
  jobId: number;
  /** Set when a member call was aborted: the others go back to the queue. */
  cancelled: boolean;
  /** Rejections of aborted member calls, settled once the native job has stopped. */
  rejections: (() => void)[];
}

let nextJobId = 1;

/** A job id no other native call of this thread uses, for `cancel(jobId)`. */
export function newJobId(): number {
  return nextJobId++;
}

/** The queue and dispatcher of one model's restore calls. */
export class Batcher {
  private pending: Piece[] = [];
  private running: Running | undefined;
  private timer: NodeJS.Timeout | undefined;
  private idle: (() => void)[] = [];
  private readonly counts = { batches: 0, items: 0, samples: 0, busyMs: 0, rejected: 0 };
  private readonly sizes: Record<number, number> = {};

  constructor(
    private readonly run: RunBatch,
    private readonly cancel: (jobId: number) => void,
    private readonly limits: BatcherLimits,
  ) {}

  /** Restores `items`; resolves with their outputs in order. Rejects with `E_QUEUE_FULL` up front. */
  restore(items: readonly BatchItem[], settings: BatchSettings): Promise<BatchOutput[]> {
    if (this.pending.length + items.length > this.limits.maxQueue) {
      this.counts.rejected++;
      return Promise.reject(
        new QueueFullError(`restore queue is full: ${this.pending.length} items waiting, limit ${this.limits.maxQueue}`),
      );
    }
    const { signal } = settings;
    if (signal?.aborted) return Promise.reject(new AbortError());
    return new Promise<BatchOutput[]>((resolve, reject) => {
      const call: Call = { settings, outputs: new Array(items.length), remaining: items.length, settled: false, resolve, reject };
      const onAbort = () => this.fail(call, new AbortError());
      signal?.addEventListener('abort', onAbort, { once: true });
      call.resolve = (outputs) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(outputs);
      };
      call.reject = (error) => {
        signal?.removeEventListener('abort', onAbort);
        reject(error);
      };
      const now = performance.now();
      const key = `${settings.useEma}|${settings.bf16}|${settings.betas.join(',')}`;
      for (const [index, item] of items.entries())
        this.pending.push({ call, index, item, key: `${item.data.length}|${key}`, queuedAt: now });
      this.pump();
    });
  }

  /** Resolves once nothing is queued or running. */
  drained(): Promise<void> {
    if (!this.running && this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  stats(): BatcherStats {
    return {
      queueDepth: this.pending.length,
      inFlight: this.running?.pieces.length ?? 0,
      batches: this.counts.batches,
      items: this.counts.items,
      batchSizes: { ...this.sizes },
      samples: this.counts.samples,
      busySeconds: this.counts.busyMs / 1000,
      rejected: this.counts.rejected,
    };
  }

  private fail(call: Call, error: RestoreGradError): void {
    if (call.settled) return;
    call.settled = true;
    this.pending = this.pending.filter((p) => p.call !== call);
    const running = this.running;
    if (running?.pieces.some((p) => p.call === call)) {
      // The call settles when the native job has stopped, so nothing runs on for a settled call.
      if (!running.cancelled) this.cancel(running.jobId);
      running.cancelled = true;
      running.rejections.push(() => call.reject(error));
      return;
    }
    call.reject(error);
    this.notifyIdle();
  }

  /** Starts the next batch when the thread is free and the oldest item's batch is full or due. */
  private pump(): void {
    if (this.running || this.pending.length === 0) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const head = this.pending[0];
    const batch = this.pending.filter((p) => p.key === head.key).slice(0, this.limits.maxBatch);
    const wait = head.queuedAt + this.limits.maxDelayMs - performance.now();
    if (batch.length < this.limits.maxBatch && wait > 0) {
      this.timer = setTimeout(() => this.pump(), wait);
      return;
    }
    const chosen = new Set(batch);
    this.pending = this.pending.filter((p) => !chosen.has(p));
    void this.dispatch(batch);
  }

  private async dispatch(pieces: Piece[]): Promise<void> {
    const running: Running = { pieces, jobId: newJobId(), cancelled: false, rejections: [] };
    this.running = running;
    const length = pieces[0].item.data.length;
    const input = new Float32Array(pieces.length * length);
    for (const [row, p] of pieces.entries()) input.set(p.item.data, row * length);
    const { betas, useEma, bf16 } = pieces[0].call.settings;
    const returnSigma = pieces.some((p) => p.call.settings.returnSigma);
    const started = performance.now();
    try {
      const { restored, sigma } = asRestoration(
        await this.run(input, {
          batch: pieces.length,
          betas: [...betas],
          seeds: pieces.map((p) => p.item.seed),
          useEma,
          jobId: running.jobId,
          bf16,
          returnSigma,
        }),
      );
      this.count(pieces.length, pieces.length * length, performance.now() - started);
      // Copies made in this realm: the addon's arrays may come from another one (a vm context, as under jest).
      const row = (values: Float32Array, r: number) => new Float32Array(values.subarray(r * length, (r + 1) * length));
      for (const [r, p] of pieces.entries())
        this.deliver(p, { restored: row(restored, r), sigma: sigma && p.call.settings.returnSigma ? row(sigma, r) : undefined });
    } catch (err) {
      this.running = undefined;
      const error = fromNative(err);
      // A batch stopped for one member's abort is run again for the others, who keep their seeds.
      if (running.cancelled && error instanceof AbortError) this.pending.unshift(...pieces.filter((p) => !p.call.settled));
      else for (const p of pieces) this.fail(p.call, error);
    } finally {
      this.running = undefined;
      for (const reject of running.rejections) reject();
      this.pump();
      this.notifyIdle();
    }
  }

  private deliver(piece: Piece, output: BatchOutput): void {
    const call = piece.call;
    if (call.settled) return;
    call.outputs[piece.index] = output;
    if (--call.remaining === 0) {
      call.settled = true;
      call.resolve(call.outputs);
    }
  }

  private count(items: number, samples: number, ms: number): void {
    this.counts.batches++;
    this.counts.items += items;
    this.counts.samples += samples;
    this.counts.busyMs += ms;
    this.sizes[items] = (this.sizes[items] ?? 0) + 1;
  }

  private notifyIdle(): void {
    if (this.running || this.pending.length > 0) return;
    for (const resolve of this.idle.splice(0)) resolve();
  }
}
