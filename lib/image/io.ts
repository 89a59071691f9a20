/**
 * Reading and writing PNG, JPEG and WebP files through sharp (libvips), with the errors of the API.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp, { type Metadata } from 'sharp';

import { listFiles } from '../audio/files';
import { InputError, IoError } from '../errors';
import { checkInt, checkKeys } from '../validate';
import { writeFileAtomic } from '../write-atomic';
import { checkImage, type Image } from './image';

/** The formats read and written. */
export type ImageFormat = 'png' | 'jpeg' | 'webp';

/** The file extensions of images, lower case, as {@link writeImage} maps them to formats. */
export const imageExtensions: Readonly<Record<string, ImageFormat>> = { '.png': 'png', '.jpg': 'jpeg', '.jpeg': 'jpeg', '.webp': 'webp' };

/** The PNG, JPEG and WebP files below `dir` (recursively, by extension), sorted, as paths. */
export function listImageFiles(dir: string): string[] {
  return listFiles(dir, Object.keys(imageExtensions));
}

/** Default of {@link ReadImageOptions.maxPixels}: 64 megapixels (a 3-channel image of that size is 192 MB). */
export const DEFAULT_MAX_PIXELS = 64 * 1024 * 1024;

/** Options of {@link readImage}. */
export interface ReadImageOptions {
  /**
   * Largest width × height accepted (default {@link DEFAULT_MAX_PIXELS}); checked from the
   * header, before any pixel is decoded, so a small file claiming a huge image costs nothing.
   */
  maxPixels?: number;
}

/** Options of {@link writeImage} and {@link encodeImage}. */
export interface WriteImageOptions {
  /**
   * JPEG and WebP quality, 1–100. JPEG defaults to 95; WebP without a quality is written
   * lossless (so restored images can be scored without coding loss). PNG ignores it.
   */
  quality?: number;
}

function describe(input: string | Uint8Array): string {
  return typeof input === 'string' ? `'${input}'` : `image buffer (${input.length} bytes)`;
}

/**
 * Decodes a PNG, JPEG or WebP file (a path) or its bytes (a Buffer or Uint8Array) into an
 * 8-bit {@link Image}:
 * - gray stays gray (1 channel); everything else becomes sRGB (3 channels), CMYK and ICC
 *   profiles converted by libvips (WebP has no gray mode, so a gray WebP reads as RGB);
 * - alpha is composited over white and then dropped (a transparent pixel turns white);
 * - 16-bit samples are reduced to the nearest 8-bit level, round(v / 257);
 * - EXIF orientation is applied, so the pixels are upright as a viewer shows them;
 * - animated WebP gives its first frame.
 *
 * Rejects with `E_IO` when the file cannot be read or is not a decodable image (not an image,
 * truncated, corrupt), and with `E_INPUT` for another image format or more than `maxPixels` pixels.
 */
