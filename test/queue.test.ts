// Restoration over a real Redis with real worker processes (`restoregrad worker`), as deployed.
// Worker processes run the built CLI, so these tests use the built package (`npm test` builds it).
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { type Job, Queue, QueueEvents } from 'bullmq';

import { createModel, decodeWav, encodeImage, encodeWav, readImage, writeImage } from '../dist';
import { enqueueRestore, type RestoreJobResult, redisConnection } from '../dist/queue';
import { tonePair } from './helpers';
import { type RedisServer, startRedis } from './redis';

const cli = path.join(__dirname, '../dist/cli/main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-queue-'));
const model = path.join(tmp, 'tiny.safetensors');
let redis: RedisServer;
const closables: { close(): Promise<unknown> }[] = [];
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  redis = await startRedis();
  const m = await createModel({ preset: 'speech-tiny', seed: 3, threads: 1 });
  await m.save(model);
  await m.dispose();
});

afterAll(async () => {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) process.kill(-(w.child.pid as number), 'SIGKILL');
  for (const c of closables) await c.close();
  await redis?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface WorkerProcess {
  name: string;
  child: ChildProcess;
  stderr: () => string;
  /** The exit code, or the signal that ended it. */
  exited: Promise<number | string>;
}

/** A `restoregrad worker` process of one pool thread with one intra-op thread, once it takes jobs. */
async function startWorker(queue: string, name: string, flags: string[] = [], checkpoint = model): Promise<WorkerProcess> {
  const args = [cli, 'worker', '--redis', redis.url, '--queue', queue, '--model', checkpoint, '--name', name];
  const oneThread = ['--workers', '1', '--threads', '1'];
  // Its own process group: the CLI may relaunch itself with tcmalloc, and a kill must reach both.
  const child = spawn(process.execPath, [...args, ...oneThread, ...flags], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal as string))));
  const w: WorkerProcess = { name, child, stderr: () => stderr, exited };
  workers.push(w);
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (d) => {
      stderr += d;
      if (stderr.includes('jobs at once')) resolve();
    });
    child.on('exit', () => reject(new Error(`worker ${name} exited before it started: ${stderr}`)));
  });
  return w;
}

function open(name: string): { queue: Queue; events: QueueEvents } {
  const connection = redisConnection(redis.url);
  // Events from the start of the stream, so that none is missed before the reader connects.
  const q = { queue: new Queue(name, { connection }), events: new QueueEvents(name, { connection, lastEventId: '0-0' }) };
  closables.push(q.events, q.queue);
  return q;
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(20)) if (await check()) return;
  throw new Error(`timed out waiting for ${what}`);
}

/** WAV files of the given lengths in a new folder; their paths. */
function writeInputs(dir: string, lengths: number[]): string[] {
  fs.mkdirSync(dir, { recursive: true });
  return lengths.map((n, i) => {
    const file = path.join(dir, `in-${String(i).padStart(3, '0')}.wav`);
    fs.writeFileSync(file, encodeWav(tonePair(n, i + 1).degraded, 16000));
    return file;
  });
}

const activeHeldBy = async (queue: Queue) =>
  (await queue.getActive()).filter((j) => (j.progress as { stage?: string })?.stage === 'restoring').map((j) => j as Job);

