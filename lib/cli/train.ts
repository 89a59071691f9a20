import * as fs from 'node:fs';
import * as path from 'node:path';

import { isPresetName, type ModelConfig, type PriorKind } from '../config';
import type { Dataset } from '../data/batches';
import { mixedSpeech, pairedFolders } from '../data/folders';
import { degradedImages, type ImageDataset, pairedImageFolders } from '../data/images';
import { AbortError, InputError } from '../errors';
import type { GroupOptions } from '../group';
import { checkDegradation, type Degradation } from '../image/degrade';
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
  /** Image models trained on clean images only: `noise:SIGMA` (default `noise:25`) or `rain`. */
  degradation?: string;
  /** Intra-op threads (default: all cores). */
  threads?: number;
  /** Data-parallel training: this process's place in the group. Rank 0 alone writes `out`. */
  group?: GroupOptions;
}

/** `DIR/clean` + `DIR/noisy`: fixed pairs; `DIR/speech/train` + `DIR/noise/train`: mixed on the fly. */
export function datasetFrom(dir: string, sampleRate: number): Dataset {
  if (fs.existsSync(path.join(dir, 'clean'))) return pairedFolders(dir, sampleRate);
  if (fs.existsSync(path.join(dir, 'speech', 'train')))
    return mixedSpeech({ speechDir: path.join(dir, 'speech', 'train'), noiseDir: path.join(dir, 'noise', 'train'), sampleRate });
  throw new InputError(`'${dir}' holds neither clean/ + noisy/ folders nor speech/train + noise/train (see scripts/prepare-data.sh)`);
}

/** `noise:SIGMA` (σ in 8-bit levels) or `rain`, as `--degradation` spells them. */
export function parseDegradation(text: string): Degradation {
  const [kind, value, ...extra] = text.split(':');
  if (kind === 'noise' && value !== undefined && extra.length === 0 && value.trim() !== '')
    return checkDegradation({ kind: 'noise', sigma: Number(value) });
  if (kind === 'rain' && value === undefined) return { kind: 'rain' };
  throw new InputError(`--degradation must be noise:SIGMA (e.g. noise:25) or rain, got '${text}'`);
}

/**
 * `DIR/clean` + `DIR/degraded`: fixed pairs; otherwise the images of `DIR/images/train` (the layout
 * of scripts/prepare-data.sh) or of `DIR`, degraded on the fly.
 */
export function imageDatasetFrom(dir: string, degradation: string | undefined): ImageDataset {
  if (fs.existsSync(path.join(dir, 'clean'))) {
    if (degradation !== undefined) throw new InputError(`'${dir}' holds clean/ + degraded/ pairs: --degradation is not used with them`);
    return pairedImageFolders(dir);
  }
  const train = path.join(dir, 'images', 'train');
  return degradedImages(fs.existsSync(train) ? train : dir, parseDegradation(degradation ?? 'noise:25'));
}

function datasetFor(config: ModelConfig, o: TrainCommand): Dataset | ImageDataset {
  if (config.modality === 'image') return imageDatasetFrom(o.data, o.degradation);
  if (o.degradation !== undefined) throw new InputError('--degradation is for image models');
  return datasetFrom(o.data, config.sampleRate);
}

/** Trains to `steps` steps in all, resuming from `out` when it exists; Ctrl-C saves and stops. */
export async function trainCommand(o: TrainCommand): Promise<void> {
  if (!Number.isInteger(o.steps) || o.steps < 1) throw new InputError('--steps must be a positive integer');
  let model: Model;
  // Every rank that can see `out` resumes from it; joining the group gives all of them rank 0's state.
  if (fs.existsSync(o.out)) {
    model = await loadModel(o.out, { threads: o.threads });
    if (!o.group?.rank) process.stderr.write(`resuming ${o.out} at step ${model.step} (${model.config.prior} prior)\n`);
  } else {
    if (!isPresetName(o.preset)) throw new InputError(`unknown preset '${o.preset}'`);
    model = await createModel({ preset: o.preset, prior: o.prior as PriorKind, seed: o.seed, threads: o.threads });
  }
  const writer = !o.group?.rank; // rank 0, or a lone process
  let data: Dataset | ImageDataset;
  try {
    data = datasetFor(model.config, o); // before joining: a rank without data fails alone, at once
    if (o.group && o.group.worldSize > 1) {
      await model.joinGroup(o.group);
      if (writer) process.stderr.write(`data-parallel: rank 0 of ${o.group.worldSize}, master ${o.group.master}\n`);
    }
  } catch (e) {
    await model.dispose();
    throw e;
  }
  const remaining = o.steps - model.step;
  if (remaining <= 0) {
    process.stderr.write(`${o.out} already has ${model.step} steps\n`);
    await model.dispose();
    return;
  }
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  const bar = writer ? new ProgressBar('training', o.steps) : undefined;
  try {
    await model.train(data, {
      steps: remaining,
      batchSize: o.batchSize,
      lr: o.lr,
      seed: o.seed,
      signal: abort.signal,
      checkpointPath: writer ? o.out : undefined,
      checkpointEvery: o.checkpointEvery,
      onProgress: (p) =>
        bar?.update(p.globalStep, `loss ${p.loss.toFixed(4)} σ ${p.sigmaPrior.toFixed(3)} ${p.stepsPerSecond.toFixed(2)} steps/s`),
    });
  } catch (e) {
    if (!(e instanceof AbortError)) throw e;
    if (writer) {
      await model.save(o.out);
      process.stderr.write(`\ninterrupted: saved ${o.out} at step ${model.step}\n`);
    }
    process.exitCode = 130;
  } finally {
    process.off('SIGINT', onSigint);
    await model.dispose();
  }
}
