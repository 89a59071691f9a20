/** Reading WAV files from disk with the errors of the API. */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { InputError, IoError } from '../errors';
import { type Audio, decodeWav } from './wav';

/** The files below `dir` (recursively) whose names end in one of `extensions` (lower case, with the dot), sorted, as paths. */
export function listFiles(dir: string, extensions: readonly string[]): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    throw new IoError(`cannot read folder '${dir}': ${(e as Error).message}`, { cause: e });
  }
  const out: string[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p, extensions));
    else if (extensions.includes(path.extname(e.name).toLowerCase())) out.push(p);
  }
  return out;
}

/** The `.wav` files below `dir` (recursively), sorted, as paths. */
export function listWavFiles(dir: string): string[] {
  return listFiles(dir, ['.wav']);
}

/** Reads a mono WAV file; with `sampleRate`, refuses any other rate. */
export async function readWav(file: string, sampleRate?: number): Promise<Audio> {
  let buf: Buffer;
  try {
    buf = await fs.promises.readFile(file);
  } catch (e) {
    throw new IoError(`cannot read '${file}': ${(e as Error).message}`, { cause: e });
  }
  const audio = decodeWav(buf, { name: file });
  if (sampleRate !== undefined && audio.sampleRate !== sampleRate)
    throw new InputError(`'${file}' is ${audio.sampleRate} Hz; ${sampleRate} Hz expected (resample it first)`);
  return audio;
}
