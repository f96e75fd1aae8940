#!/usr/bin/env bash
# Installs the Debian 12 packages hashwatch needs, and only those missing.
# Idempotent: when everything is present it runs no apt-get at all.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libvips-dev libopencv-dev libjpeg62-turbo-dev
  librocksdb-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev nlohmann-json3-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libssl-dev
  clang libclang-rt-14-dev
  # bench/: plots for the sweep and capacity reports (gnuplot's pngcairo
  # terminal), the fonts vips_text draws overlaid text with, and the headless
  # browser the report test renders report.html with.
  gnuplot-nox fonts-dejavu-core chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
