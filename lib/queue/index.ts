/** Restoration over Redis with BullMQ: producers queue jobs, workers on any machine restore them. */
export type { RedisTarget } from './connection';
export { redisConnection } from './connection';
export type { FileJob, InlineJob, RestoreJobData, RestoreJobOptions, RestoreJobProgress, RestoreJobResult } from './job';
export { DEFAULT_MAX_INLINE_BYTES, parseJobData, RESTORE_JOB } from './job';
export type { EnqueueOptions, QueueTarget } from './producer';
export { enqueueRestore, fileJobs } from './producer';
export type { CloseResult, RestoreWorkerOptions } from './worker';
export { RestoreWorker } from './worker';
