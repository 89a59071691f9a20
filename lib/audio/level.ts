/**
 * Signal level. Speech models are trained on signals of one RMS (`config.signalRms`) and their
 * network is not scale-equivariant, while the sampler's noise has a fixed scale: a signal far
 * louder or quieter than that is restored badly, or clipped. So restoration scales each input as
 * a whole to that RMS and the result back by the inverse gain (restore(k·y) ≈ k·restore(y)), and
 * training scales each crop pair alike. Sums run in float64, where squares of any float32 neither
 * overflow nor underflow.
 */
import { InputError, NativeError } from '../errors';

// Bound once: looking a global up on every call is slow inside vm contexts (jest, sandboxes).
const isFiniteNumber = Number.isFinite;

/**
 * Largest peak |sample| restored: the restored signal, scaled back by the inverse gain, must stay
 * well inside float32's range (≈3.4e38) even when it peaks higher than the input.
 */
export const MAX_PEAK = 1e36;

/**
 * Smallest RMS of a non-silent input: the gain of a quieter one (above 1e29) would amplify little
 * more than float32's rounding of near-subnormal samples.
 */
export const MIN_RMS = 1e-30;

/** RMS and peak |sample| of a signal. */
export interface Level {
  rms: number;
  peak: number;
}

/** The RMS and peak of `x`, summed in float64. */
export function measureLevel(x: Float32Array): Level {
  let sum = 0;
  let peak = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    sum += v * v;
    peak = Math.max(peak, Math.abs(v));
  }
  return { rms: x.length === 0 ? 0 : Math.sqrt(sum / x.length), peak };
}

/**
 * The level of `x`; throws an {@link InputError} naming `name` when scaling it to the model's level
 * and back could not be represented in float32.
 */
export function checkLevel(x: Float32Array, name: string): Level {
  const level = measureLevel(x);
  const limits = `restorable levels are a peak |sample| up to ${MAX_PEAK} and an RMS of at least ${MIN_RMS}, or silence`;
  if (level.peak > MAX_PEAK) throw new InputError(`${name} is too loud: peak |sample| ${level.peak} is above ${MAX_PEAK}; ${limits}`);
  if (level.rms > 0 && level.rms < MIN_RMS) throw new InputError(`${name} is too quiet: RMS ${level.rms} is below ${MIN_RMS}; ${limits}`);
  return level;
}

/**
 * The gain that brings a signal of RMS `rms` to RMS `target`. Silence, and anything quieter than
 * {@link MIN_RMS} (rounding dust in a training crop), keeps gain 1.
 */
export function levelGain(rms: number, target: number): number {
  return rms < MIN_RMS ? 1 : target / rms;
}

/** A copy of `x` multiplied by `gain` (in float64, rounded once to float32). */
export function scaled(x: Float32Array, gain: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] * gain;
  return out;
}

/** Multiplies `x` by `gain` in place. */
export function scaleInPlace(x: Float32Array, gain: number): void {
  if (gain === 1) return;
  for (let i = 0; i < x.length; i++) x[i] *= gain;
}

/**
 * Scales a restored signal back by the inverse of the gain its input was restored at, in place.
 * Throws a {@link NativeError} when a sample is NaN or infinite, so no caller receives one.
 */
export function undoGain(restored: Float32Array, gain: number, name: string): Float32Array {
  scaleInPlace(restored, 1 / gain);
  for (let i = 0; i < restored.length; i++)
    if (!isFiniteNumber(restored[i]))
      throw new NativeError(`${name}: restoration produced non-finite values (${restored[i]} at sample ${i} of ${restored.length})`);
  return restored;
}
