#!/usr/bin/env bash
# Locates (or, as root on Debian/Ubuntu, installs) the LibTorch that the native addon builds against.
#
# Usage: bash scripts/setup-libtorch.sh [--check] [--print-cmake-args] [--print-prefix]
#   (none)              find LibTorch, install what is missing when possible, print the cmake export
#   --check             report only: exit 0 when nothing is missing, 1 otherwise; installs nothing
#   --print-cmake-args  print the cmake-js arguments (--CDTorch_DIR=...) on stdout, one per line
#   --print-prefix      print the LibTorch prefix (holding include/ and lib/) on stdout, for binding.gyp
#
# Search order: $LIBTORCH or $Torch_DIR; the PyTorch of `python3`; the system (libtorch-dev).
# Only machine-readable output goes to stdout; messages go to stderr, and say nothing more than what
# was found when everything is in place.
set -euo pipefail

mode=setup
for arg in "$@"; do
  case "$arg" in
    --check) mode=check ;;
    --print-cmake-args) mode=cmake-args ;;
    --print-prefix) mode=prefix ;;
    -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup-libtorch: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

say() { echo "setup-libtorch: $*" >&2; }

# Everything a build from source needs on Debian. The BLAS and tcmalloc are not hard dependencies of
# libtorch-dev, but LibTorch is several times slower with the reference BLAS and the native tests and
# benchmarks link tcmalloc when present. Gloo's headers (apart from libtorch-dev) enable
# data-parallel training.
APT_PACKAGES=(libtorch-dev nlohmann-json3-dev libopenblas0-openmp libtcmalloc-minimal4 libgloo-dev cmake g++ make)
RUNTIME_PACKAGES=(libopenblas0-openmp libtcmalloc-minimal4 libgloo-dev)

can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; }
deb_installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2> /dev/null)" = "install ok installed" ]; }

apt_install() {
  say "installing $*"
  say "running: apt-get update && apt-get install -y --no-install-recommends $*"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "$@" >&2
}

# The folder holding TorchConfig.cmake, given a LibTorch archive, a cmake prefix or the folder itself.
torch_dir_in() {
  local d
  for d in "$1" "$1/Torch" "$1/share/cmake/Torch" "$1"/lib/*/cmake/Torch "$1/lib/cmake/Torch"; do
    if [ -f "$d/TorchConfig.cmake" ]; then (cd "$d" && pwd -P); return 0; fi
  done
  return 1
}

# The prefix holding include/torch: the cmake folder sits 3 (share/cmake/Torch) or 4
# (lib/<triplet>/cmake/Torch) levels below it.
prefix_of() {
  local d=$1 _
  for _ in 1 2 3 4 5; do
    d=$(dirname "$d")
    if [ -d "$d/include/torch" ]; then echo "$d"; return 0; fi
  done
  return 1
}

version_of() {
  sed -n 's/.*PACKAGE_VERSION "\([^"]*\)".*/\1/p' "$1/TorchConfigVersion.cmake" 2> /dev/null || true
}

