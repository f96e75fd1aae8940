#!/usr/bin/env bash
# Installs the Debian 12 packages hashwatch needs, and only those missing.
# Idempotent: when everything is present it runs no apt-get at all.
#
#   scripts/install-deps.sh          what the build and the tests need
#   scripts/install-deps.sh --bench  also the benchmark-only peers
#                                    (FAISS, for bench/index_bench) and the
#                                    wallpapers `hashwatch-bench benign`
#                                    builds its benign set from
set -euo pipefail

BENCH=0
for arg in "$@"; do
  case "$arg" in
    --bench) BENCH=1 ;;
    *) echo "install-deps: unknown option $arg (known: --bench)" >&2; exit 2 ;;
  esac
done

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libvips-dev libopencv-dev libjpeg62-turbo-dev
  librocksdb-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  python3-grpcio python3-protobuf
  libabsl-dev nlohmann-json3-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libssl-dev openssl
  clang libclang-rt-14-dev clang-format
  # bench/: plots for the sweep and capacity reports (gnuplot's pngcairo
  # terminal), cairo and the font the evaluation set draws captions with,
  # and the headless browser the report test renders report.html with.
  gnuplot-nox libcairo2-dev fonts-dejavu-core chromium
)

# Benchmark-only: compared against, never linked into hashwatch itself;
# and the wallpapers `hashwatch-bench benign` tiles and rescales (about
# 200 MB; it uses whichever of them are installed).
BENCH_PACKAGES=(libfaiss-dev
  gnome-backgrounds mate-backgrounds plasma-workspace-wallpapers
  sway-backgrounds desktop-base)
if [ "$BENCH" -eq 1 ]; then PACKAGES+=("${BENCH_PACKAGES[@]}"); fi

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
