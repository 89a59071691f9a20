/**
 * Synthetic degradations of clean images, reproducible from a seed: additive Gaussian noise and
 * rain streaks. Each returns a new image and leaves its input untouched.
 */
import { InputError } from '../errors';
import { Random } from '../random';
import { checkInt, checkKeys, checkNumber } from '../validate';
import { checkImage, type Image } from './image';

/** A standard normal draw (Box–Muller; 1 − u keeps the logarithm finite). */
function gaussian(random: Random): number {
  return Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
}

/**
 * `image` plus independent Gaussian noise of standard deviation `sigma` (in 8-bit levels,
 * 0–255: σ = 25 is the usual "noisy" benchmark) on every sample, rounded and clipped to [0, 255].
 * Clipping makes the noise slightly weaker than σ near black and white.
 */
export function addGaussianNoise(image: Image, sigma: number, seed = 0): Image {
  const { data, width, height, channels } = checkImage(image);
  checkNumber(sigma, 'sigma', 0, 255);
  checkInt(seed, 'seed', 0, 0xffffffff);
  const random = new Random(seed);
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Math.min(255, Math.max(0, Math.round(data[i] + sigma * gaussian(random))));
  return { data: out, width, height, channels };
}

/** A closed range [low, high] drawn from uniformly. */
export type Range = readonly [number, number];

/** Options of {@link addRain}; lengths and widths are in pixels, so a patch gets the rain of the whole photo. */
export interface RainOptions {
  /** Seed of every random choice (default 0). */
  seed?: number;
  /** Streaks per 10,000 pixels (default 25: about 655 streaks on 512×512). */
  density?: number;
  /** Slant from vertical in degrees, shared by all streaks (each varies by ±3°); default: drawn in [−25, 25]. */
  angle?: number;
  /** Streak lengths (default [10, 40]). */
  length?: Range;
  /** Streak widths (default [1, 2]). */
  width?: Range;
  /** Streak opacities, 0–1: how far a streak lifts a pixel towards white (default [0.3, 0.8]). */
  opacity?: Range;
}

function checkRange(value: Range | undefined, name: string, min: number, max: number, fallback: Range): Range {
  if (value === undefined) return fallback;
  if (!Array.isArray(value) || value.length !== 2) throw new InputError(`${name} must be [low, high]`);
  const [lo, hi] = value.map((v, i) => checkNumber(v, `${name}[${i}]`, min, max));
  if (lo > hi) throw new InputError(`${name} must be [low, high] with low <= high, got [${lo}, ${hi}]`);
  return [lo, hi];
}

const between = (random: Random, [lo, hi]: Range) => lo + (hi - lo) * random.next();

/**
 * Draws one streak into `layer` (per-pixel opacity, combined as 1 − (1 − a)(1 − b)): a segment
 * from `(x0, y0)` along `(dx, dy)` over `length` pixels, antialiased across its width and
 * tapered towards both ends.
 */
function drawStreak(
  layer: Float32Array,
  w: number,
  h: number,
  x0: number,
  y0: number,
  dx: number,
  dy: number,
  s: { length: number; width: number; opacity: number },
) {
  const half = s.width / 2;
  const x1 = x0 + dx * s.length;
  const y1 = y0 + dy * s.length;
  const left = Math.max(0, Math.floor(Math.min(x0, x1) - half - 1));
  const right = Math.min(w - 1, Math.ceil(Math.max(x0, x1) + half + 1));
  const top = Math.max(0, Math.floor(Math.min(y0, y1) - half - 1));
  const bottom = Math.min(h - 1, Math.ceil(Math.max(y0, y1) + half + 1));
  for (let y = top; y <= bottom; y++)
    for (let x = left; x <= right; x++) {
      const px = x + 0.5 - x0;
      const py = y + 0.5 - y0;
      const along = Math.min(s.length, Math.max(0, px * dx + py * dy));
      const across = Math.hypot(px - along * dx, py - along * dy);
      const cover = Math.min(1, Math.max(0, half + 0.5 - across));
      if (cover === 0) continue;
      const taper = 1 - ((2 * along) / s.length - 1) ** 2;
      const a = s.opacity * cover * taper;
      layer[y * w + x] = 1 - (1 - layer[y * w + x]) * (1 - a);
    }
}

