#!/bin/bash
# Installs spritesim's build and analysis dependencies from Debian 12's packages when they are missing.
# Every package is from Debian; see README.md ("Dependencies") for why each one is here.
set -euo pipefail
PKGS=(g++ pkg-config meson ninja-build libsimgrid-dev libboost-graph-dev libfmt-dev nlohmann-json3-dev doctest-dev
      python3 python3-matplotlib)
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
echo "setup: dependencies present"
