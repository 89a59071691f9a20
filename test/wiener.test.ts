import { wienerEnhance } from '../lib/audio/wiener';
import { siSdr } from '../lib/metrics';
import { Random } from '../lib/random';

const RATE = 16000;
const gaussian = (n: number, seed: number, sigma: number) => {
  const r = new Random(seed);
  return Float32Array.from({ length: n }, () => sigma * Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next()));
};
// Tones switched on and off every quarter second, like words between pauses.
const bursts = (n: number) =>
  Float32Array.from({ length: n }, (_, i) =>
    Math.floor(i / (RATE / 4)) % 2 === 0
      ? 0.3 * Math.sin((2 * Math.PI * 440 * i) / RATE) + 0.2 * Math.sin((2 * Math.PI * 1230 * i) / RATE)
      : 0,
  );
const power = (x: Float32Array) => x.reduce((s, v) => s + v * v, 0) / x.length;

describe('wienerEnhance', () => {
  test('with a 0 dB gain floor every gain is 1: the STFT and its overlap-add give the signal back', () => {
    for (const n of [1, 100, 257, 4000]) {
      const x = gaussian(n, n, 0.1);
      const y = wienerEnhance(x, { floorDb: 0 });
      expect(y).toHaveLength(n);
      const err = Math.max(...Array.from(y, (v, i) => Math.abs(v - x[i])));
      expect(err).toBeLessThan(1e-6);
    }
  });

  test('noise alone is brought down to about the gain floor', () => {
    const noise = gaussian(3 * RATE, 7, 0.05);
    const ratio = power(wienerEnhance(noise, { floorDb: -15 })) / power(noise);
    // Minimum statistics on stationary noise: nearly every gain sits at the floor (10^-1.5 ≈ 0.032).
    expect(ratio).toBeGreaterThan(10 ** -1.5 * 0.9);
    expect(ratio).toBeLessThan(0.1);
  });

  test('tones in white noise: SI-SDR rises by several dB', () => {
    const clean = bursts(3 * RATE);
    const noise = gaussian(clean.length, 3, 0.1);
    const noisy = clean.map((v, i) => v + noise[i]);
    const before = siSdr(clean, noisy);
    const after = siSdr(clean, wienerEnhance(noisy));
    expect(after - before).toBeGreaterThan(5);
  });
});