test('200 jobs on 3 worker processes, one SIGKILLed mid-batch: each completes once, every output whole, no temp files', async () => {
  const { queue, events } = open('scale');
  const completions = new Map<string, number>();
  events.on('completed', ({ jobId }) => completions.set(jobId, (completions.get(jobId) ?? 0) + 1));
  await events.waitUntilReady();
  const lengths = Array.from({ length: 200 }, (_, i) => 1600 + ((i * 37) % 26) * 96); // 0.10–0.25 s
  const inputs = writeInputs(path.join(tmp, 'scale-in'), lengths);
  const out = path.join(tmp, 'scale-out');
  // Short locks so that the dead worker's jobs come back within seconds.
  const fleet = await Promise.all(['w0', 'w1', 'w2'].map((n) => startWorker('scale', n, ['--lock-ms', '2000', '--stalled-ms', '1000'])));
  const jobs = inputs.map((input, i) => ({ input, output: path.join(out, path.basename(input)), steps: 3, seed: i }));
  const ids = await enqueueRestore(queue, jobs, { attempts: 3, backoffMs: 100 });
  expect(new Set(ids).size).toBe(200);

  // Kill, after some jobs completed, the worker that holds the most jobs in restoration.
  let victim: WorkerProcess | undefined;
  let held: string[] = [];
  await waitFor('a worker holding jobs after 30 completions', async () => {
    if (completions.size < 30) return false;
    const active = await activeHeldBy(queue);
    const byWorker = (w: WorkerProcess) => active.filter((j) => (j.progress as { worker: string }).worker === w.name);
    const busiest = fleet.reduce((a, b) => (byWorker(b).length > byWorker(a).length ? b : a));
    if (byWorker(busiest).length === 0) return false;
    process.kill(-(busiest.child.pid as number), 'SIGKILL');
    [victim, held] = [busiest, byWorker(busiest).map((j) => j.id as string)];
    return true;
  });
  expect(completions.size).toBeLessThan(200);
  expect(await victim?.exited).toBe('SIGKILL');

  await waitFor('200 completions', () => completions.size === 200);
  await sleep(300); // room for a duplicate completion, were there one
  expect([...completions.values()].every((n) => n === 1)).toBe(true);
  expect(await queue.getJobCounts('completed', 'failed', 'active', 'wait', 'delayed')).toEqual({
    completed: 200,
    failed: 0,
    active: 0,
    wait: 0,
    delayed: 0,
  });
  const done = (await Promise.all(ids.map((id) => queue.getJob(id)))) as Job<unknown, RestoreJobResult>[];
  // The jobs the dead worker held ran again elsewhere (or found its finished output). One it
  // completed between the query above and the kill was not held at its death: it ran once, there.
  const rerun = held.map((id) => done.find((j) => j.id === id) as Job<unknown, RestoreJobResult>);
  for (const job of rerun.filter((j) => !(j.returnvalue.worker === victim?.name && j.attemptsStarted === 1))) {
    expect(job.attemptsStarted).toBeGreaterThan(1);
    expect(job.returnvalue.worker).not.toBe(victim?.name);
  }
  expect(rerun.some((j) => j.returnvalue.worker !== victim?.name)).toBe(true);
  for (const [i, job] of done.entries()) {
    expect(job.returnvalue).toMatchObject({ output: jobs[i].output, samples: lengths[i], sampleRate: 16000 });
    expect(decodeWav(fs.readFileSync(jobs[i].output)).samples.length).toBe(lengths[i]);
  }
  expect(fs.readdirSync(out).sort()).toEqual(inputs.map((f) => path.basename(f)).sort()); // no temporary files

  const rest = fleet.filter((w) => w !== victim);
  for (const w of rest) w.child.kill('SIGTERM');
  expect(await Promise.all(rest.map((w) => w.exited))).toEqual([0, 0]);
});

test('SIGTERM lets the running jobs finish, takes no new ones, closes the pool and exits 0', async () => {
  const { queue } = open('term');
  const inputs = writeInputs(path.join(tmp, 'term-in'), new Array(16).fill(32000));
  const out = path.join(tmp, 'term-out');
  const w = await startWorker('term', 'terminated', ['--concurrency', '4', '--batch', '4']);
  const ids = await enqueueRestore(
    queue,
    inputs.map((input) => ({ input, output: path.join(out, path.basename(input)) })),
  );
  let running: string[] = [];
  await waitFor('jobs in restoration', async () => {
    running = (await activeHeldBy(queue)).map((j) => j.id as string);
    return running.length > 0;
  });
  w.child.kill('SIGTERM');
  expect(await w.exited).toBe(0);
  expect(w.stderr()).toMatch(/SIGTERM, finishing running jobs[\s\S]*stopped\n/);
  for (const id of running) expect(await queue.getJobState(id)).toBe('completed');
  const counts = await queue.getJobCounts('completed', 'failed', 'active', 'wait');
  expect(counts.failed + counts.active).toBe(0);
  expect(counts.wait).toBeGreaterThan(0); // left for other workers
  expect(counts.completed + counts.wait).toBe(ids.length);
  expect(fs.readdirSync(out).length).toBe(counts.completed);
});

