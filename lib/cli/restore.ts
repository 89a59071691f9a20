import * as fs from 'node:fs';
import * as path from 'node:path';

import { readWav } from '../audio/files';
import { encodeWav } from '../audio/wav';
import { InputError, IoError } from '../errors';
import { loadModel } from '../model';
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

/** Restores WAV files one by one into `out`, keeping their names. */
export async function restoreFiles(o: { model: string; out: string; inputs: string[]; steps: number; seed: number }): Promise<void> {
  const files = listInputs(o.inputs);
  const model = await loadModel(o.model);
  fs.mkdirSync(o.out, { recursive: true });
  const bar = new ProgressBar('restoring', files.length);
  try {
    for (const [i, file] of files.entries()) {
      const audio = await readWav(file);
      const restored = await model.restore(audio.samples, { steps: o.steps, seed: o.seed, sampleRate: audio.sampleRate });
      const target = path.join(o.out, path.basename(file));
      const temp = `${target}.tmp-${process.pid}`;
      fs.writeFileSync(temp, encodeWav(restored, audio.sampleRate));
      fs.renameSync(temp, target); // never a half-written output
      bar.update(i + 1, path.basename(file));
    }
  } finally {
    await model.dispose();
  }
}
