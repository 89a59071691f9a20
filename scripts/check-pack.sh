#!/usr/bin/env bash
# Checks the published artifact: builds the prebuilt binary, packs the package, installs the tarball
# into an empty project and loads the addon from there. The install must use the prebuilt binary, not
# compile (a compile would hide a prebuild that is missing from the tarball).
# Usage: bash scripts/check-pack.sh [--reuse-build]   (needs LibTorch, see scripts/setup-libtorch.sh)
#   --reuse-build  build the prebuilt binary incrementally on top of build/ instead of from scratch
set -euo pipefail

case "${1:-}" in
  --reuse-build) export RESTOREGRAD_REUSE_BUILD=1 ;;
  '') ;;
  *) echo "usage: bash scripts/check-pack.sh [--reuse-build]" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$root"

echo "check-pack: building the prebuilt binary" >&2
rm -rf prebuilds
npm run --silent prebuild
target=$(node -p 'process.platform + "-" + process.arch')

echo "check-pack: packing" >&2
tarball=$(npm pack --silent --pack-destination "$tmp" | tail -n1)
tar -tzf "$tmp/$tarball" > "$tmp/contents"
for f in "package/prebuilds/$target/restoregrad.node" package/dist/loader.js \
  package/scripts/install.js package/scripts/setup-libtorch.sh package/CMakeLists.txt \
  package/models/speech.safetensors package/models/image-denoise.safetensors package/models/image-derain.safetensors \
  package/models/README.md package/samples/photo.png package/samples/speech-noisy.wav package/samples/speech-clean.wav; do
  grep -qx "$f" "$tmp/contents" || { echo "check-pack: $f is missing from $tarball" >&2; exit 1; }
done

echo "check-pack: installing $tarball into an empty project" >&2
mkdir "$tmp/app"
cd "$tmp/app"
echo '{ "name": "check-pack-app", "version": "1.0.0", "private": true }' > package.json
env -u RESTOREGRAD_SKIP_BUILD -u RESTOREGRAD_BUILD_FROM_SOURCE \
  npm install --no-audit --no-fund --foreground-scripts "$tmp/$tarball" 2>&1 | tee "$tmp/install.log"
grep -q 'restoregrad: using prebuilds/' "$tmp/install.log" \
  || { echo "check-pack: the install did not use the prebuilt binary" >&2; exit 1; }
if [ -e node_modules/restoregrad/build ]; then
  echo "check-pack: the install compiled the addon instead of using the prebuilt binary" >&2
  exit 1
fi

node -e "
  // By path: package.json 'exports' hides dist/ from require('restoregrad/dist/...').
  const { loadBinding } = require('./node_modules/restoregrad/dist/loader.js');
  const binding = loadBinding();
  if (binding === null || typeof binding !== 'object') throw new Error('loadBinding() returned ' + binding);
  // The entry points, as 'exports' names them: the root without BullMQ, the queue API with it.
  const bullmq = () => Object.keys(require.cache).some((f) => f.split(require('node:path').sep).includes('bullmq'));
  if (typeof require('restoregrad').createModel !== 'function') throw new Error('restoregrad has no createModel');
  if (bullmq()) throw new Error('require(\"restoregrad\") loaded bullmq');
  if (typeof require('restoregrad/queue').RestoreWorker !== 'function') throw new Error('restoregrad/queue has no RestoreWorker');
  if (!bullmq()) throw new Error('restoregrad/queue did not load bullmq');
"
echo "check-pack: ok ($tarball loads from a clean install)" >&2
