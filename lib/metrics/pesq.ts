/**
 * A hook for PESQ (ITU-T P.862). restoregrad ships no PESQ implementation, since none is freely
 * licensed; register one (for example a binding to a licensed P.862 build, or a call to a
 * Python service) with {@link setPesq}, and code that reports metrics finds it with
 * {@link getPesq}.
 *
 * ```ts
 * import { setPesq, getPesq } from 'restoregrad/dist/metrics';
 * setPesq(async (clean, degraded, sampleRate) => myPesq(clean, degraded, sampleRate, 'wb'));
 * const pesq = getPesq();
 * if (pesq) console.log(await pesq(clean, restored, 16000));
 * ```
 */
import { InputError } from '../errors';

/**
 * Computes PESQ (MOS-LQO) of `degraded` against `clean`, both mono at `sampleRate` Hz and of equal
 * length; it may answer synchronously or with a promise.
 */
export type PesqFunction = (clean: Float32Array, degraded: Float32Array, sampleRate: number) => number | Promise<number>;

let current: PesqFunction | undefined;

/**
 * Registers the PESQ implementation used process-wide, replacing any earlier one; `undefined`
 * removes it.
 *
 * @throws InputError when `fn` is neither a function nor undefined
 */
export function setPesq(fn: PesqFunction | undefined): void {
  if (fn !== undefined && typeof fn !== 'function') throw new InputError(`setPesq needs a function or undefined, got ${typeof fn}`);
  current = fn;
}

/** The registered PESQ implementation, or `undefined` when none is (the default). */
export function getPesq(): PesqFunction | undefined {
  return current;
}
