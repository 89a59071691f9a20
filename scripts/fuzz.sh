#!/usr/bin/env bash
# Fuzzes the checkpoint reader of the C++ core with libFuzzer, ASan and UBSan.
#
# Usage: bash scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#   SECONDS_PER_TARGET  how long each target runs (default 60; 0: only merge earlier runs' finds)
#   TARGET              json, config, safetensors, checkpoint (default: all four, in that order)
#
# For each target, builds native/tests/fuzz/fuzz_TARGET.cpp with only the core files it needs,
# seeds it from test/fuzz/corpus/TARGET/ (plus, for safetensors and checkpoint, uncommitted
# checkpoints of the tiny test model), runs it, and merges (-merge=1) the inputs that reach new
# code into test/fuzz/corpus/TARGET/, within a budget of RG_FUZZ_MAX_FILES files and
# RG_FUZZ_MAX_KB KB per target (the largest new inputs are dropped first). A crash leaves its input
# under $RG_FUZZ_DIR/artifacts/TARGET/ and makes the script exit 1 after the other targets ran.
# Fuzzers and compilers run under `nice -n $RG_FUZZ_NICE`.
#
# Environment:
#   RG_FUZZ_DIR        build, work and log directory (default ${TMPDIR:-/tmp}/restoregrad-fuzz)
#   RG_FUZZ_JOBS       parallel compiles (default: the number of CPUs)
#   RG_FUZZ_NICE       niceness of compiles and fuzzers (default 10)
#   RG_FUZZ_MAX_FILES  corpus budget per target, files (default 50)
#   RG_FUZZ_MAX_KB     corpus budget per target, KB (default 200)
#   RG_TORCH_INCLUDE   LibTorch headers (default /usr/include, Debian's libtorch-dev)
#   RG_TORCH_LIB       LibTorch libraries (default: the linker's search path)
#   CXX                a clang++ with libFuzzer (default clang++); installed as root with apt-get
#                      when missing
#   RG_FUZZ_MERGE=0    leave test/fuzz/corpus/ alone (for CI smoke runs)
#   RG_FUZZ_SEEDS=1    only rewrite the committed hand-made seeds (make_seeds) and exit
set -euo pipefail
cd "$(dirname "$0")/.."

ALL_TARGETS=(json config safetensors checkpoint)
seconds=60
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then
  seconds=$1
  shift
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${ALL_TARGETS[@]}")
for t in "${targets[@]}"; do
  case " ${ALL_TARGETS[*]} " in
    *" $t "*) ;;
    *) echo "fuzz: unknown target '$t' (known: ${ALL_TARGETS[*]})" >&2; exit 2 ;;
  esac
done

work=${RG_FUZZ_DIR:-${TMPDIR:-/tmp}/restoregrad-fuzz}
jobs=${RG_FUZZ_JOBS:-$(nproc 2> /dev/null || echo 2)}
nice_level=${RG_FUZZ_NICE:-10}
max_files=${RG_FUZZ_MAX_FILES:-50}
max_bytes=$((${RG_FUZZ_MAX_KB:-200} * 1024))
torch_include=${RG_TORCH_INCLUDE:-/usr/include}
CXX=${CXX:-clang++}
mkdir -p "$work"/{obj,bin,logs,artifacts,work,seeds}

say() { echo "fuzz: $*" >&2; }
run_nice() { nice -n "$nice_level" "$@"; }

# --- toolchain ------------------------------------------------------------------------------------

probe_fuzzer() {
  printf '#include <cstddef>\n#include <cstdint>\nextern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }\n' \
    > "$work/probe.cpp"
  "$CXX" -fsanitize=fuzzer,address,undefined "$work/probe.cpp" -o "$work/probe" > /dev/null 2>&1
}
if ! command -v "$CXX" > /dev/null || ! probe_fuzzer; then
  if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
    say "installing clang with the libFuzzer runtime (apt-get install clang libclang-rt-dev)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends clang libclang-rt-dev > /dev/null
    CXX=clang++
  fi
  probe_fuzzer || {
    say "$CXX cannot build libFuzzer targets; install clang and its runtime (Debian: apt-get install clang libclang-rt-dev)"
    exit 1
  }
fi

needs_torch=0
for t in "${targets[@]}"; do
  case $t in safetensors | checkpoint) needs_torch=1 ;; esac
done
if [ "$needs_torch" = 1 ] || [ "${RG_FUZZ_SEEDS:-}" = 1 ]; then
  if [ ! -f "$torch_include/torch/csrc/api/include/torch/torch.h" ]; then
    if [ "$(id -u)" = 0 ] && [ -z "${RG_TORCH_INCLUDE:-}" ]; then bash scripts/setup-libtorch.sh > /dev/null; fi
    [ -f "$torch_include/torch/csrc/api/include/torch/torch.h" ] || {
      say "LibTorch headers not found under $torch_include (Debian: apt-get install libtorch-dev, or set RG_TORCH_INCLUDE)"
      exit 1
    }
  fi
