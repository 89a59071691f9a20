/**
 * examples/http-service.ts run as a user would run it (compiled, importing the built package), on an
 * ephemeral port with tiny untrained models: restored files come back with the input's length or
 * size, bad uploads get 4xx, a full queue 503, a client that hangs up aborts its restoration
 * (logged as 499), and SIGTERM closes the pools and exits cleanly.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { decodeWav, encodeWav } from '../lib/audio/wav';
import { encodeImage, readImage } from '../lib/image/io';
import { createModel } from '../lib/model';
import { consumerDir, transpileTo } from './consumer';
import { tonePair } from './helpers';

const dir = consumerDir('rg-http-');
let child: ChildProcess;
let base = '';
let log = '';

/** Resolves when the service's output matches `pattern` (at most `timeout` ms). */
async function logged(pattern: RegExp, timeout = 30000): Promise<RegExpMatchArray> {
  const end = Date.now() + timeout;
  for (;;) {
    const m = log.match(pattern);
    if (m) return m;
    if (Date.now() > end) throw new Error(`service never printed ${pattern}; output:\n${log}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const post = (route: string, body: Uint8Array, signal?: AbortSignal) => fetch(`${base}${route}`, { method: 'POST', body, signal });
const wav = (seconds: number) => encodeWav(tonePair(Math.round(seconds * 16000), 3).degraded, 16000);

beforeAll(async () => {
  for (const [preset, file] of [
    ['speech-tiny', 'speech.safetensors'],
    ['image-tiny', 'image.safetensors'],
  ] as const) {
    const model = await createModel({ preset, seed: 1 });
    await model.save(path.join(dir, file));
    await model.dispose();
  }
  const script = transpileTo(dir, 'http-service.js', fs.readFileSync(path.join(__dirname, '../examples/http-service.ts'), 'utf8'));
  // One worker taking one call at a time and one waiting: the third concurrent call overfills the queue.
  const args = ['--speech-model', 'speech.safetensors', '--image-model', 'image.safetensors', '--port', '0'];
  args.push('--workers', '1', '--max-batch', '1', '--max-queue', '1', '--max-upload-mb', '0.5');
  child = spawn(process.execPath, [script, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  base = (await logged(/listening on (http:\/\/\S+)/))[1];
});

afterAll(() => {
  child.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a WAV comes back restored, as a WAV of the same length and rate', async () => {
  const res = await post('/speech?steps=3&seed=2', wav(0.5));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('audio/wav');
  const audio = decodeWav(Buffer.from(await res.arrayBuffer()));
  expect(audio.sampleRate).toBe(16000);
  expect(audio.samples.length).toBe(8000);
});

test('a PNG comes back restored, as a PNG of the same size', async () => {
  const data = Uint8Array.from({ length: 21 * 13 * 3 }, (_, i) => (i * 37) % 256);
  const res = await post('/image?steps=2', await encodeImage({ data, width: 21, height: 13, channels: 3 }, 'png'));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('image/png');
  const image = await readImage(Buffer.from(await res.arrayBuffer()));
  expect([image.width, image.height, image.channels]).toEqual([21, 13, 3]);
});

test('bad uploads get 4xx with a message', async () => {
  const garbage = Buffer.from('this is not a WAV file at all');
  const png = await encodeImage({ data: new Uint8Array(64 * 64), width: 64, height: 64, channels: 1 }, 'png');
  const cases: [string, Uint8Array, number][] = [
    ['/speech', garbage, 400], // E_INPUT from decodeWav
    ['/speech?steps=7', wav(0.1), 400], // E_INPUT: no such schedule
    ['/speech', encodeWav(new Float32Array(800), 8000), 400], // E_INPUT: another sample rate
    ['/image', garbage, 415],
    ['/image', png.subarray(0, 60), 400], // E_IO: a PNG cut short
    ['/speech', Buffer.alloc(600 * 1024), 413],
    ['/nowhere', garbage, 404],
  ];
  for (const [route, body, status] of cases) {
    const res = await post(route, body);
    expect([route, res.status]).toEqual([route, status]);
    expect((await res.text()).length).toBeGreaterThan(0);
  }
  expect((await fetch(`${base}/speech`)).status).toBe(405);
});

test('a full queue answers 503; clients that hang up abort their restorations (499)', async () => {
  const hangUps = [new AbortController(), new AbortController()];
  // Ten seconds on the full 50-step schedule: they run and wait long after the third call.
  const slow = hangUps.map((c) => post('/speech?steps=50', wav(10), c.signal).catch((e: Error) => e.name));
  await new Promise((r) => setTimeout(r, 500));
  const full = await post('/speech', wav(0.1));
  expect(full.status).toBe(503);
  expect(full.headers.get('retry-after')).toBe('1');
  for (const c of hangUps) c.abort();
  expect(await Promise.all(slow)).toEqual(['AbortError', 'AbortError']);
  await logged(/POST \/speech\?steps=50 499[\s\S]*POST \/speech\?steps=50 499/);
  // The service goes on: the aborted calls no longer hold the worker.
  expect((await post('/speech', wav(0.1))).status).toBe(200);
});

test('SIGTERM closes the pools and exits with status 0', async () => {
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(log).toMatch(/closed\n$/);
});
