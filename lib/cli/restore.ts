import * as fs from 'node:fs';
import * as path from 'node:path';

import { readWav } from '../audio/files';
import { encodeWav } from '../audio/wav';
import { InputError, IoError } from '../errors';
import { RestorePool } from '../pool';
import { ProgressBar } from './progress';

/** Every WAV named, or found directly inside a named folder, in a stable order. */
function listInputs(inputs: string[]): string[] {
  const files: string[] = [];
  for (const input of inputs) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(input);
    } catch (e) {
      throw new IoError(`cannot read '${input}': ${(e as Error).message}`, { cause: e });
    }
    if (!stat.isDirectory()) files.push(input);
    else
      files.push(
        ...fs
          .readdirSync(input)
          .filter((f) => f.toLowerCase().endsWith('.wav'))
          .sort()
          .map((f) => path.join(input, f)),
      );
  }
  if (files.length === 0) throw new InputError('no WAV files to restore');
  return files;
}

/** Options of {@link restoreFiles}. */
export interface RestoreFilesOptions {
  model: string;
  out: string;
  inputs: string[];
  steps: number;
  seed: number;
  /** Worker threads, one model each (default: the pool's). */
  workers?: number;
  /** Most inputs or chunks per native call in a worker (default 8). */
  batch?: number;
}

/**
 * Restores WAV files into `out`, keeping their names, through a {@link RestorePool}. A bounded
 * number of files is read and in flight at once, so a folder of any size needs bounded memory.
 */
export async function restoreFiles(o: RestoreFilesOptions): Promise<void> {
  const files = listInputs(o.inputs);
  const pool = await RestorePool.open({ model: o.model, workers: o.workers, batching: { maxBatch: o.batch ?? 8 } });
  fs.mkdirSync(o.out, { recursive: true });
  const bar = new ProgressBar('restoring', files.length);
  let next = 0;
  let done = 0;
  const restoreNext = async (): Promise<void> => {
    for (let i = next++; i < files.length; i = next++) {
      const file = files[i];
      const audio = await readWav(file);
      // Every file keeps the seed it would have alone, whatever restores beside it.
      const restored = await pool.restore(audio.samples, { steps: o.steps, seed: o.seed, sampleRate: audio.sampleRate });
      const target = path.join(o.out, path.basename(file));
      const temp = `${target}.tmp-${process.pid}`;
      fs.writeFileSync(temp, encodeWav(restored, audio.sampleRate));
      fs.renameSync(temp, target); // never a half-written output
      bar.update(++done, path.basename(file));
    }
  };
  try {
    const inFlight = pool.workers * (o.batch ?? 8) * 2;
    await Promise.all(Array.from({ length: Math.min(inFlight, files.length) }, restoreNext));
  } finally {
    await pool.close();
  }
}