fi

# --- build ----------------------------------------------------------------------------------------

# shellcheck disable=SC2054 # the commas belong to the flags
CXXFLAGS=(-std=c++17 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined
  -fno-sanitize-recover=undefined -Inative/core -Inative/tests/fuzz -isystem "$torch_include/torch/csrc/api/include")
# /usr/include is searched already; naming it again with -isystem would break #include_next.
[ "$torch_include" = /usr/include ] || CXXFLAGS+=(-isystem "$torch_include")
LIBS=(-ltorch -ltorch_cpu -lc10)
# shellcheck disable=SC2054
[ -z "${RG_TORCH_LIB:-}" ] || LIBS=(-L"$RG_TORCH_LIB" -Wl,-rpath,"$RG_TORCH_LIB" "${LIBS[@]}")

# Objects are rebuilt when the flags, the source or any header it includes changed.
flags_id=$(printf '%s\n' "$CXX" "${CXXFLAGS[@]}" | cksum | cut -d' ' -f1)
if [ "$(cat "$work/obj/flags" 2> /dev/null)" != "$flags_id" ]; then
  rm -rf "$work/obj"
  mkdir -p "$work/obj"
  echo "$flags_id" > "$work/obj/flags"
fi

obj_of() { echo "$work/obj/$(echo "${1%.cpp}" | tr '/' '_').o"; }

stale() {
  local src=$1 obj dep
  obj=$(obj_of "$src")
  [ -f "$obj" ] && [ -f "$obj.d" ] || return 0
  while read -r dep; do
    [ -z "$dep" ] || [ ! "$dep" -nt "$obj" ] || return 0
  done < <(sed -e 's/^[^:]*://' -e 's/\\$//' "$obj.d" | tr ' ' '\n')
  return 1
}

# compile SRC... : compiles the stale sources, RG_FUZZ_JOBS at a time.
compile() {
  local src pids=() failed=0 pid
  for src in "$@"; do
    stale "$src" || continue
    say "compiling $src"
    run_nice "$CXX" "${CXXFLAGS[@]}" -MMD -MF "$(obj_of "$src").d" -c "$src" -o "$(obj_of "$src")" &
    pids+=($!)
    if [ ${#pids[@]} -ge "$jobs" ]; then
      wait "${pids[0]}" || failed=1
      pids=("${pids[@]:1}")
    fi
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  return $failed
}

CORE_JSON=(native/core/json.cpp)
CORE_CONFIG=(native/core/config.cpp "${CORE_JSON[@]}")
CORE_ST=(native/core/safetensors.cpp "${CORE_JSON[@]}")
CORE_MODEL=(native/core/checkpoint.cpp native/core/safetensors.cpp native/core/model.cpp native/core/schedule.cpp
  native/core/spectrogram.cpp native/core/nets/wavenet.cpp native/core/nets/encoder.cpp "${CORE_CONFIG[@]}")

sources_of() {
  case $1 in
    json) echo native/tests/fuzz/fuzz_json.cpp "${CORE_JSON[@]}" ;;
    config) echo native/tests/fuzz/fuzz_config.cpp "${CORE_CONFIG[@]}" ;;
    safetensors) echo native/tests/fuzz/fuzz_safetensors.cpp "${CORE_ST[@]}" ;;
    checkpoint) echo native/tests/fuzz/fuzz_checkpoint.cpp "${CORE_MODEL[@]}" ;;
    make_seeds) echo native/tests/fuzz/make_seeds.cpp native/core/trainer.cpp native/core/loss.cpp "${CORE_MODEL[@]}" ;;
  esac
}

# link NAME: builds $work/bin/NAME from its sources when any object is newer.
link() {
  local name=$1 srcs objs=() src bin="$work/bin/$1" fresh=1 sanitize=fuzzer,address,undefined libs=()
  read -r -a srcs <<< "$(sources_of "$name")"
  compile "${srcs[@]}" || { say "build of $name failed"; return 1; }
  for src in "${srcs[@]}"; do
    objs+=("$(obj_of "$src")")
    [ "${objs[-1]}" -nt "$bin" ] && fresh=0
  done
  [ -f "$bin" ] || fresh=0
  [ "$fresh" = 0 ] || return 0
  case $name in
    json | config) ;;
    make_seeds) sanitize=address,undefined libs=("${LIBS[@]}") ;;
    *) libs=("${LIBS[@]}") ;;
  esac
  say "linking $name"
  run_nice "$CXX" -fsanitize="$sanitize" "${objs[@]}" "${libs[@]}" -o "$bin"
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

if [ "${RG_FUZZ_SEEDS:-}" = 1 ]; then
  link make_seeds
  mkdir -p test/fuzz/corpus
  run_nice "$work/bin/make_seeds" test/fuzz/corpus
  say "wrote the hand-made seeds into test/fuzz/corpus/"
  exit 0
