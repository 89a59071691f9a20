#!/usr/bin/env bash
# Builds native/core against the LibTorch of the local PyTorch (or the system's), runs the C++
# tests on the GPU when there is one (else the CPU), then the micro-benchmarks, and prints a
# short report. Needs only CMake, a C++17 compiler and PyTorch: no Node.
#   usage: bash scripts/gpu-check.sh [build-dir]     (RG_TESTS=0: build and benchmark only)
# It also needs nlohmann/json's headers; a machine that cannot install them (nlohmann-json3-dev)
# takes a copy made where they are installed, laid out as a prefix:
#   mkdir -p build-deps/include build-deps/share/cmake && cp -r /usr/include/nlohmann build-deps/include/ &&
#   cp -r /usr/share/cmake/nlohmann_json build-deps/share/cmake/
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-gpu}
py=$(command -v python3 || true)
prefix=""
if [ -n "$py" ]; then prefix=$("$py" -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null || true); fi
device=${RG_DEVICE:-$([ -n "$py" ] && "$py" -c 'import torch; print("cuda" if torch.cuda.is_available() else "cpu")' 2>/dev/null || echo cpu)}
threads=$(nproc)

echo "== machine"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) ($threads threads)"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || echo "gpu: none"
[ -n "$prefix" ] && echo "torch: $("$py" -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda)') at $prefix" || echo "torch: system LibTorch"
echo "device under test: $device"

echo "== build"
start=$(date +%s)
cmake -S . -B "$build" -DRG_BUILD_TESTS=ON -DCMAKE_BUILD_TYPE=Release ${prefix:+-DCMAKE_PREFIX_PATH="$prefix"} >"$build.cmake.log" 2>&1 ||
  { tail -40 "$build.cmake.log"; exit 1; }
cmake --build "$build" -j"$threads" >"$build.make.log" 2>&1 || { grep -E "error" -A5 "$build.make.log" | head -80; exit 1; }
echo "built in $(($(date +%s) - start)) s"

status=0
if [ "${RG_TESTS:-1}" != 0 ]; then
  echo "== native tests on $device"
  RG_DEVICE=$device "$build/rg_tests" || status=$?
fi

echo "== benchmark on $device ($threads threads)"
"$build/rg_bench" "$device" "$threads" || status=$?
exit $status
