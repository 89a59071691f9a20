/**
 * Durable, all-or-nothing output files for jobs that may run more than once. A job writes a
 * temporary file beside its output (same file system, so the rename is atomic), fsyncs it, renames
 * it over the output and fsyncs the folder: a reader, or a later attempt, sees either no output or
 * the whole of it. Temporary names carry the job's id, so a later attempt can remove what a worker
 * that died mid-write left behind.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { IoError } from '../errors';
import { writeFileAtomic } from '../write-atomic';

/** The prefix of every temporary file of `jobId` for `output`: hidden, and naming both. */
function tempPrefix(output: string, jobId: string): string {
  return path.join(path.dirname(output), `.${path.basename(output)}.${encodeURIComponent(jobId)}.`);
}

/** Removes temporary files that earlier attempts of `jobId` left beside `output`. */
export async function removeStaleTemps(output: string, jobId: string): Promise<void> {
  const prefix = path.basename(tempPrefix(output, jobId));
  const dir = path.dirname(output);
  let names: string[];
  try {
    names = await fs.promises.readdir(dir);
  } catch {
    return; // no folder yet: nothing was left
  }
  await Promise.all(
    names.filter((n) => n.startsWith(prefix) && n.endsWith('.tmp')).map((n) => fs.promises.rm(path.join(dir, n), { force: true })),
  );
}

/** Writes `bytes` to `output` through a temporary file, fsync and rename; `E_IO` on failure, leaving no temporary file. */
export async function writeAtomic(output: string, bytes: Uint8Array, jobId: string): Promise<void> {
  try {
    await fs.promises.mkdir(path.dirname(output), { recursive: true });
  } catch (e) {
    throw new IoError(`cannot write '${output}': ${(e as Error).message}`, { cause: e });
  }
  const temp = `${tempPrefix(output, jobId)}${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  await writeFileAtomic(output, bytes, { temp, durable: true });
}
