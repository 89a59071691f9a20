#!/usr/bin/env bash
# Trains the priors side by side on one GPU from a packed corpus (scripts/bench/pack-corpus.js) with
# rg_train, same data, steps and seed for each, and leaves their logs, checkpoints and restored test
# sets in OUT/<run>/. Needs CMake, a C++17 compiler and PyTorch with CUDA; no Node.
#   usage: bash scripts/bench/gpu-quality.sh PACK OUT [seconds-per-run=280] [steps=4000]
# With COLLECT=DIR it also leaves a few archives there: logs.tar.gz, restored-RUN.tar.gz (the
# restored test sets) and learned.safetensors.
set -euo pipefail
cd "$(dirname "$0")/../.."
pack=$1 out=$2 seconds=${3:-280} steps=${4:-4000}
build=${BUILD_DIR:-/tmp/rg-build}
prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2> /dev/null || true)
device=$(python3 -c 'import torch; print("cuda" if torch.cuda.is_available() else "cpu")' 2> /dev/null || echo cpu)
cmake -S . -B "$build" -DRG_BUILD_TESTS=ON -DCMAKE_BUILD_TYPE=Release ${prefix:+-DCMAKE_PREFIX_PATH="$prefix"} > "$build.log" 2>&1
cmake --build "$build" -j"$(nproc)" --target rg_train >> "$build.log" 2>&1 || { tail -40 "$build.log"; exit 1; }

# speech-small (lib/config.ts) with the prior of each run.
small='"residualLayers":12,"residualChannels":32,"dilationCycle":6,"upsampler":"repeat","embeddingHidden":256,"encoderWidth":8'
declare -A runs=(
  [standard]="{\"prior\":\"standard\",$small}"
  [priorgrad]="{\"prior\":\"priorgrad\",$small}"
  [learned]="{\"prior\":\"learned\",$small}"
  [learned-eta0.1]="{\"prior\":\"learned\",\"eta\":0.1,$small}"
  [standard-sigma0.067]="{\"prior\":\"standard\",\"noiseScale\":0.067,$small}"
)
threads=$(($(nproc) / ${#runs[@]}))
pids=()
for run in "${!runs[@]}"; do
  mkdir -p "$out/$run"
  echo "${runs[$run]}" > "$out/$run/config.json"
  "$build/rg_train" --config "$out/$run/config.json" --device "$device" --threads "$((threads > 0 ? threads : 1))" \
    --speech "$pack/speech.i16" --noise "$pack/noise.i16" --test-clean "$pack/test-clean.i16" \
    --test-noisy "$pack/test-noisy.i16" --test-lengths "$pack/test-lengths.txt" \
    --steps "$steps" --batch 16 --crop 15872 --lr 4e-4 --eval-every 250 --seed 1 --max-seconds "$seconds" \
    --out "$out/$run" > "$out/$run/stdout.txt" 2>&1 &
  pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
for run in "${!runs[@]}"; do echo "== $run"; tail -3 "$out/$run/stdout.txt"; done
if [ -n "${COLLECT:-}" ]; then
  mkdir -p "$COLLECT"
  (cd "$out" && tar -czf "$COLLECT/logs.tar.gz" ./*/log.csv ./*/stdout.txt ./*/config.json)
  for run in "${!runs[@]}"; do
    [ -f "$out/$run/restored6.i16" ] && tar -czf "$COLLECT/restored-$run.tar.gz" -C "$out/$run" restored6.i16 restored3.i16
  done
  [ -f "$out/learned/model.safetensors" ] && cp "$out/learned/model.safetensors" "$COLLECT/learned.safetensors"
fi
exit $status
