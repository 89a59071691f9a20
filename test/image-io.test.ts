import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import sharp from 'sharp';

import { sideBySide } from '../lib/image/compose';
import { floatToImage, type Image, imageToFloat, withChannels } from '../lib/image/image';
import { encodeImage, readImage, writeImage } from '../lib/image/io';
import { psnr } from '../lib/metrics/psnr';
import { randomImage } from './fixtures/images';
import { encodePng } from './fixtures/png';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-image-io-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A smooth image (JPEG keeps it well, unlike noise). */
function gradient(width: number, height: number, channels: 1 | 3): Image {
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) for (let c = 0; c < channels; c++) data[(y * width + x) * channels + c] = 40 + 3 * x + 2 * y + 30 * c; // no wrap-around edges
  return { data, width, height, channels };
}

const asArray = (im: Image) => ({ ...im, data: Array.from(im.data) });

test.each([
  ['png', 3],
  ['png', 1],
  ['webp', 3],
  ['webp', 1],
] as const)('%s round trip is exact (%d channels), odd sizes and 1×1 included', async (format, channels) => {
  for (const [w, h] of [
    [1, 1],
    [2, 1],
    [3, 7],
    [17, 5],
    [64, 48],
  ]) {
    const image = randomImage(w, h, channels, w * h);
    const file = path.join(tmp, `rt-${w}x${h}-${channels}.${format}`);
    await writeImage(file, image);
    // WebP has no gray mode: gray comes back as three equal channels.
    const expected = format === 'webp' ? withChannels(image, 3) : image;
    expect(asArray(await readImage(file))).toEqual(asArray(expected));
  }
});

test('JPEG round trip stays close and keeps gray gray; odd sizes and 1×1 decode', async () => {
  for (const channels of [3, 1] as const) {
    const image = gradient(33, 21, channels);
    const file = path.join(tmp, `rt-${channels}.jpg`);
    await writeImage(file, image);
    const back = await readImage(file);
    expect([back.width, back.height, back.channels]).toEqual([33, 21, channels]);
    expect(psnr(image, back)).toBeGreaterThan(35);
  }
  const one = await readImage(await encodeImage({ data: Uint8Array.of(10, 200, 90), width: 1, height: 1, channels: 3 }, 'jpeg'));
  expect([one.width, one.height, one.channels]).toEqual([1, 1, 3]);
  expect(Math.abs(one.data[1] - 200)).toBeLessThan(8);
});

test('alpha is composited over white and dropped, at 8 and 16 bits, RGB and gray', async () => {
  // Pixels: opaque, half transparent (alpha 128 of 255), fully transparent.
  const rgba = await readImage(encodePng([200, 0, 100, 255, 0, 255, 0, 128, 10, 20, 30, 0], 3, 1, 4, 8));
  expect(asArray(rgba)).toEqual({ data: [200, 0, 100, 127, 255, 127, 255, 255, 255], width: 3, height: 1, channels: 3 });
  const grayAlpha = await readImage(encodePng([100, 255, 100, 128, 100, 0], 3, 1, 2, 8));
  expect(asArray(grayAlpha)).toEqual({ data: [100, 177, 255], width: 3, height: 1, channels: 1 });
  // 16-bit: (v·a + 65535·(65535 − a)) / 65535, then the nearest 8-bit level.
  const rgba16 = await readImage(encodePng([0, 0, 0, 0, 33024, 1000, 40000, 65535, 33024, 1000, 40000, 32768], 3, 1, 4, 16));
  expect(Array.from(rgba16.data)).toEqual([255, 255, 255, 128, 4, 156, 192, 129, 205]);
});

test('16-bit PNGs are reduced to the nearest 8-bit level, gray kept gray', async () => {
  const samples = [0, 65535, 33024, 33025, 128, 129, 1000, 12345, 40000, 300, 65407, 65408];
  const expected = samples.map((v) => Math.round(v / 257));
  const gray = await readImage(encodePng(samples, 4, 3, 1, 16));
  expect(asArray(gray)).toEqual({ data: expected, width: 4, height: 3, channels: 1 });
  const rgb = await readImage(encodePng(samples, 2, 2, 3, 16));
  expect(asArray(rgb)).toEqual({ data: expected, width: 2, height: 2, channels: 3 });
});

