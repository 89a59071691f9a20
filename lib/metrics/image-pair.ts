/**
 * What the image metrics compare: two images of equal size, as float64 planes of RGB samples or
 * of luma (Y).
 */
import { InputError } from '../errors';
import { checkImage, type Image } from '../image/image';
import { checkKeys } from '../validate';

/** Options of the image metrics. */
export interface ImageMetricOptions {
  /**
   * `'rgb'` (default) compares every channel; `'y'` compares luma only, as the image
   * restoration literature reports it: Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255 with
   * R, G, B in 0–255 (ITU-R BT.601 studio range, 16–235, not rounded; what
   * `skimage.color.rgb2ycbcr` gives), scored with a data range of 255. A gray image's Y is its
   * gray level unchanged.
   */
  channel?: 'rgb' | 'y';
}

/** The planes of `image` to compare: one per channel, or the single luma plane. */
function planes(image: Image, channel: 'rgb' | 'y'): Float64Array[] {
  const { data, width, height, channels } = image;
  const n = width * height;
  if (channel === 'y' && channels === 3) {
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) y[i] = 16 + (65.481 * data[3 * i] + 128.553 * data[3 * i + 1] + 24.966 * data[3 * i + 2]) / 255;
    return [y];
  }
  return Array.from({ length: channels }, (_, c) => Float64Array.from({ length: n }, (_, i) => data[i * channels + c]));
}

/** Checks both images and the options; returns their planes, paired. */
export function imagePlanes(
  reference: Image,
  test: Image,
  options: ImageMetricOptions | undefined,
  metric: string,
): [Float64Array[], Float64Array[]] {
  checkImage(reference, `${metric}: reference`);
  checkImage(test, `${metric}: test image`);
  checkKeys(options, ['channel'], `${metric} options`);
  const channel = options?.channel ?? 'rgb';
  if (channel !== 'rgb' && channel !== 'y') throw new InputError(`${metric}: channel must be 'rgb' or 'y', got ${String(channel)}`);
  if (reference.width !== test.width || reference.height !== test.height || reference.channels !== test.channels)
    throw new InputError(
      `${metric}: the images differ in shape (${reference.width}×${reference.height}×${reference.channels} and ${test.width}×${test.height}×${test.channels})`,
    );
  return [planes(reference, channel), planes(test, channel)];
}
