/**
 * A classical single-channel enhancer: the reference a diffusion model has to beat. STFT with a
 * square-root Hann window at 50 % overlap (analysis and synthesis together reconstruct exactly),
 * the noise power of each bin from minimum statistics over the whole signal, the a priori SNR by
 * the decision-directed rule (Ephraim & Malah 1984) and the Wiener gain ξ / (1 + ξ) with a floor.
 */
import { ComplexFft, RealFft } from '../metrics/fft';

/** Settings of {@link wienerEnhance}. */
export interface WienerOptions {
  /** Frame length in samples, a power of two (default 512: 32 ms at 16 kHz). */
  frame?: number;
  /** Smallest gain in dB (default −15): deeper suppression costs musical noise. */
  floorDb?: number;
  /** Weight of the previous frame's estimate in the decision-directed a priori SNR (default 0.98). */
  alpha?: number;
}

// Frames averaged before the percentile, the percentile, and the percentile of the mean of
// SMOOTHING exponential variables of mean 1 (χ² with 10 degrees of freedom / 10): the factor
// that turns the percentile of smoothed noise-only power into its mean.
const SMOOTHING = 5;
const QUANTILE = 0.1;
const QUANTILE_OF_MEAN_ONE = 0.4865;

/** The signal with stationary noise suppressed; same length. */
export function wienerEnhance(signal: Float32Array, options: WienerOptions = {}): Float32Array {
  const n = options.frame ?? 512;
  const floor = 10 ** ((options.floorDb ?? -15) / 20);
  const alpha = options.alpha ?? 0.98;
  const hop = n / 2;
  const bins = n / 2 + 1;
  // sqrt of the periodic Hann window: w² at hop n/2 sums to one everywhere.
  const window = Float64Array.from({ length: n }, (_, i) => Math.sin((Math.PI * i) / n));
  const frames = Math.ceil(signal.length / hop) + 1;
  const padded = new Float64Array((frames + 1) * hop);
  padded.set(signal, hop);

  const rfft = new RealFft(n);
  const spectra = Array.from({ length: frames }, () => ({ re: new Float64Array(bins), im: new Float64Array(bins) }));
  const power = Array.from({ length: frames }, () => new Float64Array(bins));
  const frame = new Float64Array(n);
  for (let f = 0; f < frames; f++) {
    for (let i = 0; i < n; i++) frame[i] = padded[f * hop + i] * window[i];
    rfft.forward(frame, spectra[f].re, spectra[f].im);
    for (let k = 0; k < bins; k++) power[f][k] = spectra[f].re[k] ** 2 + spectra[f].im[k] ** 2;
  }

  const noise = noisePower(power, bins);
  const ifft = new ComplexFft(n);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  const out = new Float64Array(padded.length);
  const previous = new Float64Array(bins); // |G·Y|² of the last frame
  for (let f = 0; f < frames; f++) {
    const { re: yr, im: yi } = spectra[f];
    for (let k = 0; k < bins; k++) {
      const posterior = power[f][k] / noise[k];
      const prior = alpha * (previous[k] / noise[k]) + (1 - alpha) * Math.max(posterior - 1, 0);
      const gain = Math.max(prior / (1 + prior), floor);
      previous[k] = gain * gain * power[f][k];
      // Conjugated, so that a forward transform inverts it (the output is real).
      re[k] = gain * yr[k];
      im[k] = -gain * yi[k];
      if (k > 0 && k < n / 2) {
        re[n - k] = re[k];
        im[n - k] = -im[k];
      }
    }
    ifft.forward(re, im);
    for (let i = 0; i < n; i++) out[f * hop + i] += (re[i] / n) * window[i];
  }
  return Float32Array.from(out.subarray(hop, hop + signal.length));
}

// Per bin: the QUANTILE of the power smoothed over SMOOTHING frames, scaled to a mean.
function noisePower(power: Float64Array[], bins: number): Float64Array {
  const frames = power.length;
  const noise = new Float64Array(bins);
  const smoothed = new Float64Array(frames);
  for (let k = 0; k < bins; k++) {
    for (let f = 0; f < frames; f++) {
      let s = 0;
      let count = 0;
      for (let j = Math.max(0, f - (SMOOTHING >> 1)); j <= Math.min(frames - 1, f + (SMOOTHING >> 1)); j++, count++) s += power[j][k];
      smoothed[f] = s / count;
    }
    smoothed.sort();
    noise[k] = Math.max(smoothed[Math.floor(QUANTILE * (frames - 1))] / QUANTILE_OF_MEAN_ONE, 1e-20);
  }
  return noise;
}
