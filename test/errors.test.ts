import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { AbortError, createModel, loadModel, type Model, RestoreGradError } from '../lib';
import { native } from '../lib/native';
import { tonePair } from './helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-err-'));
let model: Model;
beforeAll(async () => {
  model = await createModel({ preset: 'speech-tiny', threads: 1 });
});
afterAll(async () => {
  await model.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function expectCode(p: Promise<unknown>, code: string, message?: RegExp) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RestoreGradError);
  expect((err as RestoreGradError).code).toBe(code);
  if (message) expect((err as Error).message).toMatch(message);
}

describe('bad inputs reject with typed errors and leave the model usable', () => {
  const nan = new Float32Array(1000);
  nan[500] = NaN;
  const inf = new Float32Array(1000);
  inf[3] = -Infinity;
  test.each([
    ['empty', new Float32Array(0), /empty/],
    ['NaN', nan, /non-finite.*500/],
    ['Inf', inf, /non-finite.*3/],
    ['too short', new Float32Array(10), /too short/],
    ['Float64Array', new Float64Array(1000) as unknown as Float32Array, /Float32Array.*Float64Array/],
    ['plain array', [0.1, 0.2] as unknown as Float32Array, /Float32Array/],
    ['null', null as unknown as Float32Array, /Float32Array/],
  ])('restore: %s', async (_name, input, message) => {
    await expectCode(model.restore(input), 'E_INPUT', message);
  });

  test('restore: wrong sample rate, misspelt or out-of-range options', async () => {
    const x = tonePair(1000, 1).degraded;
    await expectCode(model.restore(x, { sampleRate: 8000 }), 'E_INPUT', /sample rate/);
    await expectCode(model.restore(x, { sede: 1 } as object), 'E_INPUT', /unknown option 'sede'/);
    await expectCode(model.restore(x, { seed: -1 }), 'E_INPUT', /seed/);
    await expectCode(model.restore(x, { batchSize: 8 } as object), 'E_INPUT', /unknown option 'batchSize'/);
    await expectCode(model.restore([]), 'E_INPUT', /no inputs/);
  });

  test('train: empty data, mismatched pairs, NaN, bad options', async () => {
    const good = tonePair(1000, 1);
    await expectCode(model.train([], { steps: 1 }), 'E_INPUT', /empty/);
    await expectCode(model.train([{ clean: good.clean, degraded: good.degraded.subarray(1) }], { steps: 1 }), 'E_INPUT', /999/);
    const bad = { clean: good.clean, degraded: good.degraded.slice() };
    bad.degraded[7] = NaN;
    await expectCode(model.train([bad], { steps: 1 }), 'E_INPUT', /non-finite/);
    await expectCode(model.train([good], { steps: 0 }), 'E_INPUT', /steps/);
    await expectCode(model.train([good], { steps: 1, cropLength: 100 }), 'E_INPUT', /multiple of the hop/);
    await expectCode(model.train([good], { steps: 1, lerningRate: 1 } as object as { steps: number }), 'E_INPUT', /lerningRate/);
    await expectCode(model.train(42 as unknown as [], { steps: 1 }), 'E_INPUT', /iterable/);
  });

  test('createModel and loadModel: unknown preset, misspelt config, bad device, bad files', async () => {
    await expectCode(createModel({ preset: 'speech-huge' as 'speech-tiny' }), 'E_INPUT', /preset/);
    await expectCode(createModel({ preset: 'speech-tiny', config: { residualLayer: 3 } as object }), 'E_CONFIG', /residualLayer/);
    await expectCode(createModel({ preset: 'speech-tiny', config: { hop: 0 } }), 'E_CONFIG', /hop/);
    await expectCode(createModel({ preset: 'speech-tiny', prior: 'magic' as 'learned' }), 'E_CONFIG', /prior/);
    await expectCode(createModel({ preset: 'image-tiny', config: { imageTarget: 'score' as 'v' } }), 'E_CONFIG', /imageTarget/);
    await expectCode(createModel({ preset: 'speech-tiny', config: { speechTarget: 'eps' as 'v' } }), 'E_CONFIG', /speechTarget/);
    await expectCode(createModel({ preset: 'speech-tiny', config: { noisyInput: 1 as unknown as boolean } }), 'E_CONFIG', /noisyInput/);
    await expectCode(
      createModel({ preset: 'speech-tiny', config: { speechObjective: 'none' as 'regression' } }),
      'E_CONFIG',
      /speechObjective/,
    );
    await expectCode(
      createModel({ preset: 'speech-tiny', prior: 'learned', config: { speechObjective: 'regression' } }),
      'E_CONFIG',
      /prior 'standard'/,
    );
    await expectCode(createModel({ preset: 'speech-tiny', config: { condDropout: 1 } }), 'E_CONFIG', /condDropout/);
    await expectCode(createModel({ preset: 'speech-tiny', device: 'tpu' }), 'E_INPUT', /device/);
    await expectCode(loadModel(path.join(tmp, 'missing.safetensors')), 'E_CHECKPOINT', /cannot open/);
    const junk = path.join(tmp, 'junk.safetensors');
    fs.writeFileSync(junk, 'definitely not a checkpoint');
    await expectCode(loadModel(junk), 'E_CHECKPOINT');
    const good = path.join(tmp, 'good.safetensors');
    await model.save(good);
    const bytes = fs.readFileSync(good);
    const truncated = path.join(tmp, 'truncated.safetensors');
    fs.writeFileSync(truncated, bytes.subarray(0, bytes.length - 100));
    await expectCode(loadModel(truncated), 'E_CHECKPOINT');
    // A checkpoint whose config does not match its tensors.
    const n = Number(bytes.readBigUInt64LE(0));
    const header = bytes
      .subarray(8, 8 + n)
      .toString('utf8')
      .replace('\\"residualChannels\\":16', '\\"residualChannels\\":17');
    const mismatched = path.join(tmp, 'mismatched.safetensors');
    fs.writeFileSync(mismatched, Buffer.concat([bytes.subarray(0, 8), Buffer.from(header), bytes.subarray(8 + n)]));
    await expectCode(loadModel(mismatched), 'E_CHECKPOINT', /config implies \d+ parameters, but its 'params\.' tensors hold \d+/);
  });

  test('the addon takes one options object per call and names a missing or mistyped field', () => {
    const handle = new (native().NativeModel)(1) as unknown as Record<string, (...args: unknown[]) => unknown>;
    const input = new Float32Array(8);
    expect(() => handle.restore(input, 4)).toThrow(new TypeError('options must be an object'));
    expect(() => handle.restore(input, { batch: 1, betas: [0.1], useEma: true, jobId: 1 })).toThrow(
      new TypeError('seeds must be an array'),
    );
    expect(() => handle.restore(input, { batch: 3, betas: [], seeds: [], useEma: true, jobId: 1 })).toThrow(
      'input length is not a multiple of the batch size',
    );
    expect(() => handle.trainStep(input, input, { batch: 1 })).toThrow(new TypeError('lr must be a number'));
    expect(() => handle.restoreImage(input, { channels: 1, height: 2, width: 4, seed: 0, useEma: true, jobId: 1, steps: 'ten' })).toThrow(
      new TypeError('steps must be a number'),
    );
    return handle.dispose() as Promise<void>;
  });

  test('the model still works after all of the above', async () => {
    expect((await model.restore(tonePair(1000, 1).degraded)).length).toBe(1000);
  });
});