test('EXIF orientation is applied', async () => {
  const tall = gradient(2, 3, 3);
  const jpeg = await sharp(Buffer.from(tall.data), { raw: { width: 2, height: 3, channels: 3 } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .toBuffer();
  const upright = await readImage(jpeg);
  expect([upright.width, upright.height]).toEqual([3, 2]);
});

test('unreadable, truncated and non-image files reject with E_IO', async () => {
  const png = await encodeImage(randomImage(64, 64, 3, 1), 'png');
  const jpeg = await encodeImage(gradient(64, 64, 3), 'jpeg');
  const cases: [string, string | Buffer, RegExp][] = [
    ['missing file', path.join(tmp, 'nope.png'), /cannot read '.*nope\.png'.*ENOENT/],
    ['a folder', tmp, /cannot read/],
    ['text file', Buffer.from('hello, not an image\n'), /not a readable image/],
    ['empty buffer', Buffer.alloc(0), /empty/],
    ['PNG cut in half', png.subarray(0, png.length >> 1), /cannot decode|not a readable image/],
    ['JPEG cut in half', jpeg.subarray(0, jpeg.length >> 1), /cannot decode|not a readable image/],
    ['PNG header only', png.subarray(0, 40), /cannot decode|not a readable image/],
    ['scikit-image truncated.jpg', '/usr/lib/python3/dist-packages/skimage/data/truncated.jpg', /cannot decode|not a readable image/],
  ];
  for (const [name, input, message] of cases)
    await expect(readImage(input).then(() => name)).rejects.toMatchObject({ code: 'E_IO', message: expect.stringMatching(message) });
});

test('too many pixels, other formats and bad arguments reject with E_INPUT', async () => {
  // A PNG whose header claims 30000×30000 pixels: refused from the header, nothing decoded.
  const huge = Buffer.from(encodePng([0], 1, 1, 1, 8));
  huge.writeUInt32BE(30000, 16);
  huge.writeUInt32BE(30000, 20);
  huge.writeUInt32BE(zlib.crc32(huge.subarray(12, 29)) >>> 0, 29);
  await expect(readImage(huge)).rejects.toMatchObject({
    code: 'E_INPUT',
    message: expect.stringMatching(/900000000 pixels, more than the limit of 67108864/),
  });
  const small = await encodeImage(randomImage(100, 100, 3, 2), 'png');
  await expect(readImage(small, { maxPixels: 9999 })).rejects.toMatchObject({
    code: 'E_INPUT',
    message: expect.stringMatching(/maxPixels/),
  });
  expect((await readImage(small, { maxPixels: 10000 })).width).toBe(100);
  const gif = await sharp(Buffer.alloc(12), { raw: { width: 2, height: 2, channels: 3 } })
    .gif()
    .toBuffer();
  await expect(readImage(gif)).rejects.toMatchObject({
    code: 'E_INPUT',
    message: expect.stringMatching(/gif; PNG, JPEG or WebP expected/),
  });
  await expect(readImage(42 as unknown as string)).rejects.toMatchObject({ code: 'E_INPUT' });
  await expect(readImage(small, { maxPixel: 5 } as object)).rejects.toMatchObject({
    code: 'E_INPUT',
    message: expect.stringMatching(/unknown option 'maxPixel'/),
  });
});

test('writeImage picks the format from the extension and checks its arguments', async () => {
  const image = gradient(9, 5, 3);
  for (const [name, format] of [
    ['a.PNG', 'png'],
    ['a.jpeg', 'jpeg'],
    ['a.jpg', 'jpeg'],
    ['a.webp', 'webp'],
  ]) {
    await writeImage(path.join(tmp, name), image);
    expect((await sharp(path.join(tmp, name)).metadata()).format).toBe(format);
  }
  await expect(writeImage(path.join(tmp, 'a.bmp'), image)).rejects.toMatchObject({
    code: 'E_INPUT',
    message: expect.stringMatching(/\.png, \.jpg/),
  });
  await expect(writeImage(path.join(tmp, 'no/such/dir/a.png'), image)).rejects.toMatchObject({ code: 'E_IO' });
  await expect(writeImage(path.join(tmp, 'b.png'), { ...image, data: image.data.subarray(3) })).rejects.toMatchObject({
    code: 'E_INPUT',
    message: expect.stringMatching(/132 bytes; 9×5×3 = 135 expected/),
  });
  await expect(writeImage(path.join(tmp, 'b.png'), { ...image, channels: 4 as 3 })).rejects.toMatchObject({ code: 'E_INPUT' });
  await expect(writeImage(path.join(tmp, 'b.jpg'), image, { quality: 0 })).rejects.toMatchObject({ code: 'E_INPUT' });
  expect(fs.readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
});

test('float layout: [C, H, W] in [0, 1], and back exactly', () => {
  const image: Image = { data: Uint8Array.of(0, 255, 128, 10, 20, 30), width: 2, height: 1, channels: 3 };
  const values = imageToFloat(image);
  expect(Array.from(values)).toEqual([0, 10 / 255, 1, 20 / 255, 128 / 255, 30 / 255].map(Math.fround));
  expect(asArray(floatToImage(values, 2, 1, 3))).toEqual(asArray(image));
  const levels: Image = { data: Uint8Array.from({ length: 256 }, (_, i) => i), width: 256, height: 1, channels: 1 };
  expect(floatToImage(imageToFloat(levels), 256, 1, 1).data).toEqual(levels.data);
  expect(Array.from(floatToImage(Float32Array.of(-3, 2, 0.5), 3, 1, 1).data)).toEqual([0, 255, 128]);
  expect(() => floatToImage(Float32Array.of(Number.NaN), 1, 1, 1)).toThrow(expect.objectContaining({ code: 'E_INPUT' }));
  expect(() => floatToImage(new Float32Array(5), 2, 1, 3)).toThrow(expect.objectContaining({ code: 'E_INPUT' }));
});

test('sideBySide lays images left to right, top-aligned, gray promoted to RGB', () => {
  const a: Image = { data: Uint8Array.of(1, 2, 3, 4, 5, 6), width: 1, height: 2, channels: 3 };
  const b: Image = { data: Uint8Array.of(9), width: 1, height: 1, channels: 1 };
  const out = sideBySide([a, b], { gap: 1, background: 0 });
  expect(asArray(out)).toEqual({ data: [1, 2, 3, 0, 0, 0, 9, 9, 9, 4, 5, 6, 0, 0, 0, 0, 0, 0], width: 3, height: 2, channels: 3 });
  expect(sideBySide([b, b]).channels).toBe(1);
  expect(() => sideBySide([])).toThrow(expect.objectContaining({ code: 'E_INPUT' }));
});
