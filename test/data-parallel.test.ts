import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { encodeWav } from '../lib/audio/wav';
import { freePort } from '../lib/cli/launch';
import { createModel } from '../lib/model';
import { tonePair } from './helpers';

const run = promisify(execFile);
const cli = path.join(__dirname, '../dist/cli/main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-ddp-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The float32 tensors of a safetensors file, by name (the format: u64 header size, JSON header, data). */
function readTensors(file: string): Map<string, Float32Array> {
  const bytes = fs.readFileSync(file);
  const size = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + size).toString('utf8')) as Record<
    string,
    { dtype: string; data_offsets: [number, number] }
  >;
  const tensors = new Map<string, Float32Array>();
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__' || t.dtype !== 'F32') continue;
    const [a, b] = t.data_offsets;
    const data = bytes.subarray(8 + size + a, 8 + size + b);
    tensors.set(name, new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length)));
  }
  return tensors;
}

beforeAll(() => {
  for (const dir of ['clean', 'noisy']) fs.mkdirSync(path.join(tmp, 'data', dir), { recursive: true });
  for (let i = 0; i < 6; i++) {
    const p = tonePair(4000, i);
    fs.writeFileSync(path.join(tmp, `data/clean/${i}.wav`), encodeWav(p.clean, 16000));
    fs.writeFileSync(path.join(tmp, `data/noisy/${i}.wav`), encodeWav(p.degraded, 16000));
  }
});

const train = (out: string, ...extra: string[]) =>
  run('node', [cli, 'train', '--data', path.join(tmp, 'data'), '--out', out, '--preset', 'speech-tiny', '--batch', '4', ...extra]);

test('2 processes over Gloo on loopback train as one process does on the same global batch: 50 steps', async () => {
  const single = path.join(tmp, 'single.safetensors');
  const parallel = path.join(tmp, 'parallel.safetensors');
  await train(single, '--steps', '50', '--threads', '1');
  const launched = await train(parallel, '--steps', '50', '--threads', '1', '--nproc', '2');
  expect(launched.stderr).toMatch(/data-parallel: rank 0 of 2, master 127\.0\.0\.1:\d+/);
  const want = readTensors(single);
  const got = readTensors(parallel);
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  // Sums over half batches differ in the last bits; Adam makes whole steps (≤ lr = 1e-3) of such
  // differences where a gradient is near zero, in a few elements only.
  let total = 0;
  let count = 0;
  let worst = 0;
  for (const [name, w] of want) {
    const g = got.get(name) as Float32Array;
    expect(g).toHaveLength(w.length);
    for (let i = 0; i < w.length; i++) {
      const d = Math.abs(g[i] - w[i]);
      total += d;
      count++;
      worst = Math.max(worst, d);
    }
  }
  expect(total / count).toBeLessThan(1e-5);
  expect(worst).toBeLessThan(3e-3);
  // Training on from the parallel checkpoint: rank 0 resumes it, rank 1 takes its state on joining.
  const resumed = await train(parallel, '--steps', '52', '--threads', '1', '--nproc', '2');
  expect(resumed.stderr).toMatch(/resuming .* at step 50/);
}, 120_000);

test('the command line refuses incomplete or contradictory group flags, and a batch the ranks cannot split', async () => {
  const out = path.join(tmp, 'bad.safetensors');
  await expect(train(out, '--world-size', '2', '--rank', '0')).rejects.toMatchObject({
    code: 2,
    stderr: expect.stringMatching(/needs all of --world-size, --rank and --master/),
  });
  await expect(train(out, '--nproc', '2', '--rank', '1')).rejects.toMatchObject({ code: 2 });
  await expect(train(out, '--nproc', '3', '--steps', '2', '--threads', '1')).rejects.toMatchObject({
    code: 1,
    stderr: expect.stringMatching(/E_INPUT: batchSize 4 does not split evenly over the group's 3 ranks/),
  });
  expect(fs.existsSync(out)).toBe(false);
}, 60_000);

test('joinGroup: bad options are E_INPUT; peers that never come are E_NATIVE after the timeout, and the process lives on', async () => {
  const model = await createModel({ preset: 'speech-tiny', threads: 1 });
  try {
    for (const bad of [
      { master: 'nohost', rank: 0, worldSize: 2 },
      { master: '127.0.0.1:70000', rank: 0, worldSize: 2 },
      { master: '127.0.0.1:5000', rank: 2, worldSize: 2 },
      { master: '127.0.0.1:5000', rank: 0, worldSize: 2, extra: 1 },
    ])
      await expect(model.joinGroup(bad as never)).rejects.toMatchObject({ code: 'E_INPUT' });
    const started = Date.now();
    await expect(model.joinGroup({ master: `127.0.0.1:${await freePort()}`, rank: 1, worldSize: 2, timeoutMs: 500 })).rejects.toMatchObject(
      {
        code: 'E_NATIVE',
        message: expect.stringMatching(/rendezvous failed/),
      },
    );
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(model.group).toBeUndefined();
    // Still a working model.
    expect(await model.restore(tonePair(1024).degraded)).toHaveLength(1024);
  } finally {
    await model.dispose();
  }
});