/**
 * `image` with synthetic rain: thin, slanted, bright streaks of random position, length, width and
 * opacity, screened over the picture (a pixel v under opacity a becomes v + (255 − v)·a).
 */
export function addRain(image: Image, options?: RainOptions): Image {
  const { data, width, height, channels } = checkImage(image);
  checkKeys(options, ['seed', 'density', 'angle', 'length', 'width', 'opacity'], 'rain options');
  const seed = checkInt(options?.seed, 'seed', 0, 0xffffffff, 0);
  const density = checkNumber(options?.density, 'density', 0, 1000, 25);
  const lengths = checkRange(options?.length, 'length', 1, 4096, [10, 40]);
  const widths = checkRange(options?.width, 'width', 0.1, 64, [1, 2]);
  const opacities = checkRange(options?.opacity, 'opacity', 0, 1, [0.3, 0.8]);
  const random = new Random(seed);
  const angle = options?.angle === undefined ? between(random, [-25, 25]) : checkNumber(options.angle, 'angle', -89, 89);
  const layer = new Float32Array(width * height);
  const count = Math.round((density * width * height) / 10000);
  for (let k = 0; k < count; k++) {
    const theta = ((angle + between(random, [-3, 3])) * Math.PI) / 180;
    const streak = { length: between(random, lengths), width: between(random, widths), opacity: between(random, opacities) };
    const dx = Math.sin(theta);
    const dy = Math.cos(theta);
    // Centres may lie up to half a streak outside the image, so the edges get rain as well.
    const cx = between(random, [-streak.length / 2, width + streak.length / 2]);
    const cy = between(random, [-streak.length / 2, height + streak.length / 2]);
    drawStreak(layer, width, height, cx - (dx * streak.length) / 2, cy - (dy * streak.length) / 2, dx, dy, streak);
  }
  const out = new Uint8Array(data.length);
  for (let i = 0; i < width * height; i++)
    for (let c = 0; c < channels; c++) {
      const v = data[i * channels + c];
      out[i * channels + c] = Math.round(v + (255 - v) * layer[i]);
    }
  return { data: out, width, height, channels };
}

/** A degradation applied on the fly to clean images: Gaussian noise of σ (0–255 units), or rain. */
export type Degradation =
  | {
      /** Additive Gaussian noise. */
      kind: 'noise';
      /** Standard deviation in 8-bit levels (0–255 units). */
      sigma: number;
    }
  | ({
      /** Synthetic rain streaks, shaped by the other {@link RainOptions} fields. */
      kind: 'rain';
    } & Omit<RainOptions, 'seed'>);

/** Applies `degradation` to `image` with `seed`. */
export function degrade(image: Image, degradation: Degradation, seed: number): Image {
  if (degradation?.kind === 'noise') return addGaussianNoise(image, degradation.sigma, seed);
  if (degradation?.kind === 'rain') {
    const { kind: _, ...rain } = degradation;
    return addRain(image, { ...rain, seed });
  }
  throw new InputError(`degradation must be {kind: 'noise', sigma} or {kind: 'rain', ...}, got ${JSON.stringify(degradation)}`);
}

/** Checks a {@link Degradation} up front (so a bad one fails before training starts). */
export function checkDegradation(degradation: unknown): Degradation {
  const d = degradation as Degradation;
  if (d?.kind === 'noise') checkKeys(d, ['kind', 'sigma'], 'noise degradation');
  degrade({ data: new Uint8Array(3), width: 1, height: 1, channels: 3 }, d, 0);
  return d;
}
