/**
 * Speech-like test signals made from nothing but arithmetic: a voiced source with a wandering
 * pitch shaped by three vowel formants, in syllables separated by silences, and seeded noise.
 * They let tests and benchmarks run on a fresh machine without any recordings.
 */
import { Random } from '../random';

const VOWELS: [number, number, number][] = [
  [730, 1090, 2440],
  [270, 2290, 3010],
  [300, 870, 2240],
  [530, 1840, 2480],
  [570, 840, 2410],
];

/** Options of {@link synthVoice}. */
export interface VoiceOptions {
  seconds: number;
  sampleRate: number;
  /** Mean pitch in Hz (default 120). */
  f0?: number;
  seed?: number;
}

/** A voiced, speech-like signal with peak ≈ 0.5. */
export function synthVoice({ seconds, sampleRate, f0 = 120, seed = 1 }: VoiceOptions): Float32Array {
  const r = new Random(seed);
  const n = Math.round(seconds * sampleRate);
  const out = new Float32Array(n);
  const syllable = 0.25 + 0.1 * r.next();
  let phase = 0;
  let vowel = VOWELS[r.int(VOWELS.length)];
  let amp = 0.6;
  let voiced = true;
  let lastSyllable = -1;
  let peak = 0;
  for (let i = 0; i < n; i++) {
    const t = i / sampleRate;
    const k = Math.floor(t / syllable);
    if (k !== lastSyllable) {
      lastSyllable = k;
      vowel = VOWELS[r.int(VOWELS.length)];
      amp = 0.5 + 0.5 * r.next();
      voiced = r.next() > 0.2; // one syllable in five is a pause
    }
    const pitch = f0 * (1 + 0.1 * Math.sin(2 * Math.PI * 0.8 * t));
    phase += pitch / sampleRate;
    if (!voiced) continue;
    const tau = t - k * syllable;
    const env = amp * Math.sin((Math.PI * tau) / syllable) ** 2;
    let v = 0;
    for (let h = 1; h * pitch < sampleRate / 2 && h <= 40; h++) {
      const f = h * pitch;
      const gain = vowel.reduce((g, formant, j) => g + [1, 0.5, 0.3][j] / (1 + ((f - formant) / (100 + 30 * j)) ** 2), 0);
      v += gain * Math.sin(2 * Math.PI * h * phase);
    }
    out[i] = env * v;
    peak = Math.max(peak, Math.abs(out[i]));
  }
  if (peak > 0) for (let i = 0; i < n; i++) out[i] *= 0.5 / peak;
  return out;
}

/** Adds seeded white noise at `snrDb` relative to the signal's power. */
export function addNoise(clean: Float32Array, snrDb: number, seed = 1): Float32Array {
  const r = new Random(seed);
  const noise = Float32Array.from(clean, () => r.next() + r.next() + r.next() - 1.5);
  const power = (x: Float32Array) => x.reduce((s, v) => s + v * v, 0);
  const k = Math.sqrt(power(clean) / (power(noise) * 10 ** (snrDb / 10)));
  return Float32Array.from(clean, (v, i) => v + k * noise[i]);
}
