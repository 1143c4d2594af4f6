#!/usr/bin/env bash
# Installs the Debian packages attrax builds with, and python3 (the CLI tests read JSON with it).
# Idempotent: installs only what is missing.
# As root it runs apt-get; otherwise it prints the exact command to run and stops.
#
# Arguments add packages: the groups `aarch64` (cross g++ and qemu-user for 64-bit ARM), `armhf`
# (the same for 32-bit ARM) and `cross` (both), or any Debian package name.
#   scripts/install-deps.sh            the host build
#   scripts/install-deps.sh aarch64    the host build plus what `make test-aarch64` needs
set -euo pipefail

packages=(cmake g++ make libeigen3-dev libxsimd-dev xtl-dev doctest-dev libstb-dev nlohmann-json3-dev
          zlib1g-dev dataset-fashion-mnist python3)
for arg in "$@"; do
  case "$arg" in
    aarch64) packages+=(g++-aarch64-linux-gnu qemu-user) ;;
    armhf) packages+=(g++-arm-linux-gnueabihf qemu-user) ;;
    cross) packages+=(g++-aarch64-linux-gnu g++-arm-linux-gnueabihf qemu-user) ;;
    *) packages+=("$arg") ;;
  esac
done

missing=()
for pkg in "${packages[@]}"; do
  [[ " ${missing[*]-} " == *" $pkg "* ]] && continue
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

command="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "attrax needs these Debian packages: ${missing[*]}" >&2
  echo "run as root:  $command" >&2
  exit 1
fi

echo "installing: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
