/**
 * Pictures of the prior's σ for `restoregrad restore --sigma-map`: a heat map for images and the σ
 * envelope over the waveform for speech, both 8-bit RGB {@link Image}s written as PNG with sharp.
 */
import type { Image } from '../image/image';

type Rgb = readonly [number, number, number];

/** viridis (matplotlib's default colour map) at 11 evenly spaced points: perceptually uniform, readable in gray. */
const VIRIDIS: readonly Rgb[] = [
  [0x44, 0x01, 0x54],
  [0x48, 0x25, 0x76],
  [0x41, 0x44, 0x87],
  [0x35, 0x60, 0x8d],
  [0x2a, 0x78, 0x8e],
  [0x21, 0x90, 0x8c],
  [0x22, 0xa8, 0x84],
  [0x43, 0xbf, 0x71],
  [0x7a, 0xd1, 0x51],
  [0xbb, 0xdf, 0x27],
  [0xfd, 0xe7, 0x25],
];

/** Width and height of a picture, in pixels. */
export interface PictureSize {
  width: number;
  height: number;
}

/** Size of the speech picture. */
export const ENVELOPE_SIZE: Readonly<PictureSize> = { width: 1200, height: 300 };

/** The colour a fraction `f` of the way from `a` to `b`. */
function mix(a: Rgb, b: Rgb, f: number): Rgb {
  const at = (c: 0 | 1 | 2) => Math.round(a[c] + f * (b[c] - a[c]));
  return [at(0), at(1), at(2)];
}

const WAVEFORM: Rgb = [160, 160, 160];
const SIGMA_EDGE = VIRIDIS[2];
/** The band between −σ and +σ: the edge colour faded three quarters of the way to white. */
const SIGMA_BAND = mix(SIGMA_EDGE, [255, 255, 255], 0.75);

/** The viridis colour at t in [0, 1] (clamped), interpolated linearly between the table's points. */
export function viridis(t: number): Rgb {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const k = Math.min(Math.floor(x), VIRIDIS.length - 2);
  return mix(VIRIDIS[k], VIRIDIS[k + 1], x - k);
}

/** `values` mapped linearly from their own [min, max] to [0, 1]; a constant map is all 0. */
function normalise(values: Float32Array): Float32Array {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const range = max - min;
  return values.map((v) => (range > 0 ? (v - min) / range : 0));
}

function blankImage(width: number, height: number): Image {
  return { data: new Uint8Array(width * height * 3).fill(255), width, height, channels: 3 };
}

function paint(image: Image, x: number, y: number, colour: Rgb): void {
  image.data.set(colour, (y * image.width + x) * 3);
}

/**
 * A heat map of an image's σ (laid out like its pixels, `channels` values a pixel): the mean over
 * channels, normalised to its own min–max and coloured with viridis, from dark (lowest σ) to yellow
 * (highest). A constant σ, as the standard prior's, is drawn all dark.
 */
export function sigmaHeatMap(sigma: Float32Array, width: number, height: number, channels: number): Image {
  const perPixel = new Float32Array(width * height);
  for (let i = 0; i < perPixel.length; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += sigma[i * channels + c];
    perPixel[i] = sum / channels;
  }
  const image = blankImage(width, height);
  for (const [i, t] of normalise(perPixel).entries()) paint(image, i % width, Math.floor(i / width), viridis(t));
  return image;
}

/** The samples drawn in pixel column `x` of `columns`: at least one, so short signals still fill the width. */
function columnRange(x: number, columns: number, length: number): [number, number] {
  const start = Math.min(length - 1, Math.floor((x * length) / columns));
  return [start, Math.max(start + 1, Math.floor(((x + 1) * length) / columns))];
}

function largestMagnitude(values: Float32Array): number {
  let peak = 0;
  for (const v of values) peak = Math.max(peak, Math.abs(v));
  return peak;
}

/**
 * The speech picture: time on x, the waveform in gray (each column spans its samples' min to max),
 * and the σ envelope as a band from −σ to +σ with coloured edges (each column's mean σ). The
 * waveform and σ are each scaled to their own largest value, so the band shows where σ is large,
 * not how it compares with the signal's level.
 */
export function sigmaEnvelope(samples: Float32Array, sigma: Float32Array, size: PictureSize = ENVELOPE_SIZE): Image {
  const { width, height } = size;
  const image = blankImage(width, height);
  const centre = (height - 1) / 2;
  const half = centre * 0.95;
  const row = (v: number) => Math.round(centre - v * half);
  const peak = largestMagnitude(samples) || 1;
  const sigmaPeak = largestMagnitude(sigma) || 1;
  for (let x = 0; x < width; x++) {
    const [start, end] = columnRange(x, width, samples.length);
    let [low, high, sigmaSum] = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0];
    for (let i = start; i < end; i++) {
      low = Math.min(low, samples[i]);
      high = Math.max(high, samples[i]);
      sigmaSum += sigma[i];
    }
    const band = sigmaSum / (end - start) / sigmaPeak;
    for (let y = row(band); y <= row(-band); y++) paint(image, x, y, SIGMA_BAND);
    for (let y = row(high / peak); y <= row(low / peak); y++) paint(image, x, y, WAVEFORM);
    // Edges two pixels thick, outside the band, so that the waveform does not hide them.
    for (const y of [row(band), row(band) - 1, row(-band), row(-band) + 1]) if (y >= 0 && y < height) paint(image, x, y, SIGMA_EDGE);
  }
  return image;
}