torch_dir='' origin=''
find_libtorch() {
  local var d py
  # An explicit choice wins, and a wrong one is an error rather than silently using another LibTorch.
  for var in LIBTORCH Torch_DIR; do
    d=${!var:-}
    [ -n "$d" ] || continue
    if torch_dir=$(torch_dir_in "$d"); then origin="\$$var"; return 0; fi
    say "$var=$d holds no TorchConfig.cmake (expected an unpacked LibTorch archive, a PyTorch"
    say "install prefix or the folder of TorchConfig.cmake); fix it or unset $var to search elsewhere"
    exit 1
  done
  # A PyTorch wheel ships LibTorch; PATH's python3 first so that an active virtualenv wins.
  for py in python3 /usr/bin/python3; do
    command -v "$py" > /dev/null || continue
    d=$(timeout 120 "$py" -c 'import torch; print(torch.utils.cmake_prefix_path)' 2> /dev/null) || continue
    # Debian's python3-torch reports a cmake path that does not exist; its LibTorch is found below.
    if [ -n "$d" ] && torch_dir=$(torch_dir_in "$d"); then origin="PyTorch of $(command -v "$py")"; return 0; fi
  done
  for d in /usr/lib/*/cmake/Torch /usr/lib/cmake/Torch /usr/local/lib/cmake/Torch /usr/local/share/cmake/Torch; do
    if torch_dir=$(torch_dir_in "$d"); then origin=system; return 0; fi
  done
  if command -v dpkg > /dev/null && deb_installed libtorch-dev; then
    d=$(dpkg -L libtorch-dev | grep '/TorchConfig\.cmake$' | head -n1) || true
    if [ -n "$d" ] && torch_dir=$(torch_dir_in "$(dirname "$d")"); then origin=system; return 0; fi
  fi
  return 1
}

missing_tools() {
  local t
  for t in cmake c++; do command -v "$t" > /dev/null || echo "$t"; done
  command -v make > /dev/null || command -v ninja > /dev/null || echo make
}

manual_fix() {
  local pkgs=("$@") sudo='sudo '
  if [ "$(id -u)" = 0 ]; then sudo=''; fi
  if command -v apt-get > /dev/null; then
    say "run:  ${sudo}apt-get update && ${sudo}apt-get install -y ${pkgs[*]}"
  else
    say "install a C++17 compiler, cmake >= 3.18 and LibTorch (\`pip install torch\`, or unpack a"
    say "LibTorch archive and export LIBTORCH=/path/to/libtorch), then run this script again"
  fi
}

# Only a plain run changes the system; the other modes just look.
may_install() { [ "$mode" != check ] && [ "$mode" != prefix ] && can_apt; }

if ! find_libtorch || [ -n "$(missing_tools)" ]; then
  if [ -z "$torch_dir" ]; then say "LibTorch not found"; fi
  if [ -n "$(missing_tools)" ]; then say "missing build tools: $(missing_tools | xargs)"; fi
  if ! may_install; then
    manual_fix "${APT_PACKAGES[@]}"
    exit 1
  fi
  apt_install "${APT_PACKAGES[@]}"
  find_libtorch || { say "LibTorch still not found after installing libtorch-dev"; exit 1; }
fi

# Debian's TorchConfigVersion.cmake says 1.13.0 for 1.13.1, so ask dpkg when it owns the files.
version=$(version_of "$torch_dir") debian=''
if command -v dpkg > /dev/null && [[ "$(dpkg -S "$torch_dir/TorchConfig.cmake" 2> /dev/null)" == libtorch-dev:* ]]; then
  debian=1
  version=$(dpkg-query -W -f='${Version}' libtorch-dev | sed 's/+.*//')
fi
say "LibTorch ${version:-(unknown version)} from $origin: $torch_dir"

# The Debian LibTorch should run on OpenBLAS with OpenMP, tcmalloc serves the native tests, and
# data-parallel training builds against Gloo's headers.
if [ -n "$debian" ]; then
  missing=()
  for p in "${RUNTIME_PACKAGES[@]}"; do deb_installed "$p" || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    if may_install; then
      apt_install "${missing[@]}"
    else
      say "missing recommended packages: ${missing[*]}"
      manual_fix "${missing[@]}"
      if [ "$mode" = check ]; then exit 1; fi
    fi
  fi
fi

# The core reads JSON with nlohmann/json (header-only), whichever LibTorch it builds against.
have_json() {
  local d
  for d in /usr/share/cmake/nlohmann_json /usr/lib/*/cmake/nlohmann_json /usr/local/share/cmake/nlohmann_json \
    /usr/local/lib/cmake/nlohmann_json "$(dirname "$0")/../build-deps/share/cmake/nlohmann_json"; do
    [ -f "$d/nlohmann_jsonConfig.cmake" ] && return 0
  done
  return 1
}
if ! have_json; then
  if may_install; then
    apt_install nlohmann-json3-dev
  else
    say "nlohmann/json not found (a build needs its headers)"
    manual_fix nlohmann-json3-dev
    if [ "$mode" = check ]; then exit 1; fi
  fi
fi

case "$mode" in
  cmake-args) echo "--CDTorch_DIR=$torch_dir" ;;
  prefix) prefix_of "$torch_dir" || { say "no include/torch above $torch_dir"; exit 1; } ;;
  check) ;;
  *) echo "export Torch_DIR=$torch_dir" ;;
esac
