/**
 * The modified Bessel function of the first kind of order zero and the Kaiser window built on it.
 */

// Bound once: looking a global up on every call is slow inside vm contexts (jest, sandboxes).
const { sqrt } = Math;

/**
 * I0(x) = Σ_k ((x/2)^k / k!)², summed until the terms stop changing the sum. All terms are
 * positive, so there is no cancellation: the result is accurate to a few ulps for the arguments
 * of Kaiser windows (|x| up to a few tens).
 */
export function besselI0(x: number): number {
  const q = (x * x) / 4;
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 1000; k++) {
    term *= q / (k * k);
    const next = sum + term;
    if (next === sum) break;
    sum = next;
  }
  return sum;
}

/**
 * The symmetric Kaiser window of `length` points, w[n] = I0(β·√(1 − ((n − α)/α)²)) / I0(β) with
 * α = (length − 1)/2, evaluated as numpy's `kaiser` writes it.
 */
export function kaiserWindow(length: number, beta: number): Float64Array {
  if (!Number.isInteger(length) || length < 1) throw new RangeError(`Kaiser window length must be a positive integer, got ${length}`);
  const w = new Float64Array(length);
  if (length === 1) {
    w[0] = 1;
    return w;
  }
  const alpha = (length - 1) / 2;
  const denominator = besselI0(beta);
  for (let n = 0; n < length; n++) {
    const r = (n - alpha) / alpha;
    w[n] = besselI0(beta * sqrt(1 - r * r)) / denominator;
  }
  return w;
}
