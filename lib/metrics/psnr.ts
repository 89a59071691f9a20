/** Peak signal-to-noise ratio of 8-bit images. */
import type { Image } from '../image/image';
import { type ImageMetricOptions, imagePlanes } from './image-pair';

/**
 * PSNR of `test` against `reference`, in dB: 10·log10(255² / MSE), the MSE taken over every
 * sample of every compared channel (as `skimage.metrics.peak_signal_noise_ratio` with
 * `data_range=255`). Identical images score +Infinity. `E_INPUT` when the shapes differ.
 */
export function psnr(reference: Image, test: Image, options?: ImageMetricOptions): number {
  const [a, b] = imagePlanes(reference, test, options, 'PSNR');
  let sum = 0;
  let count = 0;
  for (let p = 0; p < a.length; p++) {
    for (let i = 0; i < a[p].length; i++) sum += (a[p][i] - b[p][i]) ** 2;
    count += a[p].length;
  }
  return 10 * Math.log10((255 * 255) / (sum / count));
}
