import * as fs from 'node:fs';
import * as path from 'node:path';

import { isPresetName, type PriorKind } from '../config';
import type { Dataset } from '../data/batches';
import { mixedSpeech, pairedFolders } from '../data/folders';
import { AbortError, InputError } from '../errors';
import { createModel, loadModel, type Model } from '../model';
import { ProgressBar } from './progress';

/** Options of the `train` command. */
export interface TrainCommand {
  preset: string;
  prior: string;
  data: string;
  steps: number;
  out: string;
  batchSize: number;
  lr?: number;
  seed: number;
  checkpointEvery: number;
}

/** `DIR/clean` + `DIR/noisy`: fixed pairs; `DIR/speech/train` + `DIR/noise/train`: mixed on the fly. */
export function datasetFrom(dir: string, sampleRate: number): Dataset {
  if (fs.existsSync(path.join(dir, 'clean'))) return pairedFolders(dir, sampleRate);
  if (fs.existsSync(path.join(dir, 'speech', 'train')))
    return mixedSpeech({ speechDir: path.join(dir, 'speech', 'train'), noiseDir: path.join(dir, 'noise', 'train'), sampleRate });
  throw new InputError(`'${dir}' holds neither clean/ + noisy/ folders nor speech/train + noise/train (see scripts/prepare-data.sh)`);
}

/** Trains to `steps` steps in all, resuming from `out` when it exists; Ctrl-C saves and stops. */
export async function trainCommand(o: TrainCommand): Promise<void> {
  if (!Number.isInteger(o.steps) || o.steps < 1) throw new InputError('--steps must be a positive integer');
  let model: Model;
  if (fs.existsSync(o.out)) {
    model = await loadModel(o.out);
    process.stderr.write(`resuming ${o.out} at step ${model.step} (${model.config.prior} prior)\n`);
  } else {
    if (!isPresetName(o.preset)) throw new InputError(`unknown preset '${o.preset}'`);
    model = await createModel({ preset: o.preset, prior: o.prior as PriorKind, seed: o.seed });
  }
  const remaining = o.steps - model.step;
  if (remaining <= 0) {
    process.stderr.write(`${o.out} already has ${model.step} steps\n`);
    await model.dispose();
    return;
  }
  const data = datasetFrom(o.data, model.config.sampleRate);
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  const bar = new ProgressBar('training', o.steps);
  try {
    await model.train(data, {
      steps: remaining,
      batchSize: o.batchSize,
      lr: o.lr,
      seed: o.seed,
      signal: abort.signal,
      checkpointPath: o.out,
      checkpointEvery: o.checkpointEvery,
      onProgress: (p) =>
        bar.update(p.globalStep, `loss ${p.loss.toFixed(4)} σ ${p.sigmaPrior.toFixed(3)} ${p.stepsPerSecond.toFixed(2)} steps/s`),
    });
  } catch (e) {
    if (!(e instanceof AbortError)) throw e;
    await model.save(o.out);
    process.stderr.write(`\ninterrupted: saved ${o.out} at step ${model.step}\n`);
    process.exitCode = 130;
  } finally {
    process.off('SIGINT', onSigint);
    await model.dispose();
  }
}