export async function readImage(input: string | Uint8Array, options?: ReadImageOptions): Promise<Image> {
  checkKeys(options, ['maxPixels'], 'readImage options');
  const maxPixels = checkInt(options?.maxPixels, 'maxPixels', 1, Number.MAX_SAFE_INTEGER, DEFAULT_MAX_PIXELS);
  if (typeof input !== 'string' && !(input instanceof Uint8Array))
    throw new InputError(`readImage takes a file path or a Buffer, got ${input === null ? 'null' : typeof input}`);
  const name = describe(input);
  let bytes: Uint8Array;
  try {
    bytes = typeof input === 'string' ? await fs.promises.readFile(input) : input;
  } catch (e) {
    throw new IoError(`cannot read ${name}: ${(e as Error).message}`, { cause: e });
  }
  if (bytes.length === 0) throw new IoError(`${name} is empty, not an image`);
  let meta: Metadata;
  try {
    // The header only: the limit is checked below, with a message that names it.
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (e) {
    throw new IoError(`${name} is not a readable image (PNG, JPEG or WebP expected): ${(e as Error).message}`, { cause: e });
  }
  if (meta.format !== 'png' && meta.format !== 'jpeg' && meta.format !== 'webp')
    throw new InputError(`${name} is ${meta.format ?? 'of an unknown format'}; PNG, JPEG or WebP expected`);
  const { width = 0, height = 0 } = meta;
  if (width * height > maxPixels)
    throw new InputError(`${name} is ${width}×${height} = ${width * height} pixels, more than the limit of ${maxPixels} (maxPixels)`);
  const gray = meta.space === 'b-w' || meta.space === 'grey16';
  // 16-bit images are decoded at 16 bits and rounded here (libvips's own reduction truncates),
  // and alpha is composited here too, at the source's depth, so that white stays 255.
  const deep = meta.depth === 'ushort';
  try {
    // Gray is decoded as RGB too (libvips repeats it exactly; its 'b-w' output would drop alpha).
    const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error' })
      .autoOrient()
      .toColourspace(deep ? 'rgb16' : 'srgb')
      .raw({ depth: deep ? 'ushort' : 'uchar' })
      .toBuffer({ resolveWithObject: true });
    // A copy for 16 bits: a Uint16Array view needs an even byte offset, which a Buffer need not have.
    const samples = deep ? new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length)) : data;
    if (info.channels !== 3 && info.channels !== 4) throw new Error(`decoded to ${info.channels} channels`);
    const colours = gray ? 1 : 3;
    const pixels = to8BitOverWhite(samples, info.channels, colours, deep ? 65535 : 255);
    return checkImage({ data: pixels, width: info.width, height: info.height, channels: colours });
  } catch (e) {
    throw new IoError(`cannot decode ${name}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Interleaved RGB or RGBA samples (`channels` 3 or 4) of full scale `max` to 8-bit pixels of the
 * first `colours` channels (1: R, which is the gray level of a gray source): alpha composited over
 * white, each value the nearest 8-bit level.
 */
function to8BitOverWhite(samples: Uint8Array | Uint16Array, channels: 3 | 4, colours: 1 | 3, max: number): Uint8Array {
  const n = samples.length / channels;
  const out = new Uint8Array(n * colours);
  const hasAlpha = channels === 4;
  const scale = 255 / max;
  for (let i = 0; i < n; i++) {
    const alpha = hasAlpha ? samples[i * channels + 3] : max;
    for (let c = 0; c < colours; c++) {
      const v = samples[i * channels + c];
      out[i * colours + c] = Math.round(((v * alpha + max * (max - alpha)) / max) * scale);
    }
  }
  return out;
}

/** The format {@link writeImage} uses for `file`, from its extension (`.png`, `.jpg`/`.jpeg`, `.webp`). */
export function formatOf(file: string): ImageFormat {
  const format = imageExtensions[path.extname(file).toLowerCase()];
  if (!format) throw new InputError(`cannot tell the image format of '${file}': use .png, .jpg, .jpeg or .webp`);
  return format;
}

/** Encodes an {@link Image} as PNG, JPEG or WebP bytes (gray stays gray, except in WebP, which is always colour). */
export async function encodeImage(image: Image, format: ImageFormat, options?: WriteImageOptions): Promise<Buffer> {
  const { data, width, height, channels } = checkImage(image);
  checkKeys(options, ['quality'], 'image write options');
  const quality = options?.quality === undefined ? undefined : checkInt(options.quality, 'quality', 1, 100);
  let pipeline = sharp(data, { raw: { width, height, channels } });
  if (channels === 1) pipeline = pipeline.toColourspace('b-w');
  if (format === 'png') pipeline = pipeline.png();
  else if (format === 'jpeg') pipeline = pipeline.jpeg({ quality: quality ?? 95 });
  else if (format === 'webp') pipeline = pipeline.webp(quality === undefined ? { lossless: true } : { quality });
  else throw new InputError(`unknown image format '${String(format)}'; png, jpeg or webp expected`);
  return pipeline.toBuffer();
}

/**
 * Writes `image` to `file` in the format its extension names, through a temporary file and a
 * rename, so that a reader never sees a half-written image. `E_IO` when the folder is not writable.
 */
export async function writeImage(file: string, image: Image, options?: WriteImageOptions): Promise<void> {
  await writeFileAtomic(file, await encodeImage(image, formatOf(file), options));
}
