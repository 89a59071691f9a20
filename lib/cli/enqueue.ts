/** `restoregrad enqueue`: one restoration job per input file, into a queue the workers consume. */
import { parseArgs } from 'node:util';

import { enqueueRestore, fileJobs } from '../queue';
import { UsageError } from './usage';

const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));

export async function enqueueCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      redis: { type: 'string' },
      queue: { type: 'string' },
      out: { type: 'string' },
      steps: { type: 'string' },
      seed: { type: 'string' },
      eta: { type: 'string' },
      stride: { type: 'string' },
      attempts: { type: 'string' },
    },
  });
  if (!values.redis || !values.queue || !values.out || positionals.length === 0)
    throw new UsageError('enqueue needs --redis, --queue, --out and at least one input');
  const options = { steps: num(values.steps), seed: num(values.seed), eta: num(values.eta), stride: num(values.stride) };
  const jobs = fileJobs(positionals, values.out, options);
  const ids = await enqueueRestore({ connection: values.redis, name: values.queue }, jobs, { attempts: num(values.attempts) });
  process.stdout.write(ids.map((id) => `${id}\n`).join(''));
  process.stderr.write(`restoregrad: ${ids.length} jobs queued in '${values.queue}'\n`);
}
