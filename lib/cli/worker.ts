/**
 * `restoregrad worker`: restores the jobs of a queue until SIGTERM or SIGINT. A signal stops
 * taking jobs and lets the running ones finish; those still running after `--shutdown-timeout`
 * seconds, or at a second signal, go back to the queue. Exits 0 once the pool is closed.
 */
import { parseArgs } from 'node:util';

import { RestoreWorker } from '../queue';
import { UsageError } from './usage';

const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));

export async function workerCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      redis: { type: 'string' },
      queue: { type: 'string' },
      model: { type: 'string' },
      concurrency: { type: 'string' },
      workers: { type: 'string' },
      threads: { type: 'string' },
      batch: { type: 'string' },
      name: { type: 'string' },
      'lock-ms': { type: 'string' },
      'stalled-ms': { type: 'string' },
      'shutdown-timeout': { type: 'string', default: '30' },
    },
  });
  if (!values.redis || !values.queue || !values.model) throw new UsageError('worker needs --redis, --queue and --model');
  const timeoutMs = Number(values['shutdown-timeout']) * 1000;
  if (!(timeoutMs >= 0)) throw new UsageError('--shutdown-timeout must be a number of seconds');
  const log = (line: string) => process.stderr.write(`restoregrad: ${line}\n`);
  const worker = await RestoreWorker.start({
    connection: values.redis,
    queue: values.queue,
    model: values.model,
    concurrency: num(values.concurrency),
    workers: num(values.workers),
    threadsPerWorker: num(values.threads),
    maxBatch: num(values.batch),
    name: values.name,
    lockDurationMs: num(values['lock-ms']),
    stalledIntervalMs: num(values['stalled-ms']),
    log,
  });
  log(`worker ${worker.name}: ${worker.pool.workers} pool workers, ${worker.worker.concurrency} jobs at once, queue '${values.queue}'`);
  await new Promise<void>((resolve, reject) => {
    const stop = (signal: NodeJS.Signals) => {
      log(`worker ${worker.name}: ${signal}, finishing running jobs`);
      for (const s of ['SIGTERM', 'SIGINT'] as const) process.off(s, stop).once(s, () => worker.requeueRunning());
      worker.close(timeoutMs).then(({ requeued }) => {
        log(`worker ${worker.name}: stopped${requeued ? `, ${requeued} jobs back in the queue` : ''}`);
        resolve();
      }, reject);
    };
    process.once('SIGTERM', stop).once('SIGINT', stop);
  });
}
