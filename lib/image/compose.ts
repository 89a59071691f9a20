/**
 * Images laid next to each other, for demos and reports (degraded | restored | clean).
 */
import { InputError } from '../errors';
import { checkInt, checkKeys } from '../validate';
import { checkImage, type Image, withChannels } from './image';

/** Options of {@link sideBySide}. */
export interface SideBySideOptions {
  /** Pixels between two images (default 8). */
  gap?: number;
  /** Gray level of the gap and of the space below shorter images, 0–255 (default 255, white). */
  background?: number;
}

/**
 * One image holding `images` left to right, top-aligned, `gap` pixels apart. The result is RGB
 * when any input is RGB (gray inputs are repeated into the three channels), else gray.
 */
export function sideBySide(images: readonly Image[], options?: SideBySideOptions): Image {
  checkKeys(options, ['gap', 'background'], 'sideBySide options');
  const gap = checkInt(options?.gap, 'gap', 0, 4096, 8);
  const background = checkInt(options?.background, 'background', 0, 255, 255);
  if (!Array.isArray(images) || images.length === 0) throw new InputError('sideBySide needs a non-empty array of images');
  for (const [i, im] of images.entries()) checkImage(im, `images[${i}]`);
  const channels = images.some((im) => im.channels === 3) ? 3 : 1;
  const width = images.reduce((w, im) => w + im.width, 0) + gap * (images.length - 1);
  const height = Math.max(...images.map((im) => im.height));
  const data = new Uint8Array(width * height * channels).fill(background);
  let left = 0;
  for (const image of images) {
    const im = withChannels(image, channels);
    const rowBytes = im.width * channels;
    for (let y = 0; y < im.height; y++) data.set(im.data.subarray(y * rowBytes, (y + 1) * rowBytes), (y * width + left) * channels);
    left += im.width + gap;
  }
  return { data, width, height, channels };
}
