/**
 * STOI's front end at 10 kHz, as pystoi 0.4.1 computes it: silent-frame removal with overlap-add,
 * then a windowed 512-point STFT reduced to one-third octave band magnitudes.
 */
import { RealFft } from './fft';
import { thirdOctaveBands } from './third-octave';

// Bound once: looking a global up on every call is slow inside vm contexts (jest, sandboxes).
const { sqrt } = Math;

/** The constants of Taal et al. (2011), as pystoi names them. */
export const STOI = {
  FS: 10000,
  N_FRAME: 256,
  HOP: 128,
  NFFT: 512,
  NUMBAND: 15,
  MINFREQ: 150,
  /** Frames per intermediate-intelligibility segment. */
  N: 30,
  /** Lower bound of the signal-to-distortion ratio, in dB. */
  BETA: -15,
  /** Frames more than this many dB below the loudest clean frame are silent. */
  DYN_RANGE: 40,
  EPS: Number.EPSILON,
} as const;

/**
 * MATLAB's `hanning(256)` (numpy's `hanning(258)[1:-1]`): 0.5 + 0.5·cos(π·n/257) for
 * n = −255, −253, ..., 255, which is symmetric sample for sample.
 */
export const HANN: Float64Array = (() => {
  const w = new Float64Array(STOI.N_FRAME);
  const m = STOI.N_FRAME + 1;
  for (let i = 0; i < STOI.N_FRAME; i++) w[i] = 0.5 + 0.5 * Math.cos((Math.PI * (2 * i + 2 - m)) / m);
  return w;
})();

/** Frame starts 0, hop, ... below `length − frame`: the last possible frame is left out when it ends exactly at the end, as in pystoi. */
export function frameCount(length: number): number {
  return Math.max(0, Math.ceil((length - STOI.N_FRAME) / STOI.HOP));
}

/** The indices of the frames of `x` that are less than DYN_RANGE dB below its loudest frame. */
export function keptFrames(x: Float64Array): number[] {
  const count = frameCount(x.length);
  const energies = new Float64Array(count);
  let max = Number.NEGATIVE_INFINITY;
  for (let f = 0; f < count; f++) {
    const start = f * STOI.HOP;
    let sum = 0;
    for (let i = 0; i < STOI.N_FRAME; i++) {
      const v = HANN[i] * x[start + i];
      sum += v * v;
    }
    energies[f] = 20 * Math.log10(Math.sqrt(sum) + STOI.EPS);
    if (energies[f] > max) max = energies[f];
  }
  const kept: number[] = [];
  for (let f = 0; f < count; f++) if (max - STOI.DYN_RANGE - energies[f] < 0) kept.push(f);
  return kept;
}

/** Overlap-adds the windowed frames `kept` of `x` with the analysis hop: (F − 1)·hop + N_FRAME samples. */
export function overlapAddFrames(x: Float64Array, kept: readonly number[]): Float64Array {
  if (kept.length === 0) return new Float64Array(0);
  const out = new Float64Array((kept.length - 1) * STOI.HOP + STOI.N_FRAME);
  kept.forEach((frame, j) => {
    const from = frame * STOI.HOP;
    const to = j * STOI.HOP;
    for (let i = 0; i < STOI.N_FRAME; i++) out[to + i] += HANN[i] * x[from + i];
  });
  return out;
}

/** Band magnitudes as a bands × frames matrix, row-major. */
export interface BandSpectrogram {
  readonly bands: number;
  readonly frames: number;
  readonly data: Float64Array;
}

const BANDS = thirdOctaveBands(STOI.FS, STOI.NFFT, STOI.NUMBAND, STOI.MINFREQ);

/**
 * sqrt(Σ |X|²) over each band's bins for every frame of the STFT of `x` (Hann window, frames of
 * N_FRAME zero-padded to NFFT, hop HOP).
 */
export function bandSpectrogram(x: Float64Array): BandSpectrogram {
  const frames = frameCount(x.length);
  const data = new Float64Array(STOI.NUMBAND * frames);
  const fft = new RealFft(STOI.NFFT);
  const frame = new Float64Array(STOI.N_FRAME);
  const re = new Float64Array(STOI.NFFT / 2 + 1);
  const im = new Float64Array(STOI.NFFT / 2 + 1);
  for (let t = 0; t < frames; t++) {
    const start = t * STOI.HOP;
    for (let i = 0; i < STOI.N_FRAME; i++) frame[i] = HANN[i] * x[start + i];
    fft.forward(frame, re, im);
    BANDS.forEach(({ lo, hi }, b) => {
      let sum = 0;
      for (let k = lo; k < hi; k++) sum += re[k] * re[k] + im[k] * im[k];
      data[b * frames + t] = sqrt(sum);
    });
  }
  return { bands: STOI.NUMBAND, frames, data };
}
