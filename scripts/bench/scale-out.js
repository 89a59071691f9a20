#!/usr/bin/env node
// `npm run bench:scale-out`: restoration jobs through a local Redis (BullMQ) with 1, 2 and 4
// `restoregrad worker` processes on this machine, the cores shared evenly between them, for one
// fixed set of jobs; then what Redis itself costs per job, to predict how far N machines scale.
// Writes bench/results/scale-out.md.
//
// usage: node scripts/bench/scale-out.js [--jobs 128] [--seconds 1] [--preset speech-small] [--fleets 1,2,4] [--rounds 2]
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');

const root = path.join(__dirname, '..', '..');
const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '128' },
    seconds: { type: 'string', default: '1' },
    preset: { type: 'string', default: 'speech-small' },
    fleets: { type: 'string', default: '1,2,4' },
    rounds: { type: 'string', default: '2' },
    'noop-jobs': { type: 'string', default: '2000' },
    out: { type: 'string', default: path.join(root, 'bench', 'results', 'scale-out.md') },
  },
});
const jobCount = Number(values.jobs);
const seconds = Number(values.seconds);
const fleets = values.fleets.split(',').map(Number);
const { createModel, encodeWav } = require(path.join(root, 'dist'));
const { enqueueRestore, redisConnection } = require(path.join(root, 'dist', 'queue'));
const { Random } = require(path.join(root, 'dist', 'random'));
const { Queue, QueueEvents, Worker } = require('bullmq');
const { startRedis } = require(path.join(root, 'scripts', 'redis-server.js'));

const cli = path.join(root, 'dist', 'cli', 'main.js');
const cores = os.availableParallelism();
/** Share of the machine's CPU taken by other processes above which a round counts as disturbed. */
const DISTURBED = 0.05;
const f = (x, d = 2) => x.toFixed(d);
const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
/** CPU seconds all processes of the machine have run so far. */
function machineBusy() {
  const [user, nice, system, , , irq, softirq, steal] = fs
    .readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return (user + nice + system + irq + softirq + steal) / ticks;
}
/** CPU seconds of this process and of the children it has waited for (the workers, once they exit). */
function ownBusy() {
  const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / ticks;
}
/** Redis's own CPU seconds (user + system) and commands so far, from INFO (microsecond resolution). */
async function redisCounters(queue) {
  const info = await (await queue.client).info();
  const field = (name) => Number(info.match(new RegExp(`^${name}:(\\S+)`, 'm'))[1]);
  return { cpu: field('used_cpu_user') + field('used_cpu_sys'), commands: field('total_commands_processed') };
}

function startWorker(redis, queue, name, threads) {
  const args = [cli, 'worker', '--redis', redis.url, '--queue', queue, '--model', model, '--name', name];
  const child = spawn(process.execPath, [...args, '--workers', '1', '--threads', String(threads)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  const ready = new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      stderr += d;
      if (stderr.includes('jobs at once')) resolve();
    });
    child.on('exit', () => reject(new Error(`worker ${name} exited: ${stderr}`)));
  });
  return { child, ready, exited };
}

