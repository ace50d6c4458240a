#!/bin/bash
# Installs spritesim's dependencies from Debian 12's packages when they are missing, then configures and builds
# the project in ./build (release, -j2). Every package is from Debian; README.md ("Dependencies") says why.
set -euo pipefail
cd "$(dirname "$0")"
PKGS=(g++ pkg-config cmake meson ninja-build libsimgrid-dev libboost-graph-dev libfmt-dev nlohmann-json3-dev
      doctest-dev python3 python3-matplotlib nettle-dev make iproute2 parallel)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [[ $(id -u) == 0 ]] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [[ ! -f build/build.ninja ]]; then
  meson setup build --buildtype=release
fi
ninja -C build -j2
echo "setup: built build/tools/spritesim"
