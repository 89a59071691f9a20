/**
 * Corpora on disk as training data: paired folders (`clean/` and `noisy/` with equal file names)
 * and speech mixed with noise on the fly. Files are read when a batch needs them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { listWavFiles, readWav } from '../audio/files';
import { levelGain, measureLevel, scaled } from '../audio/level';
import { InputError } from '../errors';
import type { Random } from '../random';
import type { Dataset, Pair } from './batches';

/** The pairs `DIR/clean/NAME.wav` ↔ `DIR/noisy/NAME.wav` (names relative to each folder). */
export function pairedFolders(dir: string, sampleRate = 16000): Dataset {
  const cleanDir = path.join(dir, 'clean');
  const noisyDir = path.join(dir, 'noisy');
  const names = listWavFiles(cleanDir).map((f) => path.relative(cleanDir, f));
  const missing = names.filter((n) => !fs.existsSync(path.join(noisyDir, n)));
  if (missing.length > 0)
    throw new InputError(`${missing.length} clean files have no noisy twin, e.g. '${path.join(noisyDir, missing[0])}'`);
  if (names.length === 0) throw new InputError(`no WAV files in '${cleanDir}'`);
  return {
    length: names.length,
    async get(i: number): Promise<Pair> {
      const [clean, noisy] = await Promise.all([
        readWav(path.join(cleanDir, names[i]), sampleRate),
        readWav(path.join(noisyDir, names[i]), sampleRate),
      ]);
      if (clean.samples.length !== noisy.samples.length)
        throw new InputError(`'${names[i]}': clean has ${clean.samples.length} samples, noisy ${noisy.samples.length}`);
      return { clean: clean.samples, degraded: noisy.samples };
    },
  };
}

/** Options of {@link mixedSpeech}. */
export interface MixOptions {
  /** Folder of clean speech WAVs (searched recursively). */
  speechDir: string;
  /** Folder of noise WAVs (searched recursively). */
  noiseDir: string;
  /** SNR range in dB, drawn uniformly (default [0, 15]). */
  snrDb?: [number, number];
  /** RMS the mixture is scaled to, clean scaled alike (default 0.1). */
  rms?: number;
  /** Sample rate every file must have; others are refused, not resampled (default 16000). */
  sampleRate?: number;
}

/** Mixes `clean` with `noise` (looped, from a random offset) at `snrDb`, both scaled to the mixture's `rms`. */
export function mix(clean: Float32Array, noise: Float32Array, snrDb: number, rms: number, offset: number): Pair {
  const n = clean.length;
  const part = new Float32Array(n);
  for (let i = 0; i < n; i++) part[i] = noise[(offset + i) % noise.length];
  const power = (x: Float32Array) => x.reduce((s, v) => s + v * v, 0) / x.length;
  const ps = power(clean);
  const pn = power(part);
  if (ps === 0 || pn === 0) throw new InputError('cannot mix a silent signal at a given SNR');
  const k = Math.sqrt(ps / (pn * 10 ** (snrDb / 10)));
  const degraded = Float32Array.from(clean, (v, i) => v + k * part[i]);
  const gain = levelGain(measureLevel(degraded).rms, rms);
  return { clean: scaled(clean, gain), degraded: scaled(degraded, gain) };
}

/** Speech mixed with noise at random SNRs, a new noise and SNR at every draw. */
export function mixedSpeech(o: MixOptions): Dataset {
  const speech = listWavFiles(o.speechDir);
  const noises = listWavFiles(o.noiseDir);
  if (speech.length === 0) throw new InputError(`no WAV files in '${o.speechDir}'`);
  if (noises.length === 0) throw new InputError(`no WAV files in '${o.noiseDir}'`);
  const [lo, hi] = o.snrDb ?? [0, 15];
  if (!(lo <= hi)) throw new InputError('snrDb must be [low, high] with low <= high');
  const rate = o.sampleRate ?? 16000;
  return {
    length: speech.length,
    async get(i: number, random: Random): Promise<Pair> {
      const noiseFile = noises[random.int(noises.length)];
      const snr = lo + (hi - lo) * random.next();
      const [clean, noise] = await Promise.all([readWav(speech[i], rate), readWav(noiseFile, rate)]);
      return mix(clean.samples, noise.samples, snr, o.rms ?? 0.1, random.int(noise.samples.length));
    },
  };
}