/** Resolves when every id in `ids` has completed; rejects on a permanent failure or after `timeoutMs`. */
function completion(events, ids, timeoutMs) {
  const pending = new Set(ids);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${pending.size} jobs unfinished after ${timeoutMs} ms`)), timeoutMs);
    const onCompleted = ({ jobId }) => {
      pending.delete(jobId);
      if (pending.size === 0) {
        clearTimeout(timer);
        events.off('completed', onCompleted);
        resolve();
      }
    };
    events.on('completed', onCompleted);
    events.on('failed', ({ jobId, failedReason }) => ids.includes(jobId) && reject(new Error(`job ${jobId}: ${failedReason}`)));
  });
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-scale-out-'));
const model = path.join(tmp, 'model.safetensors');

async function fleetRun(redis, size) {
  const queueName = `scale-${size}`;
  const connection = redisConnection(redis.url);
  const queue = new Queue(queueName, { connection });
  const events = new QueueEvents(queueName, { connection, lastEventId: '0-0' });
  await events.waitUntilReady();
  const threads = Math.max(1, Math.floor(cores / size));
  // Whatever else ran meanwhile: the machine's CPU time less this process's, its workers' and Redis's.
  const [machine0, own0, redis0, start] = [machineBusy(), ownBusy(), await redisCounters(queue), performance.now()];
  const workers = Array.from({ length: size }, (_, i) => startWorker(redis, queueName, `p${i}`, threads));
  await Promise.all(workers.map((w) => w.ready));
  const jobsIn = (dir, n) => inputs.slice(0, n).map((input, i) => ({ input, output: path.join(tmp, dir, `${i}.wav`), seed: i }));
  // Warm-up: every process restores a batch before the clock starts (first-call allocations).
  const warm = await enqueueRestore(queue, jobsIn(`warm-${size}`, Math.min(jobCount, 8 * size)));
  await completion(events, warm, 600_000);
  const before = await redisCounters(queue);
  const t0 = performance.now();
  const ids = await enqueueRestore(queue, jobsIn(`out-${size}`, jobCount));
  await completion(events, ids, 1_200_000);
  const wall = (performance.now() - t0) / 1000;
  const after = await redisCounters(queue);
  const results = await Promise.all(ids.map(async (id) => (await queue.getJob(id)).returnvalue));
  for (const w of workers) w.child.kill('SIGTERM');
  const codes = await Promise.all(workers.map((w) => w.exited));
  if (codes.some((c) => c !== 0)) throw new Error(`workers exited with ${codes.join(', ')}`);
  const others = machineBusy() - machine0 - (ownBusy() - own0) - ((await redisCounters(queue)).cpu - redis0.cpu);
  const othersShare = Math.max(0, others) / (((performance.now() - start) / 1000) * cores);
  await events.close();
  await queue.close();
  const meanLatency = results.reduce((s, r) => s + r.durationMs, 0) / results.length / 1000;
  return {
    size,
    threads,
    wall,
    jobsPerS: jobCount / wall,
    audioPerS: (jobCount * seconds) / wall,
    meanLatency,
    redisMsPerJob: ((after.cpu - before.cpu) * 1000) / jobCount,
    commandsPerJob: (after.commands - before.commands) / jobCount,
    othersShare,
  };
}

/** BullMQ and Redis alone: an in-process worker that does nothing, over many jobs of the same data. */
async function noopRun(redis, n) {
  const connection = redisConnection(redis.url);
  const queue = new Queue('noop', { connection });
  const data = inputs.slice(0, 1).map((input) => ({ input, output: path.join(tmp, 'noop.wav') }))[0];
  await queue.addBulk(Array.from({ length: n }, () => ({ name: 'restore', data })));
  const before = await redisCounters(queue);
  const client0 = process.cpuUsage();
  const t0 = performance.now();
  let done = 0;
  await new Promise((resolve) => {
    // The same per-job round trips as a real worker: progress reports and a result.
    const worker = new Worker(
      'noop',
      async (job) => {
        for (const stage of ['reading', 'restoring', 'writing', 'done']) await job.updateProgress({ stage, worker: 'noop' });
        return { output: data.output, durationMs: 0 };
      },
      { connection, concurrency: 16 },
    );
    worker.on('completed', () => ++done === n && worker.close().then(resolve));
  });
  const wall = (performance.now() - t0) / 1000;
  const client = process.cpuUsage(client0);
  const after = await redisCounters(queue);
  await queue.close();
  return {
    jobsPerS: n / wall,
    redisMsPerJob: ((after.cpu - before.cpu) * 1000) / n,
    commandsPerJob: (after.commands - before.commands) / n,
    clientMsPerJob: (client.user + client.system) / 1000 / n,
  };
}

let inputs = [];
async function main() {
  const load = os.loadavg();
  const m = await createModel({ preset: values.preset, seed: 1, threads: 1 });
  await m.save(model);
  const sampleRate = m.config.sampleRate;
  await m.dispose();
  const r = new Random(1);
  inputs = Array.from({ length: jobCount }, (_, i) => {
    const x = Float32Array.from({ length: Math.round(seconds * sampleRate) }, () => 0.1 * (2 * r.next() - 1));
    const file = path.join(tmp, 'in', `${i}.wav`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, encodeWav(x, sampleRate));
    return file;
  });
  const redis = await startRedis();
  try {
    // Rounds interleave the fleet sizes, so that a slow spell of the machine does not fall on one size.
    const runs = [];
    for (let round = 0; round < Number(values.rounds); round++)
      for (const size of fleets) {
        const r = await fleetRun(redis, size);
        runs.push(r);
        console.error(
          `${size} processes: ${r.wall.toFixed(2)} s, ${r.jobsPerS.toFixed(2)} jobs/s, Redis ${r.redisMsPerJob.toFixed(3)} ms/job, other processes ${(r.othersShare * 100).toFixed(1)} % of the CPU`,
        );
      }
    const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const rows = fleets.map((size) => {
      const of = runs.filter((r) => r.size === size);
      // Rounds that other work slowed are shown but left out of the means, unless all were.
      const quiet = of.filter((r) => r.othersShare < DISTURBED);
      const avg = (key) => mean((quiet.length > 0 ? quiet : of).map((r) => r[key]));
      return {
        size,
        threads: of[0].threads,
        rounds: of.map((r) => `${f(r.jobsPerS)}${r.othersShare < DISTURBED ? '' : ' (disturbed)'}`),
        jobsPerS: avg('jobsPerS'),
        audioPerS: avg('audioPerS'),
        meanLatency: avg('meanLatency'),
        redisMsPerJob: avg('redisMsPerJob'),
        commandsPerJob: avg('commandsPerJob'),
        others: of.map((r) => r.othersShare),
      };
    });
    const noop = await noopRun(redis, Number(values['noop-jobs']));
    console.error(`no-op: ${noop.jobsPerS.toFixed(0)} jobs/s, Redis ${noop.redisMsPerJob.toFixed(3)} ms/job`);
    fs.writeFileSync(values.out, report(rows, noop, load, os.loadavg()));
    console.error(`wrote ${path.relative(root, values.out)}`);
  } finally {
    await redis.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function report(rows, noop, loadBefore, loadAfter) {
  const cpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) ?? [])[1] ?? 'unknown CPU';
  const redisVersion = execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).match(/v=(\S+)/)?.[1];
  const best = rows.reduce((a, b) => (b.jobsPerS > a.jobsPerS ? b : a));
  const first = rows[0];
  const redisMs = Math.max(...rows.map((r) => r.redisMsPerJob));
  const ceiling = 1000 / redisMs;
  const lines = [
    '# Scale-out: restoration jobs over Redis (BullMQ)',
    '',
    `Command: \`npm run bench:scale-out${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\``,
    `Machine: ${cores} cores (\`nproc\`: ${execFileSync('nproc', { encoding: 'utf8' }).trim()}), ${cpu}, ${f(os.totalmem() / 2 ** 30, 1)} GiB, Node ${process.version}, redis-server ${redisVersion} on 127.0.0.1. Date: ${new Date().toISOString().slice(0, 10)}.`,
    `Load average (1 min) before the run ${f(loadBefore[0])}, after it ${f(loadAfter[0])}. The last column is the CPU time of every process this benchmark did not start, as a share of the machine (all cores) from a run's first worker start to its last exit: other work on the machine. Rounds where it exceeds ${DISTURBED * 100} % are marked disturbed and left out of the other columns (unless every round of that row was).`,
    `Jobs: ${jobCount} files of ${seconds} s (16-bit WAV, ${values.preset}, untrained weights: time does not depend on them), 6 steps, file in and file out on local disk, after a warm-up batch per process; ${values.rounds} rounds, each running every number of processes in turn.`,
    'Each process: `restoregrad worker --workers 1 --threads T` (one model, T intra-op threads, batches of up to 8, 16 jobs at once), T = cores / processes.',
    '',
    '| processes | threads each | jobs/s (mean of quiet rounds) | jobs/s in each round | audio s / s | jobs/s per process | mean job time (s) | Redis CPU per job (ms) | Redis commands per job | CPU used by other processes, each round |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.size} | ${r.threads} | ${f(r.jobsPerS)} | ${r.rounds.join(', ')} | ${f(r.audioPerS)} | ${f(r.jobsPerS / r.size)} | ${f(r.meanLatency)} | ${f(r.redisMsPerJob, 3)} | ${f(r.commandsPerJob, 1)} | ${r.others.map((x) => `${f(x * 100, 1)} %`).join(', ')} |`,
    ),
    '',
    `Redis and BullMQ alone (an in-process worker that does nothing but the same four progress reports and a result, ${values['noop-jobs']} jobs, 16 at once): ${f(noop.jobsPerS, 0)} jobs/s, Redis CPU ${f(noop.redisMsPerJob, 3)} ms and ${f(noop.commandsPerJob, 1)} commands per job, the client's CPU ${f(noop.clientMsPerJob, 3)} ms per job.`,
    '',
    '## Reading it',
    '',
    `- **One machine.** Restoration is the bottleneck: ${f(best.jobsPerS)} jobs/s (${f(best.audioPerS)} audio s/s) at best, with ${best.size} process(es) of ${best.threads} thread(s), ${f(best.jobsPerS / first.jobsPerS)}× the ${first.size}-process figure. The processes share the same ${cores} cores, so more of them only change how the cores are used (one model on more threads, or more models on fewer), not how many cores there are; the rounds show how much the same case varies from run to run. Much of that is the run's tail: a process takes up to 16 jobs at a time, so when the queue runs dry one process may still hold two batches while the others idle.`,
    `- **Job time** runs from a worker taking the job to its result. Each process holds 16 jobs, which wait there for their batch, so the mean grows with the jobs held per process over its rate (${f(16 / first.jobsPerS)} s for 16 jobs at ${f(first.jobsPerS)} jobs/s); a queue with fewer jobs than workers hold answers sooner.`,
    `- **Redis per job.** ${f(Math.min(...rows.map((r) => r.redisMsPerJob)), 3)} to ${f(redisMs, 3)} ms of Redis CPU per job in these runs: everything Redis did while they ran, the workers' blocking fetches, lock renewals, stalled checks and the event stream included. The job's own commands (add, fetch, four progress reports, completion) cost ${f(noop.redisMsPerJob, 3)} ms in the no-op run; the rest grows with time and with the number of processes, and so, in a fleet of machines like this one, in step with the jobs. Against ${f(1 / best.jobsPerS, 3)} s of this machine's time per job Redis is ${f((redisMs / (1000 / best.jobsPerS)) * 100, 2)} % of the work.`,
    '',
    '## Predicted scaling to N machines (predictions, not measurements)',
    '',
    `Assuming N machines like this one, each running the best configuration above (${f(best.jobsPerS)} jobs/s), one Redis on a core of its own, files on shared storage fast enough for 2 × ${f((seconds * 32000) / 1024, 0)} KB per job, and network round trips hidden by the 16 jobs each process keeps in flight. Redis runs commands on one thread, so it saturates at about 1 / (the largest Redis CPU per job measured) = ${f(ceiling, 0)} jobs/s; below that, throughput should add up linearly: N × ${f(best.jobsPerS)} jobs/s.`,
    '',
    '| machines | predicted jobs/s | predicted audio s / s | Redis busy (predicted) |',
    '|---|---|---|---|',
    ...[1, 2, 4, 8, 16, 64, 256].map((n) => {
      const rate = Math.min(n * best.jobsPerS, ceiling);
      return `| ${n} | ${f(rate)} | ${f(rate * seconds)} | ${f(Math.min(1, (rate * redisMs) / 1000) * 100, 1)} % |`;
    }),
    '',
    `Redis would be the limit only past about ${f(ceiling / best.jobsPerS, 0)} machines of this kind. Machines that restore faster (GPUs) reach it with fewer of them, but pay less time-driven Redis work per job, so their ceiling lies between ${f(ceiling, 0)} and 1 / ${f(noop.redisMsPerJob, 3)} ms = ${f(1000 / noop.redisMsPerJob, 0)} jobs/s; past it, shard jobs over several queues on several Redis servers. The no-op rate of ${f(noop.jobsPerS, 0)} jobs/s is one Node client's limit (${f(noop.clientMsPerJob, 3)} ms of its CPU per job), not Redis's: a worker spends about that much CPU on BullMQ per job, ${f((best.jobsPerS * noop.clientMsPerJob) / 10, 2)} % of one core at this machine's rate.`,
    '',
  ];
  return lines.join('\n');
}

main().catch((e) => {
  console.error(e);
  fs.rmSync(tmp, { recursive: true, force: true });
  process.exit(1);
});
