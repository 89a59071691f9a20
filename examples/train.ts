/**
 * Trains a speech model on `DIR/clean/*.wav` + `DIR/noisy/*.wav` pairs, checkpointing as it goes.
 * It resumes when the checkpoint exists, and Ctrl-C (or SIGTERM) stops it after the current step
 * with the checkpoint saved.
 *
 *   node train.js --data corpus/train --out speech.safetensors [--steps 20000] [--preset speech-small]
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { AbortError, createModel, loadModel, type Model, type PresetName, pairedFolders } from 'restoregrad';

export interface TrainRun {
  data: string;
  out: string;
  steps: number;
  preset: PresetName;
  signal?: AbortSignal;
}

/** Trains for `steps` more steps and returns the model's step count afterwards. */
export async function trainModel({ data, out, steps, preset, signal }: TrainRun): Promise<number> {
  const model: Model = existsSync(out) ? await loadModel(out) : await createModel({ preset, prior: 'learned', seed: 1 });
  try {
    await model.train(pairedFolders(data), {
      steps,
      batchSize: 8,
      checkpointPath: out,
      checkpointEvery: 500,
      onProgress: (p) => console.log(`step ${p.step}/${p.total} loss ${p.loss.toFixed(4)} σ_prior ${p.sigmaPrior.toFixed(3)}`),
      progressIntervalMs: 5000,
      signal,
    });
  } catch (err) {
    if (!(err instanceof AbortError)) throw err;
    // An abort leaves the model usable: keep the steps taken so far.
    await model.save(out);
  }
  const step = model.step;
  await model.dispose();
  return step;
}

if (require.main === module) {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      out: { type: 'string' },
      steps: { type: 'string', default: '20000' },
      preset: { type: 'string', default: 'speech-small' },
    },
  });
  if (!values.data || !values.out) {
    console.error('usage: train --data DIR --out MODEL.safetensors [--steps N] [--preset speech-small]');
    process.exit(2);
  }
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  trainModel({
    data: values.data,
    out: values.out,
    steps: Number(values.steps),
    preset: values.preset as PresetName,
    signal: stop.signal,
  }).then(
    (step) => console.log(`${values.out}: ${step} steps`),
    (err: Error) => {
      console.error(err.message);
      process.exitCode = 1;
    },
  );
}
