/**
 * One worker thread of a {@link RestorePool}: opens its own model once, then restores the tasks it
 * is given. Several tasks run at once so that the model's batcher can merge them.
 */
import type { MessagePort } from 'node:worker_threads';
import { workerData } from 'node:worker_threads';

import { RestoreGradError } from './errors';
import type { Image } from './image/image';
import type { ImageInput, ImageRestoreOptions } from './image/model';
import { type CreateModelOptions, createModel, type LoadModelOptions, loadModel, type Model, type RestoreOptions } from './model';
import type { ImageRestoration, SpeechRestoration } from './sigma';

/** How the worker opens its model (set by the pool as `workerData`). */
export interface WorkerSetup {
  path?: string;
  create?: CreateModelOptions;
  load: LoadModelOptions;
}

/** One task: inputs, restore options without the signal, and a port that carries an abort. */
export interface WorkerTask {
  inputs: (Float32Array | ImageInput)[] | null;
  options: Omit<RestoreOptions | ImageRestoreOptions, 'signal'>;
  abort?: MessagePort;
}

/** What one input of a task restores to, depending on the modality and `returnSigma`. */
export type WorkerOutput = Float32Array | Image | SpeechRestoration | ImageRestoration;

/** A task's outcome; errors travel as their code and message and are rebuilt by the pool. */
export type WorkerResult = { outputs: WorkerOutput[]; config: string } | { error: { code: string; message: string } };

/** `model.restore` of a list whose kind and options are only known at run time (the model checks them). */
type RestoreList = (inputs: (Float32Array | ImageInput)[], options: RestoreOptions | ImageRestoreOptions) => Promise<WorkerOutput[]>;

const setup = workerData as WorkerSetup;
const ready: Promise<Model> =
  setup.path !== undefined ? loadModel(setup.path, setup.load) : createModel({ ...setup.create, ...setup.load });
ready.catch(() => undefined); // reported by each task

export default async function restoreTask(task: WorkerTask): Promise<WorkerResult> {
  const controller = new AbortController();
  task.abort?.once('message', () => controller.abort());
  try {
    const model = await ready;
    const options = { ...task.options, signal: controller.signal };
    // The model checks that the inputs are of its modality.
    const restore = model.restore.bind(model) as RestoreList;
    const outputs = task.inputs === null ? [] : await restore(task.inputs, options);
    return { outputs, config: JSON.stringify(model.config) };
  } catch (e) {
    const code = e instanceof RestoreGradError ? e.code : 'E_NATIVE';
    return { error: { code, message: (e as Error).message } };
  } finally {
    task.abort?.close();
  }
}
