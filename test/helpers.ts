import type { Pair } from '../lib/data/batches';

// One definition of the tone pairs, shared with the child processes some tests start.
const { tonePair: makePair } = require('./fixtures/tone-pair.js') as { tonePair: (length: number, seed?: number, noise?: number) => Pair };

/** A clean two-tone signal and a copy with seeded uniform noise. */
export function tonePair(length: number, seed = 1, noise = 0.1): Pair {
  return makePair(length, seed, noise);
}

export function equalArrays(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}
