/** The input files a command names: files as given, folders as the matching files directly inside. */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { InputError, IoError } from './errors';

/** Every file named, or found directly inside a named folder with one of `extensions`, in a stable order. */
export function listInputs(inputs: readonly string[], extensions: readonly string[], what: string): string[] {
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
          .filter((f) => extensions.includes(path.extname(f).toLowerCase()))
          .sort()
          .map((f) => path.join(input, f)),
      );
  }
  if (files.length === 0) throw new InputError(`no ${what} files to restore`);
  return files;
}
