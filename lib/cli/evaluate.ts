import * as path from 'node:path';

import { listWavFiles, readWav } from '../audio/files';
import { InputError } from '../errors';
import { estoi, segmentalSnr, siSdr, stoi } from '../metrics';

/** The metrics of one signal against its clean reference. */
export interface Scores {
  siSdr: number;
  segSnr: number;
  stoi: number;
  estoi: number;
}

/** One file's scores, of the restored signal and, when given, of the noisy input. */
export interface FileScores {
  name: string;
  restored: Scores;
  noisy?: Scores;
}

const metricNames = ['siSdr', 'segSnr', 'stoi', 'estoi'] as const;

/** Scores `estimate` against `clean` (equal lengths and rates required). */
export function score(clean: Float32Array, estimate: Float32Array, sampleRate: number): Scores {
  return {
    siSdr: siSdr(clean, estimate),
    segSnr: segmentalSnr(clean, estimate),
    stoi: stoi(clean, estimate, sampleRate),
    estoi: estoi(clean, estimate, sampleRate),
  };
}

/** Mean of each metric over files (finite values only: a perfect copy's +Infinity is left out). */
export function meanScores(all: Scores[]): Scores {
  const out = {} as Scores;
  for (const k of metricNames) {
    const finite = all.map((s) => s[k]).filter(Number.isFinite);
    out[k] = finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : Number.NaN;
  }
  return out;
}

/** Scores every WAV of `restoredDir` (and `noisyDir`) against the same name in `cleanDir`. */
export async function evaluateFolders(cleanDir: string, restoredDir: string, noisyDir?: string): Promise<FileScores[]> {
  const names = listWavFiles(restoredDir).map((f) => path.relative(restoredDir, f));
  if (names.length === 0) throw new InputError(`no WAV files in '${restoredDir}'`);
  const results: FileScores[] = [];
  for (const name of names) {
    const clean = await readWav(path.join(cleanDir, name));
    const restored = await readWav(path.join(restoredDir, name), clean.sampleRate);
    const r: FileScores = { name, restored: score(clean.samples, restored.samples, clean.sampleRate) };
    if (noisyDir) {
      const noisy = await readWav(path.join(noisyDir, name), clean.sampleRate);
      r.noisy = score(clean.samples, noisy.samples, clean.sampleRate);
    }
    results.push(r);
  }
  return results;
}

/** A plain-text table of per-file scores, their means, and the gain over the noisy input. */
export function formatScores(results: FileScores[]): string {
  const row = (label: string, s: Scores) =>
    `${label.padEnd(32)} ${s.siSdr.toFixed(2).padStart(8)} ${s.segSnr.toFixed(2).padStart(8)} ${s.stoi.toFixed(4).padStart(8)} ${s.estoi.toFixed(4).padStart(8)}`;
  const lines = [`${'file'.padEnd(32)} ${'SI-SDR'.padStart(8)} ${'segSNR'.padStart(8)} ${'STOI'.padStart(8)} ${'ESTOI'.padStart(8)}`];
  for (const r of results) lines.push(row(r.name, r.restored));
  const restored = meanScores(results.map((r) => r.restored));
  lines.push(row('mean (restored)', restored));
  const noisyScores = results.flatMap((r) => (r.noisy ? [r.noisy] : []));
  if (noisyScores.length === results.length) {
    const noisy = meanScores(noisyScores);
    lines.push(row('mean (noisy input)', noisy));
    const gain = Object.fromEntries(metricNames.map((k) => [k, restored[k] - noisy[k]])) as unknown as Scores;
    lines.push(row('improvement', gain));
  }
  return lines.join('\n');
}
