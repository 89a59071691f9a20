/**
 * LibTorch allocates and frees tens of megabytes per layer while it restores. glibc's malloc maps
 * and unmaps each such block, so every layer pays page faults on fresh memory: `speech-base`
 * restored 1.5–1.7× slower than with tcmalloc, which keeps the blocks for reuse. tcmalloc
 * has to be loaded before the process starts (LD_PRELOAD); these helpers find it and tell
 * whether it is in use.
 */
import * as fs from 'node:fs';

const candidates = [
  '/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4',
  '/usr/lib/aarch64-linux-gnu/libtcmalloc_minimal.so.4',
  '/usr/lib64/libtcmalloc_minimal.so.4',
  '/usr/lib/libtcmalloc_minimal.so.4',
];

/** The tcmalloc library on this machine, if any (Debian: libtcmalloc-minimal4). */
export function findTcmalloc(): string | undefined {
  return process.platform === 'linux' ? candidates.find((p) => fs.existsSync(p)) : undefined;
}

/** Whether this process allocates with tcmalloc. */
export function usingTcmalloc(): boolean {
  try {
    return fs.readFileSync('/proc/self/maps', 'utf8').includes('libtcmalloc');
  } catch {
    return false;
  }
}
