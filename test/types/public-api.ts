/**
 * Type-level checks of the public API as a user sees it (`restoregrad` resolves to dist/*.d.ts):
 * each `assertType` fails to compile when a type changes, each `@ts-expect-error` when a mistake
 * stops being one. Compiled by test/types.test.ts, never run.
 */
import {
  createModel,
  type ErrorCode,
  type Image,
  type ImageRestoration,
  InputError,
  loadModel,
  Model,
  pairedFolders,
  RestoreGradError,
  RestorePool,
  type SpeechRestoration,
} from 'restoregrad';
// The queue API is a subpath of its own (package.json `exports`): the root does not load BullMQ.
import { enqueueRestore, type RestoreJobResult, RestoreWorker } from 'restoregrad/queue';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** `assertType<E>()(value)` compiles only when the type of `value` is exactly `E`. */
declare function assertType<Expected>(): <Actual>(
  value: Actual,
  ...mismatch: Equal<Actual, Expected> extends true ? [] : ['types differ']
) => void;

declare const model: Model;
declare const pool: RestorePool;
declare const speech: Float32Array;
declare const image: Image;
declare const bytes: Buffer;

export async function restoreTypes(): Promise<void> {
  // Speech: one signal or a list, with speech options.
  assertType<Float32Array>()(await model.restore(speech, { steps: 6, seed: 1, sampleRate: 16000, precision: 'bfloat16' }));
  assertType<Float32Array[]>()(await model.restore([speech, speech], { steps: [0.1, 0.5] }));
  // Images: an Image, a path or encoded bytes, alone or in a list, with image options.
  assertType<Image>()(await model.restore(image, { steps: 10, eta: 0, stride: 8 }));
  assertType<Image>()(await model.restore('photo.png'));
  assertType<Image>()(await model.restore(bytes, { seed: 3 }));
  assertType<Image[]>()(await model.restore(['a.png', image, bytes]));
  // A pool keeps the same contract.
  assertType<Float32Array>()(await pool.restore(speech, { steps: 3 }));
  assertType<Image[]>()(await pool.restore([image], { eta: 0.5 }));
  // returnSigma: true resolves to the restoration and the prior's σ, on a model and a pool.
  assertType<SpeechRestoration>()(await model.restore(speech, { steps: 3, returnSigma: true }));
  assertType<SpeechRestoration[]>()(await pool.restore([speech], { returnSigma: true }));
  assertType<ImageRestoration>()(await model.restore(image, { eta: 0, returnSigma: true }));
  assertType<ImageRestoration[]>()(await pool.restore(['a.png', bytes], { returnSigma: true }));
  assertType<Float32Array>()(await model.restore(speech, { returnSigma: false }));

  // @ts-expect-error misspelt option
  await model.restore(speech, { sede: 1 });
  // @ts-expect-error speech-only option on an image
  await model.restore(image, { precision: 'bfloat16' });
  // @ts-expect-error speech-only option on an image path
  await pool.restore('photo.png', { sampleRate: 16000 });
  // @ts-expect-error image-only option on speech
  await model.restore(speech, { eta: 0.5 });
  // @ts-expect-error image models take a number of DDIM steps, not a list of β
  await model.restore(image, { steps: [0.1, 0.5] });
  // @ts-expect-error no such precision
  await model.restore(speech, { precision: 'float16' });
  // @ts-expect-error float64 audio
  await model.restore(new Float64Array(16000));
  // @ts-expect-error speech and images do not mix in one call
  await model.restore([speech, image]);
  // @ts-expect-error returnSigma is a boolean
  await model.restore(speech, { returnSigma: 1 });
}

export async function modelTypes(): Promise<void> {
  const m = await createModel({ preset: 'speech-tiny', prior: 'priorgrad', config: { eta: 0.1 }, batching: { maxBatch: 4 } });
  assertType<Model>()(m);
  assertType<Model>()(await loadModel('m.safetensors', { device: 'cuda:0', threads: 2 }));
  assertType<{ total: number; denoiser: number; prior: number; posterior: number }>()(m.parameterCount);
  const result = await m.train(pairedFolders('corpus'), { steps: 10, onProgress: (p) => assertType<number>()(p.sigmaPrior) });
  assertType<boolean>()(result.dataExhausted);
  await m.joinGroup({ master: '10.0.0.1:29500', rank: 1, worldSize: 4, timeoutMs: 60_000 });
  assertType<{ rank: number; worldSize: number } | undefined>()(m.group);

  // @ts-expect-error unknown preset
  await createModel({ preset: 'speech-huge' });
  // @ts-expect-error unknown prior
  await createModel({ prior: 'gaussian' });
  // @ts-expect-error misspelt config field
  await createModel({ config: { lerningRate: 1e-3 } });
  // @ts-expect-error misspelt batching option
  await loadModel('m.safetensors', { batching: { maxBatchSize: 4 } });
  // @ts-expect-error a group needs its size
  await m.joinGroup({ master: '10.0.0.1:29500', rank: 1 });
  // @ts-expect-error train needs steps
  await m.train(pairedFolders('corpus'), {});
  // @ts-expect-error models come from createModel or loadModel
  new Model();
  // @ts-expect-error the configuration is read-only
  m.config = { ...m.config };
}

export async function poolTypes(): Promise<void> {
  assertType<RestorePool>()(await RestorePool.open({ model: 'speech.safetensors', workers: 2, maxQueue: 64 }));
  await RestorePool.open({ model: { preset: 'speech-tiny', seed: 1 } });
  // @ts-expect-error threads are the pool's to set (threadsPerWorker)
  await RestorePool.open({ model: { preset: 'speech-tiny', threads: 2 } });
  // @ts-expect-error a model is required
  await RestorePool.open({ workers: 2 });
}

export function errorTypes(err: unknown): void {
  if (err instanceof RestoreGradError) {
    assertType<ErrorCode>()(err.code);
    // @ts-expect-error not an error code
    if (err.code === 'E_QUEUEFULL') return;
  }
  assertType<InputError>()(new InputError('bad'));
}

export async function queueTypes(): Promise<void> {
  assertType<string[]>()(
    await enqueueRestore({ connection: 'redis://queue-host:6379', name: 'restore' }, [{ data: 'UklGRg==', steps: 6 }]),
  );
  const worker = await RestoreWorker.start({ connection: 'redis://queue-host:6379', queue: 'restore', model: 'speech.safetensors' });
  worker.worker.on('completed', (_job, result) => assertType<RestoreJobResult>()(result));
}

// @ts-expect-error the queue API is not exported from the root
export type QueueFromRoot = import('restoregrad').RestoreWorker;
