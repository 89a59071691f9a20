import type { Pair } from '../lib/data/batches';
import { Random } from '../lib/random';

/** A clean two-tone signal and a copy with seeded uniform noise. */
export function tonePair(length: number, seed = 1, noise = 0.1): Pair {
  const r = new Random(seed);
  const phase = r.next() * 6.28;
  const clean = new Float32Array(length);
  const degraded = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    clean[i] = 0.3 * Math.sin(i * 0.05 + phase) + 0.1 * Math.sin(i * 0.21);
    degraded[i] = clean[i] + noise * (2 * r.next() - 1);
  }
  return { clean, degraded };
}

export function equalArrays(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}
