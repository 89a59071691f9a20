/**
 * `restoregrad train --nproc N`: N ranks of one data-parallel training on this machine, joined
 * over loopback, each with its share of the cores. Rank 0 shows progress and writes the model;
 * the others speak only when they fail. Ctrl-C and SIGTERM reach every rank; when one rank fails
 * the others are stopped rather than left waiting for it.
 */
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import { availableParallelism, constants } from 'node:os';

/** A TCP port on loopback that nothing listens on now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs `train` with `args` as ranks 0..nproc-1; resolves to the exit code (the first failure's). */
export async function launchLocalRanks(args: string[], nproc: number, threads?: number): Promise<number> {
  const master = `127.0.0.1:${await freePort()}`;
  const each = threads ?? Math.max(1, Math.floor(availableParallelism() / nproc));
  const children = Array.from({ length: nproc }, (_, rank) => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, process.argv[1], 'train', ...args, '--world-size', String(nproc), '--rank', String(rank)].concat([
        '--master',
        master,
        '--threads',
        String(each),
      ]),
      { stdio: rank === 0 ? 'inherit' : ['ignore', 'ignore', 'pipe'] },
    );
    let errors = '';
    child.stderr?.on('data', (d: Buffer) => {
      errors += d.toString();
    });
    return { child, rank, errors: () => errors };
  });
  const forward = (signal: NodeJS.Signals) => {
    for (const { child } of children) child.kill(signal);
  };
  process.on('SIGINT', forward).on('SIGTERM', forward);
  let first: number | undefined;
  try {
    await Promise.all(
      children.map(
        ({ child, rank, errors }) =>
          new Promise<void>((resolve) =>
            child.on('exit', (code, signal) => {
              const status = code ?? 128 + (signal ? constants.signals[signal] : 0);
              if (status !== 0 && first === undefined) {
                first = status;
                if (rank > 0) process.stderr.write(errors().replace(/^/gm, `[rank ${rank}] `));
                for (const other of children) if (other.child.exitCode === null) other.child.kill('SIGTERM');
              }
              resolve();
            }),
          ),
      ),
    );
  } finally {
    process.off('SIGINT', forward).off('SIGTERM', forward);
  }
  return first ?? 0;
}
