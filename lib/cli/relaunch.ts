/**
 * The CLI runs itself again with tcmalloc preloaded when the machine has it and the process was
 * started without it (see ../allocator.ts). `RESTOREGRAD_NO_PRELOAD=1` turns this off.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

import { findTcmalloc, usingTcmalloc } from '../allocator';

/** Starts the preloaded copy and resolves with its exit code, or resolves undefined to run here. */
export function relaunchWithTcmalloc(): Promise<number> | undefined {
  if (process.env.RESTOREGRAD_NO_PRELOAD || usingTcmalloc()) return undefined;
  const lib = findTcmalloc();
  if (!lib) return undefined;
  const preload = [lib, process.env.LD_PRELOAD].filter(Boolean).join(' ');
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    // The copy must not relaunch again, even if the preload did not take.
    env: { ...process.env, LD_PRELOAD: preload, RESTOREGRAD_NO_PRELOAD: '1' },
  });
  // Ctrl-C and SIGTERM reach the copy (through the terminal, or forwarded here); this process
  // waits for it, so that a training run can save before the prompt returns.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0))));
}
