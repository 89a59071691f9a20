import { addGaussianNoise, addRain, degrade } from '../lib/image/degrade';
import type { Image } from '../lib/image/image';

const gray = (width: number, height: number, level: number, channels: 1 | 3 = 3): Image => ({
  data: new Uint8Array(width * height * channels).fill(level),
  width,
  height,
  channels,
});

function stats(a: Image, b: Image): { mean: number; std: number } {
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = b.data[i] - a.data[i];
    sum += d;
    sq += d * d;
  }
  const mean = sum / a.data.length;
  return { mean, std: Math.sqrt(sq / a.data.length - mean * mean) };
}

/** Mean product of the rain layer (brightening) at neighbours (dx, dy). */
function neighbourCorrelation(clean: Image, rainy: Image, dx: number, dy: number): number {
  const { width, height } = clean;
  const at = (x: number, y: number) => rainy.data[(y * width + x) * 3] - clean.data[(y * width + x) * 3];
  let s = 0;
  for (let y = 0; y + dy < height; y++) for (let x = 0; x + dx < width; x++) s += at(x, y) * at(x + dx, y + dy);
  return s;
}

test('Gaussian noise: seeded, standard deviation σ in 8-bit levels, zero mean, input untouched', () => {
  const clean = gray(256, 128, 128);
  for (const sigma of [5, 25, 50]) {
    const noisy = addGaussianNoise(clean, sigma, 1);
    const { mean, std } = stats(clean, noisy);
    expect(Math.abs(mean)).toBeLessThan(0.05 * sigma);
    expect(Math.abs(std / sigma - 1)).toBeLessThan(0.02); // rounding adds 1/12 to the variance: negligible
  }
  expect(addGaussianNoise(clean, 25, 7).data).toEqual(addGaussianNoise(clean, 25, 7).data);
  expect(addGaussianNoise(clean, 25, 7).data).not.toEqual(addGaussianNoise(clean, 25, 8).data);
  expect(addGaussianNoise(clean, 0, 7).data).toEqual(clean.data);
  expect(clean.data.every((v) => v === 128)).toBe(true);
  // Near black the noise is clipped at 0.
  expect(Math.min(...addGaussianNoise(gray(16, 16, 3, 1), 25, 1).data)).toBe(0);
});

test('rain: seeded, only brightens, slanted as asked, density scales the wet area', () => {
  const clean = gray(160, 160, 60);
  const rainy = addRain(clean, { seed: 3 });
  expect(rainy.data).toEqual(addRain(clean, { seed: 3 }).data);
  expect(rainy.data).not.toEqual(addRain(clean, { seed: 4 }).data);
  expect(rainy.data.every((v, i) => v >= clean.data[i])).toBe(true);
  const wet = (im: Image) => im.data.filter((v) => v > 60).length / im.data.length;
  expect(wet(rainy)).toBeGreaterThan(0.02);
  expect(wet(rainy)).toBeLessThan(0.5);
  expect(wet(addRain(clean, { seed: 3, density: 75 }))).toBeGreaterThan(2 * wet(rainy));
  expect(addRain(clean, { seed: 3, density: 0 }).data).toEqual(clean.data);
  // Vertical streaks correlate along columns; nearly horizontal ones along rows.
  const vertical = addRain(clean, { seed: 5, angle: 0, width: [1, 1] });
  expect(neighbourCorrelation(clean, vertical, 0, 1)).toBeGreaterThan(3 * neighbourCorrelation(clean, vertical, 1, 0));
  const flat = addRain(clean, { seed: 5, angle: 80, width: [1, 1] });
  expect(neighbourCorrelation(clean, flat, 1, 0)).toBeGreaterThan(3 * neighbourCorrelation(clean, flat, 0, 1));
  // Gray stays gray, white stays white.
  expect(addRain(gray(30, 30, 255, 1), { seed: 1 }).data.every((v) => v === 255)).toBe(true);
});

test('degradation options are checked', () => {
  const im = gray(8, 8, 10);
  expect(() => addGaussianNoise(im, -1)).toThrow(expect.objectContaining({ code: 'E_INPUT' }));
  expect(() => addGaussianNoise(im, 25, -3)).toThrow(expect.objectContaining({ code: 'E_INPUT' }));
  expect(() => addRain(im, { length: [40, 10] })).toThrow(
    expect.objectContaining({ code: 'E_INPUT', message: expect.stringMatching(/low <= high/) }),
  );
  expect(() => addRain(im, { densty: 3 } as object)).toThrow(
    expect.objectContaining({ code: 'E_INPUT', message: expect.stringMatching(/densty/) }),
  );
  expect(() => degrade(im, { kind: 'snow' } as never, 0)).toThrow(expect.objectContaining({ code: 'E_INPUT' }));
  expect(degrade(im, { kind: 'noise', sigma: 10 }, 2).data).toEqual(addGaussianNoise(im, 10, 2).data);
  expect(degrade(im, { kind: 'rain', density: 100 }, 2).data).toEqual(addRain(im, { density: 100, seed: 2 }).data);
});