describe('abort', () => {
  test('training stops between steps with E_ABORTED and the model stays usable', async () => {
    const ac = new AbortController();
    const steps: number[] = [];
    const p = model.train([tonePair(2000, 1)], {
      steps: 1000,
      batchSize: 1,
      progressIntervalMs: 0,
      signal: ac.signal,
      onProgress: (s) => {
        steps.push(s.step);
        if (s.step === 3) ac.abort();
      },
    });
    await expect(p).rejects.toBeInstanceOf(AbortError);
    expect(steps).toEqual([1, 2, 3]);
    expect((await model.train([tonePair(2000, 1)], { steps: 1, batchSize: 1 })).steps).toBe(1);
  });

  test('restoration stops between diffusion steps with E_ABORTED, queued jobs too', async () => {
    const big = await createModel({ preset: 'speech-small', threads: 1 });
    const x = tonePair(16000 * 4, 2).degraded;
    const ac = new AbortController();
    const running = big.restore(x, { steps: 50, signal: ac.signal });
    const queued = big.restore(x, { steps: 50, signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    const t0 = Date.now();
    await expectCode(running, 'E_ABORTED');
    await expectCode(queued, 'E_ABORTED');
    expect(Date.now() - t0).toBeLessThan(5000);
    await expectCode(big.restore(x, { signal: AbortSignal.abort() }), 'E_ABORTED');
    expect((await big.restore(x.subarray(0, 4000))).length).toBe(4000);
    await big.dispose();
  });

  test('a disposed model rejects with E_DISPOSED', async () => {
    const m = await createModel({ preset: 'speech-tiny' });
    await m.dispose();
    await expectCode(m.restore(tonePair(1000, 1).degraded), 'E_DISPOSED');
    await m.dispose(); // twice is harmless
  });
});
