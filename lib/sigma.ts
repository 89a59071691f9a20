/**
 * The prior's σ that a restoration can return beside its result (`returnSigma: true`): the
 * standard deviation of the Gaussian noise the sampler starts from and adds at each step,
 * exp(½·log σ²_prior). With the learned prior it is the Prior Net's map of the degraded input, with
 * PriorGrad the handcrafted one from local energy, with the standard prior the constant
 * `config.noiseScale`.
 */
import type { Image } from './image/image';

/** A speech restoration with its prior's σ, from `restore(signal, { returnSigma: true })`. */
export interface SpeechRestoration {
  /** The restored signal, as `restore()` gives it without `returnSigma`. */
  restored: Float32Array;
  /**
   * σ per sample, the input's length, in the input's units: restoration scales each input to RMS
   * `config.signalRms` and σ is scaled back by the same gain as the signal (so σ of restore(k·y) is
   * k times σ of restore(y)); chunks of long inputs are cross-faded like the signal's.
   */
  sigma: Float32Array;
}

/** An image restoration with its prior's σ, from `restore(image, { returnSigma: true })`. */
export interface ImageRestoration {
  /** The restored image, as `restore()` gives it without `returnSigma`. */
  restored: Image;
  /**
   * σ per pixel and channel, laid out like `restored.data` (interleaved, row-major:
   * `sigma[(y * width + x) * channels + c]`), in 8-bit levels: the sampler works on pixels mapped to
   * [−1, 1], so σ = 1 there is 127.5 levels here. A gray input of an RGB model gets the mean of the
   * three channels' σ.
   */
  sigma: Float32Array;
}

/** Levels of an 8-bit image per unit of the sampler's [−1, 1] pixel scale. */
export const LEVELS_PER_UNIT = 127.5;

/**
 * The addon's planar σ [C, H, W] of an image restored with `modelChannels` channels, as an
 * {@link ImageRestoration}'s `sigma` of an image with `channels` channels.
 */
export function imageSigma(planar: Float32Array, width: number, height: number, modelChannels: number, channels: 1 | 3): Float32Array {
  const plane = width * height;
  const out = new Float32Array(plane * channels);
  if (channels === modelChannels) {
    for (let c = 0; c < channels; c++) for (let i = 0; i < plane; i++) out[i * channels + c] = planar[c * plane + i] * LEVELS_PER_UNIT;
    return out;
  }
  // A gray result of an RGB model: one σ per pixel, the mean over the model's channels.
  for (let i = 0; i < plane; i++) {
    let sum = 0;
    for (let c = 0; c < modelChannels; c++) sum += planar[c * plane + i];
    out[i] = (sum / modelChannels) * LEVELS_PER_UNIT;
  }
  return out;
}
