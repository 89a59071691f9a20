#!/usr/bin/env bash
# Formatting and lint: biome for TypeScript/JavaScript, clang-format for C++ (when installed).
set -euo pipefail
cd "$(dirname "$0")/.."
npx biome check
if command -v clang-format > /dev/null; then
  find native -name '*.cpp' -o -name '*.h' | xargs clang-format --dry-run --Werror
else
  echo "lint: clang-format not installed (apt-get install clang-format); C++ formatting not checked" >&2
fi
