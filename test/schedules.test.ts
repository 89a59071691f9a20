import { createModel } from '../lib';

describe('sampling schedules', () => {
  test('step counts name the config schedules by their lengths, not by fixed numbers', async () => {
    const model = await createModel({
      preset: 'speech-tiny',
      seed: 1,
      threads: 1,
      config: { fastBetas: [1e-4, 0.01, 0.1, 0.3], fast3Betas: [1e-3, 0.45] },
    });
    try {
      const x = Float32Array.from({ length: 4096 }, (_, t) => 0.1 * Math.sin(t * 0.05));
      const four = await model.restore(x, { steps: 4, seed: 0 });
      expect(four).toEqual(await model.restore(x, { seed: 0 })); // the default is fastBetas
      expect(four).toEqual(await model.restore(x, { steps: [1e-4, 0.01, 0.1, 0.3], seed: 0 }));
      expect(await model.restore(x, { steps: 2, seed: 0 })).toEqual(await model.restore(x, { steps: [1e-3, 0.45], seed: 0 }));
      await expect(model.restore(x, { steps: 6 })).rejects.toMatchObject({ code: 'E_INPUT', message: /one of 4, 2, 50/ });
    } finally {
      await model.dispose();
    }
  });
});
