// Worker threads load compiled JavaScript, so these tests use the built package (`npm test` builds it).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { createModel, RestorePool } from '../dist';
import { tonePair } from './helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-pool-'));
const checkpoint = path.join(tmp, 'tiny.safetensors');
beforeAll(async () => {
  const m = await createModel({ preset: 'speech-tiny', seed: 2, threads: 1 });
  await m.train([tonePair(4000, 1)], { steps: 3, batchSize: 1 });
  await m.save(checkpoint);
  await m.dispose();
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function maxDiff(a: Float32Array, b: Float32Array): number {
  return a.length !== b.length ? Number.POSITIVE_INFINITY : Math.max(...a.map((v, i) => Math.abs(v - b[i])));
}

test('a pool of two workers restores like one model, in order, and closes cleanly', async () => {
  const inputs = [1, 2, 3, 4, 5, 6, 7].map((s) => tonePair(1024 + 256 * (s % 2), s).degraded);
  const { loadModel } = await import('../dist');
  const model = await loadModel(checkpoint, { threads: 1 });
  const expected = await Promise.all(inputs.map((x, i) => model.restore(x, { seed: i })));
  await model.dispose();

  const pool = await RestorePool.open({ model: checkpoint, workers: 2, threadsPerWorker: 1 });
  expect(pool.config.prior).toBe('learned');
  const got = await Promise.all(inputs.map((x, i) => pool.restore(x, { seed: i })));
  for (const [i, y] of got.entries()) expect(maxDiff(y, expected[i])).toBeLessThan(1e-5);
  const many = await pool.restore(inputs.slice(0, 3), { seed: 0 });
  expect(many.map((y) => y.length)).toEqual(inputs.slice(0, 3).map((x) => x.length));
  expect(pool.stats().completed).toBeGreaterThanOrEqual(8);
  await pool.close();
  await expect(pool.restore(inputs[0])).rejects.toMatchObject({ code: 'E_INPUT' });
});

test('errors keep their codes across the thread boundary; aborts stop the call', async () => {
  const pool = await RestorePool.open({ model: { preset: 'speech-tiny', seed: 1 }, workers: 1 });
  await expect(pool.restore(new Float32Array([Number.NaN, ...new Float32Array(600)]))).rejects.toMatchObject({ code: 'E_INPUT' });
  await expect(pool.restore(tonePair(1024, 1).degraded, { steps: 7 })).rejects.toMatchObject({ code: 'E_INPUT' });
  const controller = new AbortController();
  const aborted = pool.restore(tonePair(64000, 1).degraded, { steps: pool.config.trainSteps, signal: controller.signal });
  setTimeout(() => controller.abort(), 30);
  await expect(aborted).rejects.toMatchObject({ code: 'E_ABORTED' });
  expect((await pool.restore(tonePair(1024, 2).degraded)).length).toBe(1024); // still usable
  await pool.close();
});

test('a corrupt checkpoint fails to open with E_CHECKPOINT; a full queue rejects with E_QUEUE_FULL', async () => {
  const bad = path.join(tmp, 'bad.safetensors');
  fs.writeFileSync(bad, 'not a checkpoint');
  await expect(RestorePool.open({ model: bad, workers: 1 })).rejects.toMatchObject({ code: 'E_CHECKPOINT' });
  const pool = await RestorePool.open({ model: checkpoint, workers: 1, maxQueue: 1, batching: { maxBatch: 1 } });
  const x = tonePair(4096, 1).degraded;
  const calls = [1, 2, 3, 4].map(() =>
    pool.restore(x).then(
      () => 'ok',
      (e: { code: string }) => e.code,
    ),
  );
  expect(await Promise.all(calls)).toContain('E_QUEUE_FULL');
  await pool.close();
});

test('workers ending after a failed open never abort the process (a job settling during teardown)', async () => {
  const bad = path.join(tmp, 'bad-twice.safetensors');
  fs.writeFileSync(bad, 'junk');
  const script = `
    const { RestorePool } = require(${JSON.stringify(path.join(__dirname, '../dist'))});
    (async () => {
      for (let i = 0; i < 8; i++)
        await RestorePool.open({ model: ${JSON.stringify(bad)}, workers: 2 }).then(() => { throw new Error('opened'); }, (e) => console.log(e.code));
    })();`;
  const { execFile } = await import('node:child_process');
  const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    execFile('node', ['-e', script], (err, stdout, stderr) => resolve({ code: err ? (err.code as number) : 0, stdout, stderr })),
  );
  expect(out.stderr).toBe('');
  expect(out.code).toBe(0);
  expect(out.stdout.trim().split('\n')).toEqual(new Array(8).fill('E_CHECKPOINT'));
});
