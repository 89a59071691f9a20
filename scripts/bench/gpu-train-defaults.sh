#!/usr/bin/env bash
# Trains the candidate default models side by side on one GPU (or the CPU, slowly) from packed data
# (scripts/bench/pack-corpus.js → DATA/pack, scripts/bench/pack-images.js → DATA/images), and leaves
# each run's config, log and checkpoint in OUT/<run>/. Needs CMake, a C++17 compiler and PyTorch;
# no Node. Every run stops after SECONDS of training and evaluates on its held-out test set.
#   usage: bash scripts/bench/gpu-train-defaults.sh DATA OUT [seconds=230]
set -euo pipefail
cd "$(dirname "$0")/../.."
data=$1 out=$2 seconds=${3:-230}
build=${BUILD_DIR:-/tmp/rg-build}
prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2> /dev/null || true)
device=$(python3 -c 'import torch; print("cuda" if torch.cuda.is_available() else "cpu")' 2> /dev/null || echo cpu)
cmake -S . -B "$build" -DRG_BUILD_TESTS=ON -DCMAKE_BUILD_TYPE=Release ${prefix:+-DCMAKE_PREFIX_PATH="$prefix"} > "$build.train.log" 2>&1
cmake --build "$build" -j"$(nproc)" --target rg_train rg_train_images >> "$build.train.log" 2>&1 || { tail -40 "$build.train.log"; exit 1; }

# speech-small and image-small as lib/config.ts defines them.
small='"residualLayers":12,"residualChannels":32,"dilationCycle":6,"upsampler":"repeat","embeddingHidden":256,"encoderWidth":8'
image='"modality":"image","patchSize":32,"unetWidth":32,"unetMultipliers":[1,2,2],"unetResBlocks":1,"attentionResolutions":[8],"patchStride":16,"encoderWidth":8,"encoderBlocks":2'
speech_args=(--speech "$data/pack/speech.i16" --noise "$data/pack/noise.i16" --test-clean "$data/pack/test-clean.i16"
  --test-noisy "$data/pack/test-noisy.i16" --test-lengths "$data/pack/test-lengths.txt" --batch 32 --crop 15872 --eval-every 500)
image_args=(--train "$data/images/train.u8" --train-side 384 --test-clean "$data/images/test-clean.u8" --test-side 256
  --batch 64 --eval-every 1000)
# Images: the standard prior, and the learned one with log σ² ≥ −1.4 (σ ≥ 0.5): left free, it
# sits on the default bound σ = e⁻³, where the network learns to denoise x_t itself and ignores
# the degraded input, so sampling from noise fails. Speech goes on from DATA/init/speech-small.safetensors
# when that exists.
floor='"logVarMin":-1.4'
declare -A configs=(
  [speech-small]="{\"prior\":\"learned\",$small}"
  [denoise-standard]="{\"prior\":\"standard\",$image}"
  [denoise-floor]="{\"prior\":\"learned\",$floor,$image}"
  [derain-standard]="{\"prior\":\"standard\",$image}"
  [derain-floor]="{\"prior\":\"learned\",$floor,$image}"
)
init=()
[ -f "$data/init/speech-small.safetensors" ] && init=(--init "$data/init/speech-small.safetensors")
noise=(--sigma 15,35 --test-degraded "$data/images/test-noisy.u8")
rain=(--rain "$data/images/rain.u8" --rain-side 384 --test-degraded "$data/images/test-rain.u8")
declare -A commands=(
  [speech-small]="rg_train ${speech_args[*]} ${init[*]} --lr 4e-4"
  [denoise-standard]="rg_train_images ${image_args[*]} ${noise[*]} --lr 4e-4"
  [denoise-floor]="rg_train_images ${image_args[*]} ${noise[*]} --lr 4e-4"
  [derain-standard]="rg_train_images ${image_args[*]} ${rain[*]} --lr 4e-4"
  [derain-floor]="rg_train_images ${image_args[*]} ${rain[*]} --lr 4e-4"
)
threads=$(($(nproc) / ${#configs[@]}))
pids=()
for run in "${!configs[@]}"; do
  mkdir -p "$out/$run"
  echo "${configs[$run]}" > "$out/$run/config.json"
  read -ra cmd <<< "${commands[$run]}"
  echo "$run: ${cmd[*]} --config $out/$run/config.json --device $device --threads $((threads > 0 ? threads : 1)) --steps 100000 --seed 1 --max-seconds $seconds --out $out/$run" > "$out/$run/command.txt"
  "$build/${cmd[0]}" "${cmd[@]:1}" --config "$out/$run/config.json" --device "$device" --threads "$((threads > 0 ? threads : 1))" \
    --steps 100000 --seed 1 --max-seconds "$seconds" --out "$out/$run" > "$out/$run/stdout.txt" 2>&1 &
  pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
for run in "${!configs[@]}"; do echo "== $run"; tail -4 "$out/$run/stdout.txt"; done
exit $status
