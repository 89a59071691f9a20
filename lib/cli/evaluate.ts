import * as path from 'node:path';

import { listWavFiles, readWav } from '../audio/files';
import { InputError } from '../errors';
import { listImageFiles, readImage } from '../image/io';
import { type ImageScores, meanScores, psnr, type Scores, score, ssim } from '../metrics';

/** One file's scores, of the restored signal and, when given, of the noisy input. */
export interface FileScores {
  name: string;
  restored: Scores;
  noisy?: Scores;
}

/** Column heading and decimals of each metric in the text table. */
const columns: Record<string, [string, number]> = {
  siSdr: ['SI-SDR', 2],
  segSnr: ['segSNR', 2],
  stoi: ['STOI', 4],
  estoi: ['ESTOI', 4],
  psnr: ['PSNR', 2],
  ssim: ['SSIM', 4],
  psnrY: ['PSNR-Y', 2],
  ssimY: ['SSIM-Y', 4],
};

async function scoreSpeech(cleanDir: string, restoredDir: string, noisyDir: string | undefined, name: string): Promise<FileScores> {
  const clean = await readWav(path.join(cleanDir, name));
  const restored = await readWav(path.join(restoredDir, name), clean.sampleRate);
  const r: FileScores = { name, restored: score(clean.samples, restored.samples, clean.sampleRate) };
  if (noisyDir) {
    const noisy = await readWav(path.join(noisyDir, name), clean.sampleRate);
    r.noisy = score(clean.samples, noisy.samples, clean.sampleRate);
  }
  return r;
}

async function scoreImage(cleanDir: string, restoredDir: string, noisyDir: string | undefined, name: string): Promise<FileScores> {
  const clean = await readImage(path.join(cleanDir, name));
  const against = async (dir: string): Promise<ImageScores> => {
    const image = await readImage(path.join(dir, name));
    return {
      psnr: psnr(clean, image),
      ssim: ssim(clean, image),
      psnrY: psnr(clean, image, { channel: 'y' }),
      ssimY: ssim(clean, image, { channel: 'y' }),
    };
  };
  const r: FileScores = { name, restored: await against(restoredDir) };
  if (noisyDir) r.noisy = await against(noisyDir);
  return r;
}

/**
 * Scores every file of `restoredDir` (and `noisyDir`) against the same name in `cleanDir`:
 * WAV files by SI-SDR, segmental SNR, STOI and ESTOI; PNG, JPEG and WebP images by PSNR and SSIM
 * on RGB and on Y. A folder must hold one kind or the other.
 */
export async function evaluateFolders(cleanDir: string, restoredDir: string, noisyDir?: string): Promise<FileScores[]> {
  const relative = (files: string[]) => files.map((f) => path.relative(restoredDir, f));
  const wavs = relative(listWavFiles(restoredDir));
  const images = relative(listImageFiles(restoredDir));
  if (wavs.length > 0 && images.length > 0)
    throw new InputError(`'${restoredDir}' holds both WAV files and images; evaluate one kind at a time`);
  if (wavs.length === 0 && images.length === 0) throw new InputError(`no WAV files or images (PNG, JPEG, WebP) in '${restoredDir}'`);
  const scoreFile = wavs.length > 0 ? scoreSpeech : scoreImage;
  const results: FileScores[] = [];
  for (const name of wavs.length > 0 ? wavs : images) results.push(await scoreFile(cleanDir, restoredDir, noisyDir, name));
  return results;
}

/** A plain-text table of per-file scores, their means, and the gain over the noisy input. */
export function formatScores(results: FileScores[]): string {
  const keys = Object.keys(results[0]?.restored ?? {});
  const values = (s: Scores) => s as unknown as Record<string, number>;
  const row = (label: string, s: Scores) =>
    [label.padEnd(32), ...keys.map((k) => values(s)[k].toFixed(columns[k][1]).padStart(8))].join(' ');
  const lines = [['file'.padEnd(32), ...keys.map((k) => columns[k][0].padStart(8))].join(' ')];
  for (const r of results) lines.push(row(r.name, r.restored));
  const restored = meanScores(results.map((r) => r.restored));
  lines.push(row('mean (restored)', restored));
  const noisyScores = results.flatMap((r) => (r.noisy ? [r.noisy] : []));
  if (noisyScores.length === results.length) {
    const noisy = meanScores(noisyScores);
    lines.push(row('mean (noisy input)', noisy));
    lines.push(row('improvement', Object.fromEntries(keys.map((k) => [k, values(restored)[k] - values(noisy)[k]])) as unknown as Scores));
  }
  const unscored = results.filter((r) => 'stoi' in r.restored && Number.isNaN(r.restored.stoi)).length;
  if (unscored > 0)
    lines.push(
      `STOI and ESTOI need at least 30 frames (about 0.4 s) of speech after silence removal: ${unscored} file(s) too short, left out of their means`,
    );
  return lines.join('\n');
}

/**
 * The scores as JSON: `{files, mean: {restored, noisy}}`. Non-finite values, which JSON cannot
 * hold, are written as the strings "Infinity", "-Infinity" and "NaN".
 */
export function scoresJson(results: FileScores[]): string {
  const noisy = results.every((r) => r.noisy) ? meanScores(results.flatMap((r) => (r.noisy ? [r.noisy] : []))) : undefined;
  const report = { files: results, mean: { restored: meanScores(results.map((r) => r.restored)), noisy } };
  return JSON.stringify(report, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2);
}
