/**
 * One restoration job on a worker: read the input (a shared file or inline bytes), restore it
 * through the pool (where it joins a batch), and write the result atomically or return it inline.
 */
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';

import { readWav } from '../audio/files';
import { decodeWav, encodeWav } from '../audio/wav';
import { InputError } from '../errors';
import type { Image } from '../image/image';
import { encodeImage, formatOf, type ImageFormat, readImage } from '../image/io';
import type { RestorePool } from '../pool';
import { removeStaleTemps, writeAtomic } from './atomic';
import type { FileJob, RestoreJobData, RestoreJobProgress, RestoreJobResult } from './job';

/** What the worker knows about the job being run. */
export interface JobContext {
  id: string;
  /** 1 for the first start of the job, more when it is retried or recovered after a stall. */
  attempt: number;
  /** When the job was queued (ms since the epoch). */
  queuedAt: number;
  worker: string;
  signal?: AbortSignal;
  progress(stage: RestoreJobProgress['stage']): Promise<void>;
}

/** A restored signal or image, its encoded bytes and its size. */
interface Restored {
  bytes: Uint8Array;
  samples?: number;
  sampleRate?: number;
  pixels?: number;
}

/** The format of image bytes, from their signature; `E_INPUT` for anything else. */
function sniffImage(bytes: Uint8Array): ImageFormat {
  const ascii = (from: number, to: number) => Buffer.from(bytes.subarray(from, to)).toString('latin1');
  if (ascii(0, 8) === '\x89PNG\r\n\x1a\n') return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'jpeg';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  throw new InputError('inline job data is not a PNG, JPEG or WebP image');
}

/** Restores speech (`source`: WAV bytes or a path) or an image (bytes or a path) and encodes the result as `format`. */
async function restoreOne(
  pool: RestorePool,
  job: RestoreJobData,
  source: string | Uint8Array,
  format: ImageFormat | 'wav',
  ctx: JobContext,
) {
  const { steps, seed, eta, stride } = job;
  const defined = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  if (format === 'wav') {
    if (eta !== undefined || stride !== undefined) throw new InputError('job eta and stride are for image models');
    const audio = typeof source === 'string' ? await readWav(source) : decodeWav(Buffer.from(source), { name: 'inline job data' });
    await ctx.progress('restoring');
    const out = await pool.restore(audio.samples, defined({ steps, seed, sampleRate: audio.sampleRate, signal: ctx.signal }));
    return { bytes: encodeWav(out, audio.sampleRate), samples: out.length, sampleRate: audio.sampleRate } satisfies Restored;
  }
  await ctx.progress('restoring');
  const image: Image = await pool.restore(source, defined({ steps, seed, eta, stride, signal: ctx.signal }));
  return { bytes: await encodeImage(image, format), pixels: image.width * image.height } satisfies Restored;
}

/**
 * The whole output of an earlier attempt of this job, if there is one: written after the job was
 * queued (outputs appear only by rename, so complete) and of the input's length or size.
 */
async function earlierOutput(job: FileJob, speech: boolean, ctx: JobContext): Promise<Omit<Restored, 'bytes'> | undefined> {
  const stat = await fs.promises.stat(job.output).catch(() => undefined);
  if (!stat?.isFile() || stat.mtimeMs < ctx.queuedAt) return undefined;
  try {
    if (speech) {
      const [input, output] = await Promise.all([readWav(job.input), readWav(job.output)]);
      const whole = output.samples.length === input.samples.length && output.sampleRate === input.sampleRate;
      return whole ? { samples: output.samples.length, sampleRate: output.sampleRate } : undefined;
    }
    const [input, output] = await Promise.all([readImage(job.input), readImage(job.output)]);
    return output.width === input.width && output.height === input.height ? { pixels: output.width * output.height } : undefined;
  } catch {
    return undefined; // not a readable output: restore again
  }
}

/** Runs one job on `pool`; rejects with the API's typed errors. */
export async function runRestoreJob(pool: RestorePool, job: RestoreJobData, ctx: JobContext): Promise<RestoreJobResult> {
  const t0 = performance.now();
  const speech = pool.config.modality !== 'image';
  const base = { worker: ctx.worker, attempt: ctx.attempt };
  await ctx.progress('reading');
  if ('data' in job) {
    const bytes = Buffer.from(job.data, 'base64');
    const t1 = performance.now();
    const r = await restoreOne(pool, job, bytes, speech ? 'wav' : sniffImage(bytes), ctx);
    const restoreMs = performance.now() - t1;
    await ctx.progress('done');
    const { bytes: out, ...size } = r;
    return { data: Buffer.from(out).toString('base64'), reused: false, durationMs: performance.now() - t0, restoreMs, ...size, ...base };
  }
  const format = speech ? 'wav' : formatOf(job.output); // before any work: E_INPUT for an unknown extension
  await removeStaleTemps(job.output, ctx.id);
  if (ctx.attempt > 1) {
    const earlier = await earlierOutput(job, speech, ctx);
    if (earlier) {
      await ctx.progress('done');
      return { output: job.output, reused: true, durationMs: performance.now() - t0, restoreMs: 0, ...earlier, ...base };
    }
  }
  const t1 = performance.now();
  const { bytes, ...size } = await restoreOne(pool, job, job.input, format, ctx);
  const restoreMs = performance.now() - t1;
  await ctx.progress('writing');
  await writeAtomic(job.output, bytes, ctx.id);
  await ctx.progress('done');
  return { output: job.output, reused: false, durationMs: performance.now() - t0, restoreMs, ...size, ...base };
}