test('past the shutdown timeout, running jobs go back to the queue unfailed, leaving no files', async () => {
  const { queue } = open('requeue');
  const inputs = writeInputs(path.join(tmp, 'requeue-in'), [128000, 128000]);
  const out = path.join(tmp, 'requeue-out');
  const w = await startWorker('requeue', 'impatient', ['--shutdown-timeout', '0.3']);
  const ids = await enqueueRestore(
    queue,
    inputs.map((input) => ({ input, output: path.join(out, path.basename(input)), steps: 50 })), // seconds each
  );
  await waitFor('both jobs in restoration', async () => (await activeHeldBy(queue)).length === 2);
  const t0 = Date.now();
  w.child.kill('SIGTERM');
  expect(await w.exited).toBe(0);
  expect(Date.now() - t0).toBeLessThan(5000);
  expect(w.stderr()).toContain('2 jobs back in the queue');
  for (const id of ids) {
    expect(await queue.getJobState(id)).toBe('waiting');
    expect((await queue.getJob(id))?.attemptsMade).toBe(0);
  }
  expect(fs.existsSync(out) ? fs.readdirSync(out) : []).toEqual([]);
});

test('bad job data fails at once with E_INPUT; I/O failures are retried with backoff; inline data; a re-run job reuses its whole output', async () => {
  const { queue, events } = open('checks');
  await events.waitUntilReady();
  const [wav] = writeInputs(path.join(tmp, 'checks-in'), [4000]);
  const text = path.join(tmp, 'not-a-wav.wav');
  fs.writeFileSync(text, 'hello');
  const out = path.join(tmp, 'checks-out');
  await startWorker('checks', 'checker');

  // Through a plain BullMQ producer, as any client could send it.
  const bad = [
    { input: 'relative.wav', output: path.join(out, 'x.wav') },
    { data: 'not base64!' },
    { input: wav, output: path.join(out, 'y.wav'), sede: 1 },
    { input: text, output: path.join(out, 'z.wav') },
    { input: wav, output: path.join(out, 'w.wav'), eta: 0.5 },
  ];
  const added = await queue.addBulk(bad.map((data) => ({ name: 'restore', data, opts: { attempts: 3, backoff: 10 } })));
  for (const job of added) {
    await expect(job.waitUntilFinished(events)).rejects.toThrow(/^E_INPUT: /);
    expect((await queue.getJob(job.id as string))?.attemptsMade).toBe(1); // not retried
  }
  // The producer API refuses bad data before anything reaches Redis.
  const before = await queue.count();
  await expect(enqueueRestore(queue, [{ input: wav, output: 'out.wav' }])).rejects.toMatchObject({ code: 'E_INPUT' });
  expect(await queue.count()).toBe(before);

  const [missing] = await enqueueRestore(queue, [{ input: path.join(tmp, 'gone.wav'), output: path.join(out, 'g.wav') }], {
    attempts: 2,
    backoffMs: 50,
  });
  const missingJob = (await queue.getJob(missing)) as Job;
  await expect(missingJob.waitUntilFinished(events)).rejects.toThrow(/^E_IO: cannot read/);
  expect((await queue.getJob(missing))?.attemptsMade).toBe(2);

  const [inline] = await enqueueRestore(queue, [{ data: fs.readFileSync(wav).toString('base64'), steps: 3 }]);
  const result = (await ((await queue.getJob(inline)) as Job).waitUntilFinished(events)) as RestoreJobResult;
  expect(decodeWav(Buffer.from(result.data as string, 'base64')).samples.length).toBe(4000);
  expect(result).toMatchObject({ samples: 4000, reused: false, worker: 'checker', attempt: 1 });
  await expect(enqueueRestore(queue, [{ data: 'AAAA'.repeat(1000) }], { maxInlineBytes: 100 })).rejects.toMatchObject({
    code: 'E_INPUT',
  });

  // A completed file job run again (as after a worker died between rename and completion).
  const output = path.join(out, 'again.wav');
  const [id] = await enqueueRestore(queue, [{ input: wav, output, steps: 3 }]);
  const first = (await ((await queue.getJob(id)) as Job).waitUntilFinished(events)) as RestoreJobResult;
  expect(first).toMatchObject({ reused: false, attempt: 1 });
  const bytes = fs.readFileSync(output);
  await ((await queue.getJob(id)) as Job).retry('completed');
  await waitFor('the re-run', async () => (await queue.getJob(id))?.returnvalue?.attempt === 2);
  expect((await queue.getJob(id))?.returnvalue).toMatchObject({ reused: true, restoreMs: 0, samples: 4000 });
  expect(fs.readFileSync(output).equals(bytes)).toBe(true);
});

