/** Putting restoration jobs in a queue, from code or from the `enqueue` command. */
import * as path from 'node:path';

import { type JobsOptions, Queue } from 'bullmq';

import { InputError } from '../errors';
import { imageExtensions } from '../image/io';
import { listInputs } from '../inputs';
import { checkInt, checkKeys } from '../validate';
import { type RedisTarget, redisConnection } from './connection';
import { DEFAULT_MAX_INLINE_BYTES, parseJobData, RESTORE_JOB, type RestoreJobData, type RestoreJobOptions } from './job';

/** A queue by name on a Redis server, for callers that hold no BullMQ `Queue`. */
export interface QueueTarget {
  /** Redis URL (`redis://host:port/db`) or ioredis connection options. */
  connection: RedisTarget;
  /** The queue's name. */
  name: string;
  /** BullMQ key prefix (default `bull`). */
  prefix?: string;
}

/** Options of {@link enqueueRestore}. */
export interface EnqueueOptions {
  /** Tries per job before it fails for good (default 3); bad job data is never retried. */
  attempts?: number;
  /** First retry delay; each next one doubles (default 1000 ms). */
  backoffMs?: number;
  /** Largest inline input, decoded (default 8 MiB); the workers have a limit of their own. */
  maxInlineBytes?: number;
  /** Any other BullMQ job options (priority, removeOnComplete, jobId...). */
  jobOptions?: JobsOptions;
}

const enqueueKeys = ['attempts', 'backoffMs', 'maxInlineBytes', 'jobOptions'] as const;

/**
 * Checks every job (`E_INPUT` for the first bad one, before anything is queued), adds them all
 * in one round trip and resolves with their ids, in order.
 */
export async function enqueueRestore(
  target: Queue | QueueTarget,
  jobs: readonly RestoreJobData[],
  options: EnqueueOptions = {},
): Promise<string[]> {
  checkKeys(options, enqueueKeys, 'enqueue options');
  if (!Array.isArray(jobs)) throw new InputError('jobs must be an array of job data');
  const attempts = checkInt(options.attempts, 'attempts', 1, 1000, 3);
  const backoffMs = checkInt(options.backoffMs, 'backoffMs', 0, 86_400_000, 1000);
  const maxInline = checkInt(options.maxInlineBytes, 'maxInlineBytes', 1, 512 * 1024 * 1024, DEFAULT_MAX_INLINE_BYTES);
  const data = jobs.map((job, i) => {
    try {
      return parseJobData(job, maxInline);
    } catch (e) {
      throw new InputError(`jobs[${i}]: ${(e as Error).message}`, { cause: e });
    }
  });
  const opts: JobsOptions = { attempts, backoff: { type: 'exponential', delay: backoffMs }, ...options.jobOptions };
  const queue =
    target instanceof Queue ? target : new Queue(target.name, { connection: redisConnection(target.connection), prefix: target.prefix });
  try {
    const added = await queue.addBulk(data.map((d) => ({ name: RESTORE_JOB, data: d, opts })));
    return added.map((j) => j.id as string);
  } finally {
    if (queue !== target) await queue.close();
  }
}

/** Extensions of the files a job can name: WAV for speech models, PNG/JPEG/WebP for image models. */
const restorable = ['.wav', ...Object.keys(imageExtensions)];

/**
 * File jobs for `inputs` (files, or the restorable files directly inside folders, sorted), each
 * writing to a file of the same name in `outDir`. Paths are made absolute, as workers elsewhere
 * need them.
 */
export function fileJobs(inputs: readonly string[], outDir: string, options: RestoreJobOptions = {}): RestoreJobData[] {
  const files = listInputs(inputs, restorable, 'WAV, PNG, JPEG or WebP');
  const names = new Set<string>();
  return files.map((file) => {
    const name = path.basename(file);
    if (names.has(name)) throw new InputError(`two inputs are named '${name}'; their outputs would collide in '${outDir}'`);
    names.add(name);
    return { input: path.resolve(file), output: path.resolve(outDir, name), ...options };
  });
}
