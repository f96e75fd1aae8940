#!/usr/bin/env bash
# Fails when a C++ file of the project differs from what clang-format makes
# of it (.clang-format), naming the files. Run by CTest as format.clang_format;
# `scripts/check-format.sh --fix` rewrites them in place instead.
set -euo pipefail
cd "$(dirname "$0")/.."

fix=0
if [ "${1:-}" = "--fix" ]; then fix=1; fi
if ! command -v clang-format > /dev/null; then
  echo "check-format: clang-format is not installed (scripts/install-deps.sh)" >&2
  exit 1
fi

# Tracked files when this is a git checkout, else every source file outside
# build folders; generated code lives in build folders only.
if git rev-parse --is-inside-work-tree > /dev/null 2>&1; then
  mapfile -t files < <(git ls-files -- '*.cc' '*.h')
else
  mapfile -t files < <(find . -path './build*' -prune -o \
    \( -name '*.cc' -o -name '*.h' \) -print | sed 's#^\./##' | sort)
fi

if [ "$fix" -eq 1 ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  if ! clang-format --dry-run --Werror "$f" > /dev/null 2>&1; then bad+=("$f"); fi
done
if [ ${#bad[@]} -gt 0 ]; then
  echo "check-format: ${#bad[@]} file(s) differ from clang-format; run scripts/check-format.sh --fix:" >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "check-format: ${#files[@]} files match .clang-format"
