/**
 * Rational resampling as pystoi does it (`utils.resample_oct`: Octave's `resample` filter,
 * applied by `scipy.signal.resample_poly`), so that STOI at rates other than 10 kHz gives the same
 * numbers as pystoi.
 */
import { kaiserWindow } from './kaiser';

// Bound once: looking a global up on every call is slow inside vm contexts (jest, sandboxes).
const { ceil, floor, max, min } = Math;

/** The anti-aliasing filter of a p/q resampler, reduced to lowest terms. */
export interface ResampleFilter {
  /** Upsampling factor p. */
  readonly up: number;
  /** Downsampling factor q. */
  readonly down: number;
  /** Half length L: the filter has 2L + 1 taps, centred on tap L. */
  readonly half: number;
  /** h / Σh (the window pystoi passes to resample_poly, before resample_poly scales it by p). */
  readonly taps: Float64Array;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const y = Math.PI * x;
  return Math.sin(y) / y;
}

/**
 * The filter of Octave's `resample` for p/q: a Kaiser-windowed sinc with 60 dB stop-band
 * rejection, cut-off 1/(2·max(p, q)) and a roll-off of a tenth of that, normalised to unit sum.
 */
export function resampleFilter(up: number, down: number): ResampleFilter {
  const g = gcd(up, down);
  const p = up / g;
  const q = down / g;
  // Octave's constants, written in the same order as pystoi so that ceil() sees the same value.
  const rejectionDb = -20 * -3.0;
  const cutoff = 1 / (2 * Math.max(p, q));
  const rollOff = cutoff / 10;
  const half = Math.ceil((rejectionDb - 8) / (28.714 * rollOff));
  const beta = 0.1102 * (rejectionDb - 8.7);
  const window = kaiserWindow(2 * half + 1, beta);
  const taps = new Float64Array(2 * half + 1);
  const gain = 2 * p * cutoff;
  let sum = 0;
  for (let i = 0; i < taps.length; i++) {
    taps[i] = window[i] * (gain * sinc(2 * cutoff * (i - half)));
    sum += taps[i];
  }
  for (let i = 0; i < taps.length; i++) taps[i] /= sum;
  return { up: p, down: q, half, taps };
}

let lastFilter: ResampleFilter | undefined;

/** {@link resampleFilter}, remembering the last one built (callers use one rate over and over). */
function cachedFilter(up: number, down: number): ResampleFilter {
  const g = gcd(up, down);
  if (lastFilter?.up !== up / g || lastFilter.down !== down / g) lastFilter = resampleFilter(up, down);
  return lastFilter;
}

/**
 * Resamples `x` by up/down the way `scipy.signal.resample_poly(x, up, down, window=taps)` does:
 * zero-padded input, the filter scaled by p and centred, ⌈N·p/q⌉ output samples:
 * y[m] = Σ_n p·taps[q·m − p·n + L]·x[n].
 */
export function resampleOct(x: Float64Array, up: number, down: number): Float64Array {
  const { up: p, down: q, half, taps } = cachedFilter(up, down);
  if (p === 1 && q === 1) return Float64Array.from(x);
  const h = taps.map((t) => t * p);
  const n = x.length;
  const out = new Float64Array(Math.ceil((n * p) / q));
  const last = h.length - 1;
  for (let m = 0; m < out.length; m++) {
    const centre = q * m + half;
    // Taps q·m − p·k + L must lie in [0, 2L]: k from ⌈(q·m − L)/p⌉ to ⌊(q·m + L)/p⌋.
    const lo = max(0, ceil((centre - last) / p));
    const hi = min(n - 1, floor(centre / p));
    let acc = 0;
    for (let k = lo, t = centre - p * lo; k <= hi; k++, t -= p) acc += h[t] * x[k];
    out[m] = acc;
  }
  return out;
}
