/**
 * The speech side of {@link Model}: restoring signals as level-normalised chunks batched across
 * calls, and training on random crops of {clean, degraded} pairs. Samples cross to the addon as
 * [batch, samples] rows of floats, the layout of its `restore` and `trainStep`.
 */
import { checkLevel, levelGain, scaled, scaleInPlace, undoGain } from '../audio/level';
import type { Batcher, BatchOutput } from '../batcher';
import { type ChunkPlan, cutChunks, joinChunks, planChunks } from '../chunks';
import type { ModelConfig } from '../config';
import { BatchSampler, type PairSource } from '../data/batches';
import type { ImageDataset } from '../data/images';
import { InputError } from '../errors';
import { isImageDataset, looksLikeImage } from '../image/model';
import { type NativeModel, native } from '../native';
import type { SpeechRestoration } from '../sigma';
import type { StepStats } from '../types';
import { checkBoolean, checkInt, checkKeys, checkSignal, checkSignalOption } from '../validate';

/** Options of {@link Model.restore}. */
export interface RestoreOptions {
  /**
   * Sampling schedule: 6 (default, CDiffuSE's fast schedule), 3, the training step count for the
   * full schedule, or an explicit list of β.
   */
  steps?: number | readonly number[];
  /** Seed of the sampling noise (default 0). Input i of an array uses seed + i. */
  seed?: number;
  /** Stops between diffusion steps with an {@link AbortError}. */
  signal?: AbortSignal;
  /** When given, must equal the model's sample rate. */
  sampleRate?: number;
  /** Use the EMA weights (default true). */
  useEma?: boolean;
  /**
   * `auto` (default): `bfloat16` on a CPU with AVX-512 BF16 instructions, `float32` elsewhere.
   * `bfloat16` runs the conditioner projections and the layer convolutions as bf16 GEMMs: half the
   * conditioner's memory, SI-SDR and STOI within 0.01 dB and 0.001 of float32 on held-out speech
   * (bench/results/quality-speech-bf16.md), 21–27 % less time for speech-base on such a CPU
   * (bench/results/throughput.md). Pass `float32` for results that are the same on every machine.
   */
  precision?: 'auto' | 'float32' | 'bfloat16';
  /**
   * Resolve to `{ restored, sigma }` ({@link SpeechRestoration}): the restored signal and the σ of
   * the prior its noise was drawn from, per sample, in the input's units (default false). Pass the
   * literal `true` for the result's type to follow.
   */
  returnSigma?: boolean;
}

/** The option names of {@link RestoreOptions}. */
export const speechRestoreKeys = ['steps', 'seed', 'signal', 'sampleRate', 'useEma', 'precision', 'returnSigma'] as const;
const MAX_SEED = 2 ** 53 - 1;
/** Longest input accepted in one call: ten minutes at 48 kHz. */
export const MAX_SAMPLES = 48000 * 600;

/** What the speech functions need of a model. */
export interface SpeechModelParts {
  handle: NativeModel;
  config: ModelConfig;
  device: string;
  /** Merges the chunks of concurrent calls into native batches. */
  batcher: Batcher;
  /** Chunk length and overlap in samples, whole hops. */
  chunk: number;
  overlap: number;
  /** Throws `E_DISPOSED` once the model is disposed. */
  ensureOpen(): void;
}

let cpuBf16: boolean | undefined;
const cpuHasBf16 = (): boolean => {
  cpuBf16 ??= native().buildInfo().cpuBf16;
  return cpuBf16;
};

/** Seed of chunk k of an input seeded `seed`: distinct per chunk, independent of the batch. */
function chunkSeed(seed: number, k: number): number {
  return k === 0 ? seed : (seed * 1000003 + k * 7919) % MAX_SEED;
}

/** How one speech input was cut and levelled, to put its chunks' results back together. */
interface SpeechPlan {
  chunks: ChunkPlan;
  length: number;
  gain: number;
  name: string;
}

/**
 * One input's result from its chunks' results: cross-faded together and scaled back by the inverse
 * of its gain; σ, when asked for, exactly like the signal, so that it is in the input's units.
 */
function assembleSpeech(parts: readonly BatchOutput[], plan: SpeechPlan, returnSigma: boolean): Float32Array | SpeechRestoration {
  const join = (chunks: Float32Array[]) => (chunks.length === 1 ? chunks[0] : joinChunks(chunks, plan.chunks, plan.length));
  const restored = undoGain(join(parts.map((p) => p.restored)), plan.gain, plan.name);
  if (!returnSigma) return restored;
  const sigma = join(parts.map((p) => p.sigma!));
  scaleInPlace(sigma, 1 / plan.gain);
  return { restored, sigma };
}

