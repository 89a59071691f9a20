import { createModel, type PriorKind } from '../lib';
import { tonePair } from './helpers';

describe('training', () => {
  test.each(['standard', 'priorgrad', 'learned'] as PriorKind[])(
    'a speech-tiny %s model overfits a fixed pair: the noise-estimate error falls 5×, no NaN, σ in bounds',
    async (prior) => {
      const m = await createModel({ preset: 'speech-tiny', prior, seed: 1, threads: 1 });
      const pair = tonePair(1024, 3);
      const mse: number[] = [];
      const lo = Math.exp(m.config.logVarMin / 2);
      const hi = Math.exp(m.config.logVarMax / 2);
      let finite = true;
      let inBounds = true;
      await m.train([pair], {
        steps: 500,
        batchSize: 2,
        cropLength: 1024,
        lr: 3e-3,
        progressIntervalMs: 0,
        onProgress: (p) => {
          mse.push(p.mse);
          finite &&= Number.isFinite(p.loss);
          inBounds &&= [p.sigmaPosterior, p.sigmaPrior].every((s) => s >= lo && s <= hi);
        },
      });
      expect(m.step).toBe(500);
      expect(finite).toBe(true);
      expect(inBounds).toBe(true);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      expect(mean(mse.slice(-20)) * 5).toBeLessThanOrEqual(mean(mse.slice(0, 20)));
      await m.dispose();
    },
  );

  test('onProgress is throttled and reports the last step; streamed data is reopened or ends', async () => {
    const m = await createModel({ preset: 'speech-tiny', threads: 1 });
    const seen: number[] = [];
    await m.train([tonePair(2000, 1)], { steps: 30, batchSize: 1, progressIntervalMs: 1e6, onProgress: (p) => seen.push(p.step) });
    expect(seen).toEqual([1, 30]); // the first step, then the last
    // A Set is re-iterable: epochs continue. A generator is one-shot: training stops early.
    const set = new Set([tonePair(1500, 1), tonePair(1500, 2)]);
    expect((await m.train(set, { steps: 5, batchSize: 1 })).dataExhausted).toBe(false);
    async function* once() {
      yield tonePair(1500, 1);
      yield tonePair(1500, 2);
      yield tonePair(1500, 3);
    }
    const r = await m.train(once(), { steps: 10, batchSize: 1 });
    expect(r).toMatchObject({ steps: 3, dataExhausted: true });
    await m.dispose();
  });

  test('checkpointEvery writes checkpoints during training', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-ckpt-'));
    const file = path.join(dir, 'm.safetensors');
    const m = await createModel({ preset: 'speech-tiny', threads: 1 });
    const sizes: boolean[] = [];
    await m.train([tonePair(2000, 1)], {
      steps: 6,
      batchSize: 1,
      checkpointPath: file,
      checkpointEvery: 2,
      progressIntervalMs: 0,
      onProgress: (p) => sizes.push(fs.existsSync(file) || p.step <= 2), // saved after the step is reported
    });
    expect(sizes.every(Boolean)).toBe(true);
    const { loadModel } = await import('../lib');
    const loaded = await loadModel(file);
    expect(loaded.step).toBe(6);
    await loaded.dispose();
    await m.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
