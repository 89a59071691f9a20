/**
 * Runs TypeScript as a user of the installed package would: transpiled into a temporary folder
 * whose node_modules/restoregrad links to this package, so `restoregrad` resolves to its build
 * (package.json `main`, dist/) and not to the sources.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import * as ts from 'typescript';

const root = path.join(__dirname, '..');

/** A new temporary folder in which `restoregrad` resolves to this package. */
export function consumerDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(root, path.join(dir, 'node_modules/restoregrad'), 'dir');
  return dir;
}

/** Writes `source` transpiled (no type check: that is the type tests' job) to `dir/name` (.js: CommonJS, .mjs: ES module). */
export function transpileTo(dir: string, name: string, source: string): string {
  const module = name.endsWith('.mjs') ? ts.ModuleKind.ES2022 : ts.ModuleKind.CommonJS;
  const { outputText } = ts.transpileModule(source, { compilerOptions: { module, target: ts.ScriptTarget.ES2022, esModuleInterop: true } });
  const file = path.join(dir, name);
  fs.writeFileSync(file, outputText);
  return file;
}

/** Runs a script with node in `cwd`; rejects with its output when it exits non-zero. */
export async function runNode(file: string, args: string[], cwd: string, timeout = 120000): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, [file, ...args], { cwd, timeout, encoding: 'utf8' });
}
