import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { createModel, loadModel, type Model, presets } from '../lib';
import { native } from '../lib/native';
import { equalArrays, tonePair } from './helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-api-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('model structure', () => {
  test('speech-base has CDiffuSE Base size (4.28 M ± 1 %) and Base encoders (≈93 k)', async () => {
    const m = await createModel({ preset: 'speech-base', threads: 1 });
    const n = m.parameterCount;
    expect(Math.abs(n.denoiser - 4.28e6) / 4.28e6).toBeLessThan(0.01);
    expect(Math.abs(n.prior - 93e3) / 93e3).toBeLessThan(0.03);
    expect(n.posterior).toBe(n.prior + 16 * 3); // the posterior's stem sees (x0, y): one more input channel
    expect(n.total).toBe(n.denoiser + n.prior + n.posterior);
    expect(m.config).toEqual(presets['speech-base']);
    await m.dispose();
  });

  test('baselines have no encoders', async () => {
    for (const prior of ['standard', 'priorgrad'] as const) {
      const m = await createModel({ preset: 'speech-tiny', prior });
      expect(m.parameterCount.prior).toBe(0);
      expect(m.parameterCount.posterior).toBe(0);
      expect(m.config.prior).toBe(prior);
      await m.dispose();
    }
  });
});

describe('restoration', () => {
  let model: Model;
  const { degraded } = tonePair(3000, 4);
  beforeAll(async () => {
    model = await createModel({ preset: 'speech-tiny', seed: 3, threads: 1 });
    await model.train([tonePair(4000, 1), tonePair(4000, 2)], { steps: 5, batchSize: 2 });
  });
  afterAll(() => model.dispose());

  test('same seed gives bit-identical output, other seeds differ, length is kept', async () => {
    const a = await model.restore(degraded, { seed: 11 });
    const b = await model.restore(degraded, { seed: 11 });
    const c = await model.restore(degraded, { seed: 12 });
    expect(a.length).toBe(degraded.length);
    expect(equalArrays(a, b)).toBe(true);
    expect(equalArrays(a, c)).toBe(false);
    expect(a.every(Number.isFinite)).toBe(true);
  });

  test('step-invariant work runs once per call, the network once per step', async () => {
    const before = await model.counters();
    await model.restore(degraded, { steps: 6 });
    await model.restore(degraded, { steps: 3 });
    const after = await model.counters();
    expect(after.conditionerRuns - before.conditionerRuns).toBe(2);
    expect(after.stepEmbeddingRuns - before.stepEmbeddingRuns).toBe(2);
    expect(after.priorRuns - before.priorRuns).toBe(2);
    expect(after.networkRuns - before.networkRuns).toBe(9);
  });

  test('ten concurrent restore() calls all resolve to their sequential results', async () => {
    const inputs = Array.from({ length: 10 }, (_, i) => tonePair(1000 + 64 * (i % 3), 20 + i).degraded);
    const sequential: Float32Array[] = [];
    for (const [i, x] of inputs.entries()) sequential.push(await model.restore(x, { seed: i }));
    const concurrent = await Promise.all(inputs.map((x, i) => model.restore(x, { seed: i })));
    // Concurrent calls share batches, which changes only the float summation order.
    const maxDiff = Math.max(...concurrent.flatMap((y, i) => Array.from(y, (v, j) => Math.abs(v - sequential[i][j]))));
    expect(maxDiff).toBeLessThan(1e-5);
  });

  test('an array of inputs keeps its order; item i uses seed + i', async () => {
    const inputs = [tonePair(1200, 7).degraded, tonePair(900, 8).degraded, tonePair(1200, 9).degraded];
    const out = await model.restore(inputs, { seed: 5 });
    expect(out.map((x) => x.length)).toEqual([1200, 900, 1200]);
    const alone = await model.restore(inputs[2], { seed: 7 });
    const maxDiff = Math.max(...alone.map((v, i) => Math.abs(v - out[2][i])));
    expect(maxDiff).toBeLessThan(1e-5); // batched and alone differ only by float summation order
  });

  test('bfloat16 precision restores close to float32; other precisions are refused', async () => {
    const fp32 = await model.restore(degraded, { seed: 2, precision: 'float32' });
    const bf16 = await model.restore(degraded, { seed: 2, precision: 'bfloat16' });
    expect(bf16.length).toBe(fp32.length);
    expect(equalArrays(bf16, fp32)).toBe(false);
    expect(Math.max(...bf16.map((v, i) => Math.abs(v - fp32[i])))).toBeLessThan(0.02);
    await expect(model.restore(degraded, { precision: 'float16' as never })).rejects.toMatchObject({ code: 'E_INPUT' });
  });

  test('the default precision is bfloat16 on a CPU with AVX-512 BF16 and float32 elsewhere', async () => {
    const expected = native().buildInfo().cpuBf16 ? 'bfloat16' : 'float32';
    const auto = await model.restore(degraded, { seed: 3 });
    expect(equalArrays(auto, await model.restore(degraded, { seed: 3, precision: expected }))).toBe(true);
    expect(equalArrays(auto, await model.restore(degraded, { seed: 3, precision: 'auto' }))).toBe(true);
  });

  test('the full and custom schedules run; a schedule beyond training is refused', async () => {
    expect((await model.restore(degraded, { steps: 50 })).length).toBe(degraded.length);
    expect((await model.restore(degraded, { steps: [0.01, 0.2] })).length).toBe(degraded.length);
    await expect(model.restore(degraded, { steps: [0.9, 0.9] })).rejects.toMatchObject({ code: 'E_INPUT' });
    await expect(model.restore(degraded, { steps: 7 })).rejects.toMatchObject({ code: 'E_INPUT' });
  });
});