fi

# --- run ------------------------------------------------------------------------------------------

max_len_of() {
  case $1 in
    json | config) echo 4096 ;;
    *) echo 262144 ;;  # the tiny test model's checkpoints are about 200 KB
  esac
}
dict_of() {
  case $1 in
    json) echo native/tests/fuzz/json.dict ;;
    config) echo native/tests/fuzz/config.dict ;;
    *) echo native/tests/fuzz/safetensors.dict ;;
  esac
}
# A loader may use memory in proportion to its input: with -max_len 256 KB, nothing near 256 MB.
malloc_limit_of() {
  case $1 in
    json | config) echo 512 ;;
    *) echo 256 ;;
  esac
}

corpus_bytes() { find "$1" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'; }
corpus_files() { find "$1" -type f | wc -l; }

summary=()
status=0
for t in "${targets[@]}"; do
  link "$t" || { status=1; summary+=("$t: build failed"); continue; }
  corpus=test/fuzz/corpus/$t
  mkdir -p "$corpus" "$work/work/$t" "$work/artifacts/$t"
  extra=()
  case $t in
    safetensors | checkpoint)
      if [ ! -d "$work/seeds/$t" ]; then
        link make_seeds && run_nice "$work/bin/make_seeds" "$work/seeds" --tiny
      fi
      [ -d "$work/seeds/$t" ] && extra=("$work/seeds/$t")
      ;;
  esac

  log="$work/logs/$t.log"
  artifacts_before=$(find "$work/artifacts/$t" -type f | wc -l)
  rc=0 execs='' rate='' rss=''
  if [ "$seconds" -gt 0 ]; then
    say "running $t for ${seconds}s (log: $log)"
    run_nice "$work/bin/$t" -max_total_time="$seconds" -max_len="$(max_len_of "$t")" -timeout=20 \
      -rss_limit_mb=2048 -malloc_limit_mb="$(malloc_limit_of "$t")" -dict="$(dict_of "$t")" \
      -artifact_prefix="$work/artifacts/$t/" -print_final_stats=1 \
      "$work/work/$t" "$corpus" "${extra[@]}" > "$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -n1)
  fi
  crashes=$(($(find "$work/artifacts/$t" -type f | wc -l) - artifacts_before))
  if [ "$rc" -ne 0 ]; then
    status=1
    say "$t FAILED (exit $rc): see $log and $work/artifacts/$t/"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -n 5 >&2 || true
  fi

  # Keep what reaches new code, within the budget; hand-made seeds and regressions stay. Features
  # are edges only (-use_counters=0): hit-count buckets would keep hundreds of near-duplicates.
  if [ "${RG_FUZZ_MERGE:-1}" = 0 ]; then
    summary+=("$t: ${seconds}s, ${execs:-?} executions (${rate:-?}/s, peak RSS ${rss:-?} MB), exit $rc, $crashes new artifacts")
    continue
  fi
  before=$(mktemp)
  (cd "$corpus" && ls -1) | sort > "$before"
  say "merging new inputs of $t into $corpus"
  run_nice "$work/bin/$t" -merge=1 -use_counters=0 -rss_limit_mb=2048 -malloc_limit_mb="$(malloc_limit_of "$t")" \
    -artifact_prefix="$work/artifacts/$t/" "$corpus" "$work/work/$t" > "$work/logs/$t.merge.log" 2>&1 ||
    say "$t: merge failed, see $work/logs/$t.merge.log"
  mapfile -t added < <((cd "$corpus" && ls -1) | sort | comm -13 "$before" -)
  rm -f "$before"
  dropped=0
  if [ ${#added[@]} -gt 0 ]; then
    files=$(corpus_files "$corpus") bytes=$(corpus_bytes "$corpus")
    while read -r size name; do
      [ "$files" -gt "$max_files" ] || [ "$bytes" -gt "$max_bytes" ] || break
      rm -f "${corpus:?}/$name"
      files=$((files - 1)) bytes=$((bytes - size)) dropped=$((dropped + 1))
    done < <(cd "$corpus" && stat -c '%s %n' "${added[@]}" | sort -rn)
  fi
  kept=$((${#added[@]} - dropped))
  line="$t: ${seconds}s, ${execs:-?} executions (${rate:-?}/s, peak RSS ${rss:-?} MB), exit $rc, $crashes new artifacts;"
  line+=" corpus +$kept (dropped $dropped over budget) = $(corpus_files "$corpus") files, $(($(corpus_bytes "$corpus") / 1024)) KB"
  summary+=("$line")
  echo "$(date -u +%FT%TZ) $line" >> "$work/logs/summary.log"
done

echo
printf '%s\n' "${summary[@]}"
if [ "$status" -ne 0 ]; then
  say "failures above: fix them, then keep each crashing input as a regression in test/fuzz/corpus/TARGET/"
fi
exit "$status"
