/**
 * Training batches: random crops of {clean, degraded} pairs drawn from an array (sampled with a
 * seeded generator) or read from an iterable as a stream, never all held in memory.
 */
import { levelGain, measureLevel, scaleInPlace } from '../audio/level';
import { InputError } from '../errors';
import { Random } from '../random';
import { checkSignal } from '../validate';

/** One training example: the clean signal and its degraded observation, sample-aligned. */
export interface Pair {
  /** The target signal. */
  clean: Float32Array;
  /** The observation to restore, of the same length. */
  degraded: Float32Array;
}

/**
 * A corpus read on demand: `get(i, random)` loads pair `i`, drawing any random choices it makes
 * (a noise, an SNR) from `random`, so that batches stay reproducible.
 */
export interface Dataset {
  /** Number of pairs; indices run from 0 to `length - 1`. */
  readonly length: number;
  /** Loads pair `index`, drawing any random choice from `random` (never from `Math.random`). */
  get(index: number, random: Random): Promise<Pair>;
}

/**
 * Pairs as an array or a {@link Dataset} (sampled at random), or an (async) iterable (read in
 * order, reopened at its end).
 */
export type PairSource = readonly Pair[] | Dataset | Iterable<Pair> | AsyncIterable<Pair>;

function isDataset(s: PairSource): s is Dataset {
  return !Array.isArray(s) && typeof (s as Dataset).get === 'function' && typeof (s as Dataset).length === 'number';
}

/** The generator of training step `step` of a run seeded with `seed`: batches depend on nothing else. */
export function stepRandom(seed: number, step: number): Random {
  return new Random((Math.imul(seed, 0x9e3779b1) ^ Math.imul(step, 0x85ebca77)) >>> 0);
}

/** A batch laid out row after row: `batchSize × cropLength` samples in each array. */
export interface Batch {
  clean: Float32Array;
  degraded: Float32Array;
}

function checkPair(p: unknown, index: number): Pair {
  const pair = p as Partial<Pair> | null;
  if (!pair || typeof pair !== 'object')
    throw new InputError(`training pair ${index} must be {clean: Float32Array, degraded: Float32Array}`);
  checkSignal(pair.clean, `training pair ${index}: clean`, 1, Number.MAX_SAFE_INTEGER);
  checkSignal(pair.degraded, `training pair ${index}: degraded`, 1, Number.MAX_SAFE_INTEGER);
  if (pair.clean!.length !== pair.degraded!.length)
    throw new InputError(`training pair ${index}: clean has ${pair.clean!.length} samples, degraded ${pair.degraded!.length}`);
  return pair as Pair;
}

/**
 * Draws batches of random crops; a pair shorter than the crop is zero-padded. Each pair is scaled
 * by the gain that brings its degraded crop (padding aside) to RMS `signalRms`. The draws of a batch
 * depend only on the seed and the model's step number, so training resumed from a checkpoint
 * sees the same batches as a run that never stopped (for arrays; a stream goes on where it is).
 */
export class BatchSampler {
  private iterator?: Iterator<Pair> | AsyncIterator<Pair>;
  private read = 0;

  constructor(
    private readonly source: PairSource,
    private readonly batchSize: number,
    private readonly cropLength: number,
    private readonly seed: number,
    /** RMS each degraded crop is scaled to, its clean crop by the same gain (`config.signalRms`). */
    private readonly signalRms: number,
  ) {
    if (Array.isArray(source) || (source && isDataset(source))) {
      if (source.length === 0) throw new InputError('training data is empty');
    } else if (
      !source ||
      (typeof (source as AsyncIterable<Pair>)[Symbol.asyncIterator] !== 'function' &&
        typeof (source as Iterable<Pair>)[Symbol.iterator] !== 'function')
    ) {
      throw new InputError('training data must be an array or an (async) iterable of {clean, degraded} pairs');
    }
  }

  /** The batch for the model's step `step`, or null when a streamed source has nothing more to give. */
  async next(step: number): Promise<Batch | null> {
    const random = stepRandom(this.seed, step);
    const clean = new Float32Array(this.batchSize * this.cropLength);
    const degraded = new Float32Array(this.batchSize * this.cropLength);
    for (let b = 0; b < this.batchSize; b++) {
      const pair = await this.nextPair(random);
      if (!pair) return null;
      const n = pair.clean.length;
      const start = n > this.cropLength ? random.int(n - this.cropLength + 1) : 0;
      const end = Math.min(n, start + this.cropLength);
      const row = b * this.cropLength;
      const cleanCrop = clean.subarray(row, row + end - start);
      const degradedCrop = degraded.subarray(row, row + end - start);
      cleanCrop.set(pair.clean.subarray(start, end));
      degradedCrop.set(pair.degraded.subarray(start, end));
      // Restoration scales its inputs to signalRms: train at that level, the pair by one gain.
      const gain = levelGain(measureLevel(degradedCrop).rms, this.signalRms);
      scaleInPlace(cleanCrop, gain);
      scaleInPlace(degradedCrop, gain);
    }
    return { clean, degraded };
  }

  private async nextPair(random: Random): Promise<Pair | null> {
    if (Array.isArray(this.source)) {
      const i = random.int(this.source.length);
      return checkPair(this.source[i], i);
    }
    if (isDataset(this.source)) {
      const i = random.int(this.source.length);
      return checkPair(await this.source.get(i, random), i);
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      if (!this.iterator) this.iterator = this.open();
      const r = await this.iterator.next();
      if (!r.done) return checkPair(r.value, this.read++);
      this.iterator = undefined; // reopen: re-iterable sources give another epoch
      if (this.read === 0) break;
      this.read = 0;
    }
    return null;
  }

  private open(): Iterator<Pair> | AsyncIterator<Pair> {
    const s = this.source as AsyncIterable<Pair> & Iterable<Pair>;
    return typeof s[Symbol.asyncIterator] === 'function' ? s[Symbol.asyncIterator]() : s[Symbol.iterator]();
  }
}
