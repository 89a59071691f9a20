#!/usr/bin/env node
// The package's install step: use a prebuilt or existing binary when it loads, otherwise find (or
// install) LibTorch and compile the addon with cmake-js.
//   RESTOREGRAD_SKIP_BUILD=1         do nothing (e.g. to build later with `npm run compile`)
//   RESTOREGRAD_BUILD_FROM_SOURCE=1  compile even when a prebuilt binary would load

const { spawnSync } = require('node:child_process');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const setupScript = path.join(__dirname, 'setup-libtorch.sh');
const log = (msg) => console.error(`restoregrad: ${msg}`);
const flag = (name) => /^(1|true|yes)$/i.test(process.env[name] || '');

/** Loads the binary node-gyp-build picks in a child, so that a failing dlopen can't end this process. */
function tryLoad() {
  const code = `const b = require('node-gyp-build'); const p = b.resolve(${JSON.stringify(root)}); require(p); console.log(p)`;
  const r = spawnSync(process.execPath, ['-e', code], { cwd: root, encoding: 'utf8' });
  return r.status === 0
    ? { ok: true, file: r.stdout.trim() }
    : { ok: false, missing: /No native build was found/.test(r.stderr), error: r.stderr.trim() };
}

/** Runs setup-libtorch.sh (which installs LibTorch as root on Debian) and returns its cmake-js args. */
let setupResult;
function setupLibtorch() {
  if (setupResult !== undefined) return setupResult;
  const r = spawnSync('bash', [setupScript, '--print-cmake-args'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  setupResult = r.error || r.status !== 0 ? null : r.stdout.split('\n').filter(Boolean);
  return setupResult;
}

/** Compile jobs: every core, but no more than one per ~2 GiB, as LibTorch headers are heavy. */
function jobs() {
  if (process.env.CMAKE_BUILD_PARALLEL_LEVEL) return process.env.CMAKE_BUILD_PARALLEL_LEVEL;
  const cores = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  return String(Math.max(1, Math.min(cores, Math.floor(os.totalmem() / 2 ** 31))));
}

function fail(lines) {
  log('could not build the native addon.');
  for (const line of lines) console.error(`  ${line}`);
  console.error('  Then reinstall: `npm rebuild restoregrad`. To install without the addon, set RESTOREGRAD_SKIP_BUILD=1.');
  process.exit(1);
}

function main() {
  if (flag('RESTOREGRAD_SKIP_BUILD')) {
    log('RESTOREGRAD_SKIP_BUILD is set: not building the native addon.');
    return;
  }
  const fromSource = flag('RESTOREGRAD_BUILD_FROM_SOURCE');
  if (!fromSource) {
    let found = tryLoad();
    // A prebuilt binary that is present but can't load usually lacks the LibTorch shared libraries:
    // install them, then try it again before compiling.
    if (!found.ok && !found.missing && /cannot open shared object file/.test(found.error)) {
      log(`the prebuilt binary does not load yet (${firstLine(found.error)})`);
      if (setupLibtorch()) found = tryLoad();
    }
    if (found.ok) {
      log(`using ${path.relative(root, found.file)}`);
      return;
    }
    log(
      found.missing
        ? 'no prebuilt binary for this platform: building from source.'
        : `the available binary does not load (${firstLine(found.error)}): building from source.`,
    );
  } else {
    log('RESTOREGRAD_BUILD_FROM_SOURCE is set: building from source.');
  }

  const cmakeArgs = setupLibtorch();
  if (!cmakeArgs) {
    fail([
      'LibTorch, cmake or a C++ compiler is missing (see the setup-libtorch messages above).',
      'On Debian/Ubuntu: `sudo apt-get install libtorch-dev libopenblas0-openmp libtcmalloc-minimal4 cmake g++ make`,',
      'elsewhere: `pip install torch` or unpack a LibTorch archive and set LIBTORCH=/path/to/libtorch.',
    ]);
  }
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  const args = [cmakeJs, 'rebuild', '--parallel', jobs(), ...cmakeArgs];
  log(`running cmake-js ${args.slice(1).join(' ')}`);
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    fail([
      `cmake-js failed${r.error ? `: ${r.error.message}` : ` with exit code ${r.status}`} (its output is above).`,
      'Check that the LibTorch it found is complete (headers and libraries, same C++ ABI as your compiler),',
      'or point LIBTORCH at another one; `bash scripts/setup-libtorch.sh --check` reports what was found.',
    ]);
  }
  const built = tryLoad();
  if (!built.ok) fail([`the addon was built but does not load: ${firstLine(built.error)}`]);
  log(`built ${path.relative(root, built.file)}`);
}

function firstLine(text) {
  return (text.split('\n').find((l) => /Error|error:/.test(l)) || text.split('\n')[0] || '').trim();
}

main();
