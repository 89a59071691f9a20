/**
 * Short-time objective intelligibility: STOI (Taal et al., 2011) and extended STOI, ESTOI (Jensen
 * & Taal, 2016), in float64, giving the numbers of pystoi 0.4.1 (the reference implementation
 * most papers report) to within a few 1e-16 on its reference vectors.
 *
 * Differences from pystoi, all outside its normal results:
 * - ESTOI adds no EPS-sized random noise before normalising (pystoi draws it from numpy's global
 *   generator; it moves results by ≤ 2.2e-16). Where that noise was all that kept a norm from
 *   being zero (a band or frame that is exactly zero for a whole segment, as with a silent
 *   degraded signal), the normalised vector is taken as zero and adds no correlation.
 * - An input too short to frame gives 1e-5, like any input with fewer than 30 frames left after
 *   silence removal, where pystoi would raise an error.
 * - pystoi also warns when it returns 1e-5; this returns it silently.
 */
import { InputError } from '../errors';
import { checkInt, checkKeys } from '../validate';
import { resampleOct } from './resample';
import { checkPair, type Samples } from './signal-pair';
import { type BandSpectrogram, bandSpectrogram, keptFrames, overlapAddFrames, STOI } from './stoi-frames';

// Bound once: looking a global up on every call is slow inside vm contexts (jest, sandboxes).
const { min, sqrt } = Math;

/** Options of {@link stoi}. */
export interface StoiOptions {
  /** Computes ESTOI instead of STOI (default false). */
  extended?: boolean;
}

/** The highest sample rate accepted: the resampling filter grows with the reduced denominator of 10000/fs. */
export const MAX_STOI_SAMPLE_RATE = 384_000;

/** What pystoi returns when fewer than 30 frames remain after silence removal. */
export const STOI_TOO_SHORT = 1e-5;

/** The one-third octave band magnitudes of clean and degraded speech, after resampling to 10 kHz and removing silent frames. */
export function stoiBandSpectrograms(
  clean: Float64Array,
  degraded: Float64Array,
  sampleRate: number,
): { x: BandSpectrogram; y: BandSpectrogram } {
  let x = clean;
  let y = degraded;
  if (sampleRate !== STOI.FS) {
    x = resampleOct(x, STOI.FS, sampleRate);
    y = resampleOct(y, STOI.FS, sampleRate);
  }
  // Silence is decided on the clean signal alone, and the same frames are dropped from both.
  const kept = keptFrames(x);
  return { x: bandSpectrogram(overlapAddFrames(x, kept)), y: bandSpectrogram(overlapAddFrames(y, kept)) };
}

function norm(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return sqrt(s);
}

function subtractMean(v: Float64Array): void {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  const mean = s / v.length;
  for (let i = 0; i < v.length; i++) v[i] -= mean;
}

/**
 * STOI's score of each 30-frame segment: the mean over bands of the correlation between the clean
 * band envelope and the degraded one, scaled to the clean energy and clipped at 15 dB SDR.
 */
export function stoiSegmentScores(x: BandSpectrogram, y: BandSpectrogram): Float64Array {
  const { N, EPS, BETA } = STOI;
  const segments = x.frames - N + 1;
  const scores = new Float64Array(Math.max(0, segments));
  const clip = 1 + 10 ** (-BETA / 20);
  const xr = new Float64Array(N);
  const yr = new Float64Array(N);
  for (let s = 0; s < segments; s++) {
    let sum = 0;
    for (let b = 0; b < x.bands; b++) {
      const offset = b * x.frames + s;
      xr.set(x.data.subarray(offset, offset + N));
      yr.set(y.data.subarray(offset, offset + N));
      const alpha = norm(xr) / (norm(yr) + EPS);
      for (let i = 0; i < N; i++) yr[i] = min(yr[i] * alpha, xr[i] * clip);
      subtractMean(yr);
      subtractMean(xr);
      const ny = norm(yr) + EPS;
      const nx = norm(xr) + EPS;
      for (let i = 0; i < N; i++) sum += (yr[i] / ny) * (xr[i] / nx);
    }
    scores[s] = sum / x.bands;
  }
  return scores;
}

