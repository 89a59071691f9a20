/**
 * What a restoration job carries through Redis and what it returns. Job data is checked on both
 * sides: by the producer before it is queued, and by the worker, which fails a bad job at once
 * (`E_INPUT`, never retried) instead of retrying it.
 */
import * as path from 'node:path';

import { InputError } from '../errors';
import { checkInt, checkKeys, checkNumber } from '../validate';

/** The name every restoration job has in its queue. */
export const RESTORE_JOB = 'restore';

/** Largest inline input, decoded (default 8 MiB): bigger payloads belong on shared storage, not in Redis. */
export const DEFAULT_MAX_INLINE_BYTES = 8 * 1024 * 1024;

/** Sampling options of a job, as `restore()` takes them. */
export interface RestoreJobOptions {
  /** Sampling steps (default: the model's). */
  steps?: number;
  /** Seed of the sampling noise (default 0). */
  seed?: number;
  /** DDIM η, image models only. */
  eta?: number;
  /** Patch grid stride, image models only. */
  stride?: number;
}

/** A file on storage every worker shares, restored into another: absolute paths. */
export interface FileJob extends RestoreJobOptions {
  /** A WAV file (speech model) or a PNG, JPEG or WebP image (image model). */
  input: string;
  /** Where the result goes; written to a temporary file beside it and renamed. Same format as the input. */
  output: string;
}

/** A file's bytes carried in the job, base64, restored into bytes of the same format returned in the result. */
export interface InlineJob extends RestoreJobOptions {
  /** The bytes of a WAV file (speech model) or a PNG, JPEG or WebP image (image model), base64. */
  data: string;
}

/** The data of a restoration job: a file on shared storage, or bytes carried inline. */
export type RestoreJobData = FileJob | InlineJob;

/** What a completed job returns (its BullMQ return value). */
export interface RestoreJobResult {
  /** The file written (file jobs). */
  output?: string;
  /** The restored file's bytes, base64 (inline jobs). */
  data?: string;
  /** True when an earlier attempt had already written the whole output, so this one restored nothing. */
  reused: boolean;
  /** Milliseconds from the job's start on the worker to its end, reading and writing included. */
  durationMs: number;
  /** Milliseconds reading, restoring (waiting for a batch included) and encoding; 0 when reused. */
  restoreMs: number;
  /** Speech: samples restored. */
  samples?: number;
  /** Speech: their sample rate in Hz. */
  sampleRate?: number;
  /** Images: width × height. */
  pixels?: number;
  /** The worker's name. */
  worker: string;
  /** Which start of the job this was (1 for the first). */
  attempt: number;
}

/** What a job reports as its progress while it runs. */
export interface RestoreJobProgress {
  /** What the job is doing: `restoring` includes waiting for a batch. */
  stage: 'reading' | 'restoring' | 'writing' | 'done';
  /** The name of the worker running it. */
  worker: string;
}

const optionKeys = ['steps', 'seed', 'eta', 'stride'] as const;
const base64 = /^[A-Za-z0-9+/]*={0,2}$/;

function checkPath(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new InputError(`job ${name} must be a file path, got ${typeof value}`);
  if (!path.isAbsolute(value)) throw new InputError(`job ${name} must be an absolute path (workers run elsewhere), got '${value}'`);
  return value;
}

/** Checks job data and returns it typed; `E_INPUT` names the first thing wrong. */
export function parseJobData(data: unknown, maxInlineBytes = DEFAULT_MAX_INLINE_BYTES): RestoreJobData {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new InputError('job data must be an object');
  const d = data as Record<string, unknown>;
  const inline = 'data' in d;
  if (inline === 'input' in d) throw new InputError('job data needs either `input` and `output` (file paths) or `data` (base64 bytes)');
  checkKeys(d, inline ? ['data', ...optionKeys] : ['input', 'output', ...optionKeys], 'job data');
  const options: RestoreJobOptions = {
    steps: d.steps === undefined ? undefined : checkInt(d.steps, 'job steps', 1, 100_000),
    seed: d.seed === undefined ? undefined : checkInt(d.seed, 'job seed', 0, Number.MAX_SAFE_INTEGER),
    eta: d.eta === undefined ? undefined : checkNumber(d.eta, 'job eta', 0, 1),
    stride: d.stride === undefined ? undefined : checkInt(d.stride, 'job stride', 1, 1 << 20),
  };
  if (!inline) return { input: checkPath(d.input, 'input'), output: checkPath(d.output, 'output'), ...options };
  if (typeof d.data !== 'string' || d.data.length === 0 || d.data.length % 4 !== 0 || !base64.test(d.data))
    throw new InputError('job data.data must be non-empty base64');
  const bytes = (d.data.length / 4) * 3;
  if (bytes > maxInlineBytes + 2)
    throw new InputError(`inline job data is ${bytes} bytes, over the limit of ${maxInlineBytes}: put the file on shared storage`);
  return { data: d.data, ...options };
}
