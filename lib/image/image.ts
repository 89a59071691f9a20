/**
 * The in-memory image of the API and its conversions to and from the model's float layout.
 */
import { InputError } from '../errors';

/**
 * An 8-bit image: `data` holds `height` rows of `width` pixels, each pixel `channels` bytes
 * (interleaved, row-major, HWC: `data[(y * width + x) * channels + c]`). `channels` is 1 (gray)
 * or 3 (sRGB); there is no alpha channel (see `readImage`).
 */
export interface Image {
  /** `width × height × channels` bytes, interleaved and row-major. */
  data: Uint8Array;
  /** Columns in pixels. */
  width: number;
  /** Rows in pixels. */
  height: number;
  /** 1 for gray, 3 for RGB. */
  channels: 1 | 3;
}

/** Checks the shape and type of an {@link Image}; `name` prefixes the message. */
export function checkImage(image: unknown, name = 'image'): Image {
  const im = image as Partial<Image> | null;
  if (!im || typeof im !== 'object') throw new InputError(`${name} must be {data: Uint8Array, width, height, channels: 1 | 3}`);
  if (!(im.data instanceof Uint8Array)) throw new InputError(`${name}.data must be a Uint8Array`);
  for (const key of ['width', 'height'] as const) {
    const v = im[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
      throw new InputError(`${name}.${key} must be a positive integer, got ${String(v)}`);
  }
  if (im.channels !== 1 && im.channels !== 3) throw new InputError(`${name}.channels must be 1 or 3, got ${String(im.channels)}`);
  const expected = im.width! * im.height! * im.channels;
  if (im.data.length !== expected)
    throw new InputError(`${name}.data has ${im.data.length} bytes; ${im.width}×${im.height}×${im.channels} = ${expected} expected`);
  return im as Image;
}

/**
 * The image as the model takes it: a Float32Array laid out [C, H, W] (planar, channel after
 * channel), each byte v mapped to v / 255, so 0 → 0 and 255 → 1: the range the native image
 * models take and return (they work in [−1, 1] inside).
 */
export function imageToFloat(image: Image): Float32Array {
  const { data, width, height, channels } = checkImage(image);
  const plane = width * height;
  const out = new Float32Array(plane * channels);
  for (let c = 0; c < channels; c++) for (let i = 0; i < plane; i++) out[c * plane + i] = data[i * channels + c] / 255;
  return out;
}

/**
 * The inverse of {@link imageToFloat}: [C, H, W] floats in [0, 1] back to an 8-bit image,
 * round(x · 255) clipped to [0, 255] (values outside [0, 1] saturate; NaN is refused).
 */
export function floatToImage(values: Float32Array, width: number, height: number, channels: 1 | 3): Image {
  if (!(values instanceof Float32Array)) throw new InputError('values must be a Float32Array laid out [C, H, W]');
  const plane = width * height;
  if (values.length !== plane * channels)
    throw new InputError(`values has ${values.length} elements; ${channels}×${height}×${width} = ${plane * channels} expected`);
  const data = new Uint8Array(plane * channels);
  for (let c = 0; c < channels; c++)
    for (let i = 0; i < plane; i++) {
      const v = values[c * plane + i];
      if (Number.isNaN(v)) throw new InputError(`values has NaN at index ${c * plane + i}`);
      data[i * channels + c] = Math.min(255, Math.max(0, Math.round(v * 255)));
    }
  return checkImage({ data, width, height, channels });
}

/**
 * The image with `channels` channels: gray is repeated into R, G and B; RGB becomes gray by
 * BT.601 luma (0.299 R + 0.587 G + 0.114 B, rounded). The same image is returned when it already fits.
 */
export function withChannels(image: Image, channels: 1 | 3): Image {
  if (image.channels === channels) return image;
  const n = image.width * image.height;
  const data = new Uint8Array(n * channels);
  const src = image.data;
  if (channels === 3) for (let i = 0; i < n; i++) data[3 * i] = data[3 * i + 1] = data[3 * i + 2] = src[i];
  else for (let i = 0; i < n; i++) data[i] = Math.round(0.299 * src[3 * i] + 0.587 * src[3 * i + 1] + 0.114 * src[3 * i + 2]);
  return { data, width: image.width, height: image.height, channels };
}

/**
 * A `size`×`size` window of `image` whose top-left corner is (`left`, `top`); positions outside
 * the image take the nearest edge pixel, so images smaller than the window are padded by
 * replication.
 */
export function cropImage(image: Image, left: number, top: number, size: number): Image {
  const { width, height, channels } = image;
  const data = new Uint8Array(size * size * channels);
  for (let y = 0; y < size; y++) {
    const sy = Math.min(height - 1, Math.max(0, top + y));
    for (let x = 0; x < size; x++) {
      const sx = Math.min(width - 1, Math.max(0, left + x));
      for (let c = 0; c < channels; c++) data[(y * size + x) * channels + c] = image.data[(sy * width + sx) * channels + c];
    }
  }
  return { data, width: size, height: size, channels };
}
