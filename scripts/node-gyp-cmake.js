#!/usr/bin/env node
// Stands in for node-gyp under prebuildify (`prebuildify --node-gyp scripts/node-gyp-cmake.js`),
// which has no cmake backend. prebuildify calls it as
//   <this> rebuild --target=<node version> --devdir=<cache> --arch=<arch> --release|--debug
// and then takes the first .node file in build/Release (or build/Debug), strips it and copies it
// into prebuilds/<platform>-<arch>/. cmake-js writes the addon to exactly that folder.

const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');
const argv = process.argv.slice(2);
const command = argv.find((a) => !a.startsWith('-')) || 'rebuild';
const option = (name) => {
  const hit = argv.find((a) => a.startsWith(`--${name}=`));
  return hit?.slice(name.length + 3);
};

if (!['rebuild', 'build', 'configure', 'clean'].includes(command)) {
  console.error(`node-gyp-cmake: unsupported command '${command}'`);
  process.exit(2);
}

// The addon is Node-API only, so --target and --devdir (node headers) do not matter: cmake-js uses
// the node-api-headers package.
let cmakeArgs = [];
if (command !== 'clean') {
  const setup = spawnSync('bash', [path.join(__dirname, 'setup-libtorch.sh'), '--print-cmake-args'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (setup.status !== 0) {
    console.error('node-gyp-cmake: LibTorch not found; run `bash scripts/setup-libtorch.sh` for the fix');
    process.exit(1);
  }
  cmakeArgs = setup.stdout.split('\n').filter(Boolean);
}

const options = [...cmakeArgs];
if (option('arch')) options.push('--arch', option('arch'));
if (argv.includes('--debug')) options.push('--debug');
// A prebuild carries the addon only: no tests or benchmarks.
if (command !== 'clean') options.push('--CDRG_BUILD_TESTS=OFF');

// RESTOREGRAD_REUSE_BUILD=1 (scripts/check-pack.sh --reuse-build) turns the clean rebuild into a
// reconfigure and an incremental build, so the objects of an earlier build in build/ are reused.
const reuse = /^(1|true|yes)$/i.test(process.env.RESTOREGRAD_REUSE_BUILD || '');
const steps = reuse && command === 'rebuild' ? ['configure', 'build'] : [command];
for (const step of steps) {
  const args = [require.resolve('cmake-js/bin/cmake-js'), step, ...options];
  console.error(`node-gyp-cmake: cmake-js ${args.slice(1).join(' ')}`);
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status === null ? 1 : r.status);
}
