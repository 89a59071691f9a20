#!/usr/bin/env bash
# The jest suites read checkpoints back with Debian's Python and numpy (an independent reader) and
# compute reference image metrics with Debian's scikit-image. Installs python3-numpy and
# python3-skimage when missing and this runs as root with apt; otherwise says how.
set -euo pipefail
if /usr/bin/python3 -c 'import numpy, skimage.metrics' 2> /dev/null; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
  echo "restoregrad tests: installing python3-numpy python3-skimage (apt-get)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-numpy python3-skimage > /dev/null
else
  echo "restoregrad tests need /usr/bin/python3 with numpy and scikit-image: sudo apt-get install python3-numpy python3-skimage" >&2
  exit 1
fi
