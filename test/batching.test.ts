import { createModel, type Model } from '../lib';
import { cutChunks, joinChunks, planChunks } from '../lib/chunks';
import { tonePair } from './helpers';

function close(a: Float32Array, b: Float32Array, tol = 1e-5): boolean {
  return a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) <= tol);
}

describe('chunk plans', () => {
  test('chunks have one length, overlap by at least the overlap, and the last ends at the end', () => {
    for (const total of [1000, 1001, 2500, 9999]) {
      const plan = planChunks(total, 1000, 200);
      expect(plan.length).toBe(1000);
      expect(plan.starts[0]).toBe(0);
      expect(plan.starts.at(-1)).toBe(total - 1000);
      for (let k = 1; k < plan.starts.length; k++) {
        expect(plan.starts[k]).toBeGreaterThan(plan.starts[k - 1]);
        expect(plan.starts[k - 1] + 1000 - plan.starts[k]).toBeGreaterThanOrEqual(200);
      }
    }
    expect(planChunks(999, 1000, 200)).toEqual({ length: 999, starts: [0] });
  });

  test('joining the chunks of a signal gives the signal back, and the cross-fade is linear', () => {
    const x = Float32Array.from({ length: 2500 }, (_, i) => Math.sin(i / 7));
    const plan = planChunks(x.length, 1000, 200);
    expect(close(joinChunks(cutChunks(x, plan), plan, x.length), x, 1e-6)).toBe(true);
    // A chunk of ones after a chunk of zeros fades in over exactly the samples they share.
    const p2 = { length: 4, starts: [0, 2] };
    expect(Array.from(joinChunks([new Float32Array(4), new Float32Array(4).fill(1)], p2, 6))).toEqual([0, 0, 0.25, 0.75, 1, 1]);
  });
});

describe('dynamic batching', () => {
  let model: Model;
  const inputs = [1, 2, 3, 4, 5, 6].map((s) => tonePair(2048, s).degraded);
  beforeAll(async () => {
    model = await createModel({ preset: 'speech-tiny', seed: 3, threads: 1, batching: { maxBatch: 4, maxDelayMs: 20 } });
    await model.train([tonePair(4000, 1)], { steps: 3, batchSize: 1 });
  });
  afterAll(() => model.dispose());

  test('concurrent calls merge into batches of up to maxBatch, each result as if restored alone', async () => {
    const alone: Float32Array[] = [];
    for (const [i, x] of inputs.entries()) alone.push(await model.restore(x, { seed: 10 + i }));
    const before = model.stats();
    const merged = await Promise.all(inputs.map((x, i) => model.restore(x, { seed: 10 + i })));
    const after = model.stats();
    expect(after.batches - before.batches).toBe(2);
    expect(after.batchSizes[4] - (before.batchSizes[4] ?? 0)).toBe(1);
    for (const [i, out] of merged.entries()) expect(close(out, alone[i])).toBe(true);
    expect(after.queueDepth).toBe(0);
    expect(after.secondsPerSecond).toBeGreaterThan(0);
  });

  test('calls with different lengths or schedules are not merged', async () => {
    const before = model.stats().batches;
    await Promise.all([model.restore(inputs[0]), model.restore(inputs[1].subarray(0, 1024)), model.restore(inputs[2], { steps: 3 })]);
    expect(model.stats().batches - before).toBe(3);
  });

  test('aborting one call leaves the calls it was batched with to finish with their own results', async () => {
    const steps = model.config.trainSteps; // the full schedule: long enough to abort mid-batch
    const alone = await model.restore(inputs[1], { seed: 5, steps });
    const controller = new AbortController();
    const doomed = model.restore(inputs[0], { seed: 4, steps, signal: controller.signal });
    const kept = model.restore(inputs[1], { seed: 5, steps });
    while (model.stats().inFlight < 2) await new Promise((r) => setTimeout(r, 1));
    controller.abort();
    await expect(doomed).rejects.toMatchObject({ code: 'E_ABORTED' });
    expect(close(await kept, alone)).toBe(true);
  });
});

describe('long inputs and limits', () => {
  test('a long input is restored as chunks of one length and keeps its length', async () => {
    const m = await createModel({ preset: 'speech-tiny', threads: 1, batching: { chunkSeconds: 0.128, overlapSeconds: 0.032 } });
    const long = tonePair(10000, 3).degraded; // 0.625 s: six chunks of 2,048 samples
    const out = await m.restore(long);
    expect(out.length).toBe(long.length);
    expect(out.every(Number.isFinite)).toBe(true);
    const s = m.stats();
    expect(s.items).toBe(planChunks(10000, 2048, 512).starts.length);
    expect(
      Object.keys(s.batchSizes)
        .map(Number)
        .every((n) => n <= 8),
    ).toBe(true);
    await m.dispose();
  });

  test('a full queue rejects with E_QUEUE_FULL and the model stays usable', async () => {
    const m = await createModel({ preset: 'speech-tiny', threads: 1, batching: { maxQueue: 2 } });
    const x = tonePair(1024, 1).degraded;
    await expect(m.restore([x, x, x])).rejects.toMatchObject({ code: 'E_QUEUE_FULL' });
    expect(m.stats().rejected).toBe(1);
    expect((await m.restore([x, x])).length).toBe(2);
    await m.dispose();
  });

  test('dispose waits for queued restorations', async () => {
    const m = await createModel({ preset: 'speech-tiny', threads: 1, batching: { maxDelayMs: 50 } });
    const pending = m.restore(tonePair(1024, 1).degraded);
    await m.dispose();
    expect((await pending).length).toBe(1024);
  });

  test('batching options are validated', async () => {
    await expect(createModel({ preset: 'speech-tiny', batching: { maxBatch: 0 } })).rejects.toMatchObject({ code: 'E_INPUT' });
    await expect(createModel({ preset: 'speech-tiny', batching: { maxBach: 4 } as never })).rejects.toThrow(/maxBach/);
    await expect(createModel({ preset: 'speech-tiny', batching: { chunkSeconds: 1, overlapSeconds: 0.9 } })).rejects.toThrow(
      /overlapSeconds/,
    );
  });
});
