/** The metrics of a restoration as one record, and their means over many (what `restoregrad eval` reports). */

import { segmentalSnr } from './segsnr';
import type { Samples } from './signal-pair';
import { siSdr } from './sisdr';
import { estoi, STOI_TOO_SHORT, stoi } from './stoi';

/** The metrics of one restored signal against its clean reference. */
export interface SpeechScores {
  /** Scale-invariant signal-to-distortion ratio, in dB ({@link siSdr}). */
  siSdr: number;
  /** Segmental SNR, in dB ({@link segmentalSnr}). */
  segSnr: number;
  /** Short-time objective intelligibility ({@link stoi}); NaN when too little speech is left to score. */
  stoi: number;
  /** Extended STOI ({@link estoi}); NaN when too little speech is left to score. */
  estoi: number;
}

/** The metrics of one restored image against its clean reference: PSNR (dB) and SSIM on RGB and on luma (Y). */
export interface ImageScores {
  /** PSNR over the RGB channels, in dB. */
  psnr: number;
  /** SSIM over the RGB channels. */
  ssim: number;
  /** PSNR of the luma (Y) channel, in dB. */
  psnrY: number;
  /** SSIM of the luma (Y) channel. */
  ssimY: number;
}

/** Scores of speech or of images; one evaluation holds one kind only. */
export type Scores = SpeechScores | ImageScores;

// pystoi's 1e-5 for too little speech marks a signal it cannot score: NaN keeps it out of means.
const intelligibility = (value: number) => (value === STOI_TOO_SHORT ? Number.NaN : value);

/**
 * Scores `estimate` against `clean` (equal lengths and rates required). STOI and ESTOI are NaN
 * for a signal with under 30 frames (about 0.4 s) of speech left after silence removal.
 */
export function score(clean: Samples, estimate: Samples, sampleRate: number): SpeechScores {
  return {
    siSdr: siSdr(clean, estimate),
    segSnr: segmentalSnr(clean, estimate),
    stoi: intelligibility(stoi(clean, estimate, sampleRate)),
    estoi: intelligibility(estoi(clean, estimate, sampleRate)),
  };
}

/**
 * Mean of each metric over files, of finite values only: a perfect copy's +Infinity (SI-SDR,
 * PSNR) is left out, unless every file is perfect, when the mean is +Infinity.
 */
export function meanScores<S extends Scores>(all: S[]): S {
  const out: Record<string, number> = {};
  for (const k of Object.keys(all[0] ?? {})) {
    const values = all.map((s) => (s as unknown as Record<string, number>)[k]);
    const finite = values.filter(Number.isFinite);
    out[k] = finite.length
      ? finite.reduce((a, b) => a + b, 0) / finite.length
      : values.length && values.every((v) => v === Number.POSITIVE_INFINITY)
        ? Number.POSITIVE_INFINITY
        : Number.NaN;
  }
  return out as unknown as S;
}
