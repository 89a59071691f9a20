/**
 * Loads the native addon (`restoregrad.node`) and turns load failures into errors that say how to
 * fix them.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** node-gyp-build: returns the addon's exports for a package folder, or throws. */
type NodeGypBuild = (dir: string) => unknown;

let cached: unknown;

/**
 * The package root: the nearest folder above this file holding package.json. The same code runs
 * compiled from `dist/` and as source from `lib/` (tests), so the depth is not fixed.
 */
function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.join(__dirname, '..');
    dir = parent;
  }
}

/**
 * Explains a failure to load the addon.
 *
 * @param message - The message of the error thrown by node-gyp-build or by `dlopen`.
 * @returns A message naming the likely cause and the command that fixes it.
 */
export function diagnoseLoadError(message: string): string {
  const lib = /([\w.+-]+\.so[\w.]*): cannot open shared object file/.exec(message)?.[1];
  if (/No native build was found/.test(message)) {
    return (
      'restoregrad: the native addon is missing (its build failed or was skipped with ' +
      'RESTOREGRAD_SKIP_BUILD): run `npm rebuild restoregrad` and read its output.'
    );
  }
  if (lib !== undefined && /torch|c10/.test(lib)) {
    return (
      `restoregrad: LibTorch not found (${lib}): run \`bash node_modules/restoregrad/scripts/setup-libtorch.sh\` ` +
      '(or `sudo apt-get install libtorch-dev libopenblas0-openmp libtcmalloc-minimal4`) and reinstall.'
    );
  }
  if (lib !== undefined) {
    return (
      `restoregrad: a shared library that LibTorch needs is missing (${lib}): run ` +
      '`bash node_modules/restoregrad/scripts/setup-libtorch.sh` and reinstall.'
    );
  }
  if (/undefined symbol|version `[^']*' not found|wrong ELF class|invalid ELF header/.test(message)) {
    return (
      'restoregrad: the native addon does not match the installed LibTorch (another version or C++ ABI): ' +
      'rebuild it from source with `RESTOREGRAD_BUILD_FROM_SOURCE=1 npm rebuild restoregrad`.'
    );
  }
  return (
    `restoregrad: the native addon failed to load (${message.split('\n')[0]}): ` +
    'rebuild it with `RESTOREGRAD_BUILD_FROM_SOURCE=1 npm rebuild restoregrad`.'
  );
}

/**
 * Loads the native addon with node-gyp-build: a local build (`build/Release`) first, then the
 * prebuilt binary for this platform (`prebuilds/<platform>-<arch>`). The result is cached.
 *
 * @returns The addon's exports.
 * @throws Error whose message gives the cause and the fix; the original error is its `cause`.
 */
export function loadBinding(): unknown {
  if (cached !== undefined) return cached;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nodeGypBuild = require('node-gyp-build') as NodeGypBuild;
    cached = nodeGypBuild(packageRoot());
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(diagnoseLoadError(message), { cause: error });
  }
  return cached;
}