describe('checkpoints', () => {
  test('save → load is bit-exact: weights, step, outputs; training resumes identically', async () => {
    const data = [tonePair(3000, 1), tonePair(3000, 2)];
    const m = await createModel({ preset: 'speech-tiny', seed: 9, threads: 1 });
    await m.train(data, { steps: 4, batchSize: 2 });
    const file = path.join(tmp, 'a.safetensors');
    await m.save(file);
    const loaded = await loadModel(file, { threads: 1 });
    expect(loaded.step).toBe(4);
    expect(loaded.config).toEqual(m.config);
    expect(loaded.parameterCount).toEqual(m.parameterCount);
    const x = tonePair(2000, 5).degraded;
    expect(equalArrays(await m.restore(x), await loaded.restore(x))).toBe(true);
    const a = await m.train(data, { steps: 2, batchSize: 2, seed: 4 });
    const b = await loaded.train(data, { steps: 2, batchSize: 2, seed: 4 });
    expect(b.last.loss).toBe(a.last.loss);
    await Promise.all([m.dispose(), loaded.dispose()]);
  });

  test('stopping, saving, loading and going on gives the bytes of a run that never stopped', async () => {
    const data = [tonePair(3000, 1), tonePair(2500, 2), tonePair(4000, 3)];
    const straight = await createModel({ preset: 'speech-tiny', prior: 'learned', seed: 5, threads: 1 });
    await straight.train(data, { steps: 6, batchSize: 2, seed: 8 });
    const a = path.join(tmp, 'straight.safetensors');
    await straight.save(a);
    const first = await createModel({ preset: 'speech-tiny', prior: 'learned', seed: 5, threads: 1 });
    await first.train(data, { steps: 3, batchSize: 2, seed: 8 });
    const mid = path.join(tmp, 'mid.safetensors');
    await first.save(mid);
    const resumed = await loadModel(mid, { threads: 1 });
    await resumed.train(data, { steps: 3, batchSize: 2, seed: 8 });
    const b = path.join(tmp, 'resumed.safetensors');
    await resumed.save(b);
    expect(fs.readFileSync(b).equals(fs.readFileSync(a))).toBe(true);
    await Promise.all([straight.dispose(), first.dispose(), resumed.dispose()]);
  });

  test('a weights-only save is under a third of the size and restores as the model does', async () => {
    const data = [tonePair(3000, 1), tonePair(3000, 2)];
    const m = await createModel({ preset: 'speech-tiny', prior: 'learned', seed: 3, threads: 1 });
    await m.train(data, { steps: 3, batchSize: 2 });
    const full = path.join(tmp, 'full.safetensors');
    const weights = path.join(tmp, 'weights.safetensors');
    await m.save(full);
    await m.save(weights, { weightsOnly: true });
    expect(fs.statSync(weights).size).toBeLessThan(fs.statSync(full).size / 3);
    const loaded = await loadModel(weights, { threads: 1 });
    expect(loaded.step).toBe(3);
    expect(loaded.config).toEqual(m.config);
    const x = tonePair(2000, 5).degraded;
    expect(equalArrays(await m.restore(x), await loaded.restore(x))).toBe(true);
    await expect(m.save(weights, { weightsOnly: 'yes' as unknown as boolean })).rejects.toMatchObject({ code: 'E_INPUT' });
    await expect(m.save(weights, { weights: true } as never)).rejects.toMatchObject({ code: 'E_INPUT' });
    await Promise.all([m.dispose(), loaded.dispose()]);
  });

  test('checkpoints write atomically: no temporary file is left beside them', async () => {
    const m = await createModel({ preset: 'speech-tiny' });
    const dir = fs.mkdtempSync(path.join(tmp, 'atomic-'));
    await m.save(path.join(dir, 'm.safetensors'));
    await m.save(path.join(dir, 'm.safetensors'));
    expect(fs.readdirSync(dir)).toEqual(['m.safetensors']);
    await m.dispose();
  });
});