test('`restoregrad enqueue` queues one job per file of a folder and prints their ids; missing flags exit 2', async () => {
  const { queue, events } = open('cli');
  await events.waitUntilReady();
  writeInputs(path.join(tmp, 'cli-in'), [2000, 3000, 4000]);
  const out = path.join(tmp, 'cli-out');
  await startWorker('cli', 'cli-worker');
  const run = (...args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [cli, 'enqueue', ...args], { env: { ...process.env, RESTOREGRAD_NO_PRELOAD: '1' } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
  const queued = await run('--redis', redis.url, '--queue', 'cli', '--out', out, '--steps', '3', path.join(tmp, 'cli-in'));
  expect(queued).toMatchObject({ code: 0, stderr: "restoregrad: 3 jobs queued in 'cli'\n" });
  const ids = queued.stdout.trim().split('\n');
  expect(ids).toHaveLength(3);
  for (const id of ids) await ((await queue.getJob(id)) as Job).waitUntilFinished(events);
  expect(fs.readdirSync(out).sort()).toEqual(['in-000.wav', 'in-001.wav', 'in-002.wav']);
  expect(decodeWav(fs.readFileSync(path.join(out, 'in-002.wav'))).samples.length).toBe(4000);

  expect((await run('--queue', 'cli', '--out', out, path.join(tmp, 'cli-in'))).code).toBe(2);
  const refused = await run('--redis', 'http://127.0.0.1:1', '--queue', 'cli', '--out', out, path.join(tmp, 'cli-in'));
  expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining('E_INPUT') });
});

test('an image model restores a PNG file job and inline WebP bytes into images of the same size and format', async () => {
  const { queue, events } = open('images');
  await events.waitUntilReady();
  const imageModel = path.join(tmp, 'image-tiny.safetensors');
  const m = await createModel({ preset: 'image-tiny', seed: 1, threads: 1 });
  await m.save(imageModel);
  await m.dispose();
  const photo = { data: Uint8Array.from({ length: 20 * 13 * 3 }, (_, i) => (i * 37) % 256), width: 20, height: 13, channels: 3 as const };
  const png = path.join(tmp, 'photo.png');
  await writeImage(png, photo);
  const webp = await encodeImage(photo, 'webp');
  await startWorker('images', 'painter', [], imageModel);
  const output = path.join(tmp, 'images-out', 'photo.png');
  const [fileId, inlineId] = await enqueueRestore(queue, [
    { input: png, output, steps: 2 },
    { data: webp.toString('base64'), steps: 2 },
  ]);
  const file = (await ((await queue.getJob(fileId)) as Job).waitUntilFinished(events)) as RestoreJobResult;
  expect(file).toMatchObject({ output, pixels: 260, reused: false });
  expect(await readImage(output)).toMatchObject({ width: 20, height: 13, channels: 3 });
  const inline = (await ((await queue.getJob(inlineId)) as Job).waitUntilFinished(events)) as RestoreJobResult;
  const bytes = Buffer.from(inline.data as string, 'base64');
  expect(bytes.subarray(8, 12).toString('latin1')).toBe('WEBP');
  expect(await readImage(bytes)).toMatchObject({ width: 20, height: 13 });
  const [bad] = await enqueueRestore(queue, [{ data: Buffer.from('GIF89a....').toString('base64') }]);
  await expect(((await queue.getJob(bad)) as Job).waitUntilFinished(events)).rejects.toThrow(/^E_INPUT: inline job data is not a PNG/);
});
