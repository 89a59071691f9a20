/**
 * `restoregrad/queue`: restoration over Redis with BullMQ. Producers queue jobs, workers on any
 * machine restore them. A subpath of its own, so that `restoregrad` does not load BullMQ.
 *
 * @module restoregrad/queue
 */
export type { RedisTarget } from './connection';
export { redisConnection } from './connection';
export type { FileJob, InlineJob, RestoreJobData, RestoreJobOptions, RestoreJobProgress, RestoreJobResult } from './job';
export { DEFAULT_MAX_INLINE_BYTES, parseJobData, RESTORE_JOB } from './job';
export type { EnqueueOptions, QueueTarget } from './producer';
export { enqueueRestore, fileJobs } from './producer';
export type { CloseResult, RestoreWorkerOptions } from './worker';
export { RestoreWorker } from './worker';