/**
 * Restores signals through the model's batcher: each scaled as a whole to `config.signalRms` and
 * back, long ones cut into overlapping chunks that batch with other calls' chunks.
 */
export async function restoreSpeech(
  model: SpeechModelParts,
  all: readonly unknown[],
  single: boolean,
  options: RestoreOptions,
): Promise<(Float32Array | SpeechRestoration)[]> {
  const config = model.config;
  for (const [i, x] of all.entries())
    if (looksLikeImage(x))
      throw new InputError(`${single ? 'input' : `inputs[${i}]`}: this is a speech model: it restores Float32Array audio, not images`);
  checkKeys(options, speechRestoreKeys, 'restore options');
  const inputs = all as readonly Float32Array[];
  if (inputs.length === 0) throw new InputError('no inputs to restore');
  const names = inputs.map((_, i) => (single ? 'input' : `inputs[${i}]`));
  for (const [i, x] of inputs.entries()) checkSignal(x, names[i], config.hop, MAX_SAMPLES);
  // One gain per input, taken over the whole of it, so that all its chunks share one level.
  const gains = inputs.map((x, i) => levelGain(checkLevel(x, names[i]).rms, config.signalRms));
  if (options.sampleRate !== undefined && options.sampleRate !== config.sampleRate)
    throw new InputError(
      `input sample rate ${String(options.sampleRate)} Hz does not match the model's ${config.sampleRate} Hz; resample first`,
    );
  const betas = speechSchedule(config, options.steps);
  const seed = checkInt(options.seed, 'seed', 0, MAX_SEED - inputs.length, 0);
  const signal = checkSignalOption(options.signal, 'signal');
  const useEma = options.useEma ?? true;
  if (typeof useEma !== 'boolean') throw new InputError('useEma must be a boolean');
  const precision = options.precision ?? 'auto';
  if (precision !== 'auto' && precision !== 'float32' && precision !== 'bfloat16')
    throw new InputError(`precision must be 'auto', 'float32' or 'bfloat16', got ${String(precision)}`);
  const bf16 = precision === 'bfloat16' || (precision === 'auto' && model.device === 'cpu' && cpuHasBf16());
  const returnSigma = checkBoolean(options.returnSigma, 'returnSigma', false);

  // Long inputs become chunks of one length, so they batch with each other and memory is bounded.
  const plans = inputs.map((x, i) => ({
    chunks: planChunks(x.length, model.chunk, model.overlap),
    length: x.length,
    gain: gains[i],
    name: names[i],
  }));
  const items = inputs.flatMap((x, i) =>
    cutChunks(scaled(x, gains[i]), plans[i].chunks).map((data, k) => ({ data, seed: chunkSeed(seed + i, k) })),
  );
  const results = await model.batcher.restore(items, { betas, useEma, bf16, signal, returnSigma });
  let next = 0;
  return plans.map((plan) => {
    const parts = results.slice(next, next + plan.chunks.starts.length);
    next += parts.length;
    return assembleSpeech(parts, plan, returnSigma);
  });
}

/** The step function of speech training: a batch of random crops, run by the addon. */
export function speechTrainSteps(
  model: SpeechModelParts,
  data: PairSource | ImageDataset,
  batchSize: number,
  crop: number,
  seed: number,
  lr: number,
) {
  if (isImageDataset(data))
    throw new InputError('this is a speech model: train it on {clean, degraded} Float32Array pairs, not an image dataset');
  const sampler = new BatchSampler(data, batchSize, crop, seed, model.config.signalRms);
  return async (step: number): Promise<StepStats | undefined> => {
    const batch = await sampler.next(step);
    if (!batch) return undefined;
    model.ensureOpen();
    return model.handle.trainStep(batch.clean, batch.degraded, { batch: batchSize, lr });
  };
}

/**
 * The β of a step count: the config's schedules are found by their lengths (fastBetas is the
 * default; 6 and 3 steps for the presets), the training step count is the full schedule.
 */
export function speechSchedule(config: ModelConfig, steps: RestoreOptions['steps']): number[] {
  const { fastBetas, fast3Betas, trainSteps } = config;
  if (steps === undefined) return [...fastBetas];
  if (Array.isArray(steps)) {
    if (steps.length === 0 || steps.length > trainSteps || !steps.every((b) => typeof b === 'number' && b > 0 && b < 1))
      throw new InputError(`steps as a list must hold 1 to ${trainSteps} values of β in (0, 1)`);
    return [...steps];
  }
  const named = [fastBetas, fast3Betas].find((betas) => betas.length === steps);
  if (named) return [...named];
  if (steps === trainSteps) return [];
  const counts = [...new Set([fastBetas.length, fast3Betas.length, trainSteps])].join(', ');
  throw new InputError(`steps must be one of ${counts} (this model's schedules) or a list of β, got ${String(steps)}`);
}
