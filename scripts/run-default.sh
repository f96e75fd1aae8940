#!/usr/bin/env bash
# `make run`: until the gRPC server exists, hash the benchmark corpus that
# ships beside the project and print the result table.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus="${HASHWATCH_CORPUS:-../shared/corpus}"
if [ ! -d "$corpus" ]; then
  echo "run-default: corpus folder $corpus not found (set HASHWATCH_CORPUS)" >&2
  exit 1
fi
exec ./build/bin/hashwatch hash --threads "$(nproc)" "$corpus"/base/*.jpg "$corpus"/large/*.jpg