/** Scales v[offset + i·stride], i < count, by 1/norm after removing their mean; zero where the norm is zero. */
function normalise(v: Float64Array, offset: number, stride: number, count: number): void {
  let s = 0;
  for (let i = 0; i < count; i++) s += v[offset + i * stride];
  const mean = s / count;
  let ss = 0;
  for (let i = 0; i < count; i++) {
    const d = v[offset + i * stride] - mean;
    v[offset + i * stride] = d;
    ss += d * d;
  }
  const inv = ss > 0 ? 1 / sqrt(ss) : 0;
  for (let i = 0; i < count; i++) v[offset + i * stride] *= inv;
}

/** One segment of `m` as a bands × N matrix, normalised by rows (bands) and then by columns (frames). */
function rowColumnNormalised(m: BandSpectrogram, s: number, out: Float64Array): void {
  const { N } = STOI;
  for (let b = 0; b < m.bands; b++) out.set(m.data.subarray(b * m.frames + s, b * m.frames + s + N), b * N);
  for (let b = 0; b < m.bands; b++) normalise(out, b * N, 1, N);
  for (let t = 0; t < N; t++) normalise(out, t, N, m.bands);
}

/** ESTOI's score of each 30-frame segment: Σ x̂·ŷ / 30 over the row- and column-normalised segments. */
export function estoiSegmentScores(x: BandSpectrogram, y: BandSpectrogram): Float64Array {
  const { N } = STOI;
  const segments = x.frames - N + 1;
  const scores = new Float64Array(Math.max(0, segments));
  const xs = new Float64Array(x.bands * N);
  const ys = new Float64Array(x.bands * N);
  for (let s = 0; s < segments; s++) {
    rowColumnNormalised(x, s, xs);
    rowColumnNormalised(y, s, ys);
    let sum = 0;
    for (let i = 0; i < xs.length; i++) sum += (xs[i] * ys[i]) / N;
    scores[s] = sum;
  }
  return scores;
}

/**
 * STOI of `degraded` against `clean`, or ESTOI with `{ extended: true }`: typically 0..1, higher
 * is more intelligible (it can be slightly negative for unrelated signals).
 *
 * Signals at rates other than 10 kHz are first resampled to 10 kHz with pystoi's filter. Frames
 * more than 40 dB below the loudest clean frame are removed from both signals. If fewer than 30
 * frames (about 0.4 s of speech) remain, the result is 1e-5, as in pystoi.
 *
 * @param clean the reference speech
 * @param degraded the signal to score, time-aligned with `clean` and of the same length
 * @param sampleRate in Hz, an integer from 1 to {@link MAX_STOI_SAMPLE_RATE}
 * @throws InputError for signals that are empty, of different lengths or not finite, a bad rate, or an unknown option
 */
export function stoi(clean: Samples, degraded: Samples, sampleRate: number, options?: StoiOptions): number {
  const what = options?.extended ? 'ESTOI' : 'STOI';
  checkKeys(options, ['extended'], `${what} options`);
  if (options?.extended !== undefined && typeof options.extended !== 'boolean')
    throw new InputError(`STOI option 'extended' must be a boolean, got ${String(options.extended)}`);
  const [x, y] = checkPair(clean, degraded, ['clean', 'degraded'], what);
  checkInt(sampleRate, `${what} sampleRate`, 1, MAX_STOI_SAMPLE_RATE);
  const bands = stoiBandSpectrograms(x, y, sampleRate);
  if (bands.x.frames < STOI.N) return STOI_TOO_SHORT;
  const scores = options?.extended ? estoiSegmentScores(bands.x, bands.y) : stoiSegmentScores(bands.x, bands.y);
  let sum = 0;
  for (let s = 0; s < scores.length; s++) sum += scores[s];
  return sum / scores.length;
}

/**
 * Extended STOI (Jensen & Taal, 2016): {@link stoi} with `{ extended: true }`. It correlates whole
 * spectro-temporal segments instead of single bands, so it also tracks fluctuating and
 * non-additive distortions.
 */
export function estoi(clean: Samples, degraded: Samples, sampleRate: number): number {
  return stoi(clean, degraded, sampleRate, { extended: true });
}
