/**
 * Argument checks shared by the metrics that compare a reference with a test signal.
 */
import { InputError } from '../errors';

// Bound once: looking a global up on every call is slow inside vm contexts (jest, sandboxes).
const isFiniteNumber = Number.isFinite;

/** A mono signal as the metrics accept it. */
export type Samples = Float32Array | Float64Array;

function checkSamples(x: unknown, name: string, metric: string): asserts x is Samples {
  if (!(x instanceof Float32Array || x instanceof Float64Array)) {
    const got = x === null ? 'null' : ArrayBuffer.isView(x) ? x.constructor.name : typeof x;
    throw new InputError(`${metric}: ${name} must be a Float32Array or Float64Array, got ${got}`);
  }
  if (x.length === 0) throw new InputError(`${metric}: ${name} is empty`);
  for (let i = 0; i < x.length; i++)
    if (!isFiniteNumber(x[i])) throw new InputError(`${metric}: ${name} has a non-finite sample (${x[i]}) at index ${i}`);
}

/** Checks that both signals are non-empty, finite and of equal length; returns float64 copies. */
export function checkPair(reference: unknown, test: unknown, names: [string, string], metric: string): [Float64Array, Float64Array] {
  checkSamples(reference, names[0], metric);
  checkSamples(test, names[1], metric);
  if (reference.length !== test.length)
    throw new InputError(`${metric}: ${names[0]} and ${names[1]} must have the same length (got ${reference.length} and ${test.length})`);
  return [Float64Array.from(reference), Float64Array.from(test)];
}
