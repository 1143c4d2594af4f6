#!/usr/bin/env bash
# Installs the Debian packages attrax builds with. Idempotent: installs only what is missing.
# As root it runs apt-get; otherwise it prints the exact command to run and stops.
set -euo pipefail

packages=(cmake g++ make libeigen3-dev libxsimd-dev xtl-dev doctest-dev libstb-dev "$@")

missing=()
for pkg in "${packages[@]}"; do
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
