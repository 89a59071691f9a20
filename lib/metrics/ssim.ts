/** Structural similarity (SSIM) of 8-bit images. */
import { InputError } from '../errors';
import type { Image } from '../image/image';
import { type ImageMetricOptions, imagePlanes } from './image-pair';

const RADIUS = 5;
const SIGMA = 1.5;
const WINDOW = (() => {
  const w = Float64Array.from({ length: 2 * RADIUS + 1 }, (_, i) => Math.exp((-0.5 / (SIGMA * SIGMA)) * (i - RADIUS) ** 2));
  const sum = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / sum);
})();
const C1 = (0.01 * 255) ** 2;
const C2 = (0.03 * 255) ** 2;

/**
 * The Gaussian-weighted means of x, y, x², y² and xy at every valid pixel, filtered along rows
 * then columns (the window is separable), each as an (h − 10) × (w − 10) plane.
 */
function localMoments(x: Float64Array, y: Float64Array, w: number, h: number): Float64Array[] {
  const vw = w - 2 * RADIUS;
  const vh = h - 2 * RADIUS;
  const rows = Array.from({ length: 5 }, () => new Float64Array(h * vw));
  for (let r = 0; r < h; r++)
    for (let c = 0; c < vw; c++) {
      let sx = 0;
      let sy = 0;
      let sxx = 0;
      let syy = 0;
      let sxy = 0;
      for (let k = 0; k <= 2 * RADIUS; k++) {
        const a = x[r * w + c + k];
        const b = y[r * w + c + k];
        const g = WINDOW[k];
        sx += g * a;
        sy += g * b;
        sxx += g * a * a;
        syy += g * b * b;
        sxy += g * a * b;
      }
      const at = r * vw + c;
      rows[0][at] = sx;
      rows[1][at] = sy;
      rows[2][at] = sxx;
      rows[3][at] = syy;
      rows[4][at] = sxy;
    }
  return rows.map((plane) => {
    const out = new Float64Array(vh * vw);
    for (let r = 0; r < vh; r++)
      for (let c = 0; c < vw; c++) {
        let s = 0;
        for (let k = 0; k <= 2 * RADIUS; k++) s += WINDOW[k] * plane[(r + k) * vw + c];
        out[r * vw + c] = s;
      }
    return out;
  });
}

function planeSsim(x: Float64Array, y: Float64Array, w: number, h: number): number {
  const [ux, uy, uxx, uyy, uxy] = localMoments(x, y, w, h);
  let sum = 0;
  for (let i = 0; i < ux.length; i++) {
    const vx = uxx[i] - ux[i] * ux[i];
    const vy = uyy[i] - uy[i] * uy[i];
    const vxy = uxy[i] - ux[i] * uy[i];
    sum += ((2 * ux[i] * uy[i] + C1) * (2 * vxy + C2)) / ((ux[i] * ux[i] + uy[i] * uy[i] + C1) * (vx + vy + C2));
  }
  return sum / ux.length;
}

/**
 * SSIM of `test` against `reference` (Wang et al., 2004), as
 * `skimage.metrics.structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
 * use_sample_covariance=False, data_range=255)` computes it (with `channel_axis=-1` for RGB):
 * local statistics under an 11×11 Gaussian window of σ = 1.5 (scipy's kernel: radius 5, weights
 * normalised to sum 1), K1 = 0.01, K2 = 0.03, and the SSIM map averaged over the pixels at least
 * 5 from every edge (where the window lies inside the image, so no border rule enters). Channels
 * are scored apart and averaged. `E_INPUT` when the shapes differ
 * or either side is under 11 pixels.
 */
export function ssim(reference: Image, test: Image, options?: ImageMetricOptions): number {
  const [a, b] = imagePlanes(reference, test, options, 'SSIM');
  const { width, height } = reference;
  if (width < 2 * RADIUS + 1 || height < 2 * RADIUS + 1)
    throw new InputError(`SSIM needs images of at least ${2 * RADIUS + 1}×${2 * RADIUS + 1} pixels (its window), got ${width}×${height}`);
  let sum = 0;
  for (let p = 0; p < a.length; p++) sum += planeSsim(a[p], b[p], width, height);
  return sum / a.length;
}
