/**
 * All-or-nothing file writes: the bytes go to a temporary file beside the target (same file
 * system, so the rename is atomic) and are renamed over it, so a reader sees the old file or the
 * whole new one, never a part.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { IoError } from './errors';

/** Options of {@link writeFileAtomic}. */
export interface WriteAtomicOptions {
  /** The temporary file's name (default: the target's, a process id and a random suffix). */
  temp?: string;
  /** Also fsync the file and its folder, so that the write survives a crash of the machine. */
  durable?: boolean;
}

/** Writes `bytes` to `file` through a temporary file and a rename; `E_IO` on failure, leaving no temporary file. */
export async function writeFileAtomic(file: string, bytes: Uint8Array, options: WriteAtomicOptions = {}): Promise<void> {
  const temp = options.temp ?? `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const handle = await fs.promises.open(temp, 'wx');
    try {
      await handle.writeFile(bytes);
      if (options.durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(temp, file);
    if (options.durable) {
      // The rename itself survives a crash only once the folder is synced.
      const dir = await fs.promises.open(path.dirname(file), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    }
  } catch (e) {
    await fs.promises.rm(temp, { force: true });
    throw new IoError(`cannot write '${file}': ${(e as Error).message}`, { cause: e });
  }
}
