/**
 * Argument checks shared by the public API: each failure names the argument and what was wrong.
 */
import { InputError } from './errors';

/** Rejects keys that are not in `allowed` (a misspelt option should not be silently ignored). */
export function checkKeys(options: object | undefined, allowed: readonly string[], what: string): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) throw new InputError(`${what} must be an object`);
  for (const key of Object.keys(options))
    if (!allowed.includes(key)) throw new InputError(`unknown option '${key}' in ${what}; known: ${allowed.join(', ')}`);
}

/** An integer in [min, max], or `fallback` when undefined. */
export function checkInt(value: unknown, name: string, min: number, max: number, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new InputError(`${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
  return value;
}

/** A finite number in [min, max], or `fallback` when undefined. */
export function checkNumber(value: unknown, name: string, min: number, max: number, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max)
    throw new InputError(`${name} must be a number in [${min}, ${max}], got ${String(value)}`);
  return value;
}

/** A boolean, or `fallback` when undefined. */
export function checkBoolean(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InputError(`${name} must be a boolean, got ${String(value)}`);
  return value;
}

/** A Float32Array of at least `minLength` finite samples. */
export function checkSignal(x: unknown, name: string, minLength: number, maxLength: number): Float32Array {
  if (!(x instanceof Float32Array)) {
    const got = x === null ? 'null' : ArrayBuffer.isView(x) ? x.constructor.name : typeof x;
    throw new InputError(`${name} must be a Float32Array of mono samples, got ${got}`);
  }
  if (x.length === 0) throw new InputError(`${name} is empty`);
  if (x.length < minLength) throw new InputError(`${name} is too short: ${x.length} samples, at least ${minLength} needed`);
  if (x.length > maxLength) throw new InputError(`${name} is too long: ${x.length} samples, at most ${maxLength} per call`);
  for (let i = 0; i < x.length; i++)
    if (!Number.isFinite(x[i])) throw new InputError(`${name} has a non-finite sample (${x[i]}) at index ${i}`);
  return x;
}

/** An AbortSignal or undefined. */
export function checkSignalOption(signal: unknown, name: string): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (!(signal instanceof AbortSignal)) throw new InputError(`${name} must be an AbortSignal`);
  return signal;
}
