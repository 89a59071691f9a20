#!/usr/bin/env bash
# The jest suites read checkpoints back with Debian's Python and numpy (an independent reader),
# compute reference image metrics with Debian's scikit-image, and run the queue tests against a
# real redis-server of their own. Installs python3-numpy, python3-skimage and redis-server when
# missing and this runs as root with apt; otherwise says how.
set -euo pipefail
missing=()
/usr/bin/python3 -c 'import numpy, skimage.metrics' 2> /dev/null || missing+=(python3 python3-numpy python3-skimage)
command -v redis-server > /dev/null || missing+=(redis-server)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
  echo "restoregrad tests: installing ${missing[*]} (apt-get)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
else
  echo "restoregrad tests need /usr/bin/python3 with numpy and scikit-image, and redis-server: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
