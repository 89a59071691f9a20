#!/usr/bin/env bash
# Builds the native tests (rg_tests, which also replays the fuzz corpora) with AddressSanitizer,
# LeakSanitizer and UndefinedBehaviorSanitizer, and runs them. Exits non-zero on a failed test or on
# any sanitizer report. Our code (native/core, native/tests) is instrumented; LibTorch is not, so
# memory errors inside it go unseen, but leaks of memory it allocates for us are still found (its
# one-time allocations stay reachable and are not reported, so nothing is suppressed).
#
# Usage: bash scripts/sanitize.sh [TEST-NAME-SUBSTRING]
#
# Environment:
#   RG_SANITIZE_DIR  build directory (default ${TMPDIR:-/tmp}/restoregrad-sanitize); reused, so a
#                    second run only rebuilds what changed (emptied when it was of another checkout)
#   CXX              compiler (default: CMake's choice, g++ on Debian)
#   ASAN_OPTIONS, UBSAN_OPTIONS  appended to the defaults below
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${RG_SANITIZE_DIR:-${TMPDIR:-/tmp}/restoregrad-sanitize}
log=$build/rg_tests.log
say() { echo "sanitize: $*" >&2; }

flags="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all"
generator=()
command -v ninja > /dev/null && [ ! -f "$build/Makefile" ] && generator=(-G Ninja)

if [ -f "$build/CMakeCache.txt" ] && ! grep -qx "CMAKE_HOME_DIRECTORY:INTERNAL=$root" "$build/CMakeCache.txt"; then
  say "$build was configured for another checkout; starting it afresh"
  rm -rf "$build"
fi
mkdir -p "$build"
# tcmalloc stays out: it would replace the allocator that AddressSanitizer has to own.
say "configuring $build"
cmake -S "$root" -B "$build" "${generator[@]}" -DRG_BUILD_TESTS=ON -DCMAKE_BUILD_TYPE=Sanitize \
  -DCMAKE_CXX_FLAGS_SANITIZE="$flags" -DCMAKE_EXE_LINKER_FLAGS_SANITIZE="-fsanitize=address,undefined" \
  -DRG_TCMALLOC=OFF > "$build/cmake.log" 2>&1 || { cat "$build/cmake.log" >&2; exit 1; }
say "building rg_tests"
started=$SECONDS
cmake --build "$build" --target rg_tests --parallel "${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
say "built in $((SECONDS - started))s"

# Any report ends the run with a non-zero exit; leaks are reported when the process exits.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

say "running rg_tests (log: $log)"
started=$SECONDS
rc=0
"$build/rg_tests" "$@" 2>&1 | tee "$log" || rc=${PIPESTATUS[0]}
say "ran in $((SECONDS - started))s, exit $rc"
# A report that did not stop the process (e.g. from a thread torch swallowed) still fails the run.
if grep -Eq '^(==[0-9]+==ERROR|SUMMARY: (Address|Undefined|Leak)Sanitizer)|runtime error:' "$log"; then
  say "sanitizer report above"
  [ "$rc" -ne 0 ] || rc=1
fi
exit "$rc"
