#!/usr/bin/env bash
# Builds the unit tests with sanitizers in a build folder of their own and
# runs them (called by .ci/run after `make test`).
#
#   scripts/sanitize.sh asan   AddressSanitizer + UndefinedBehaviorSanitizer
#                              over every unit-test binary (no subprocess or
#                              Python tests: those run the normal build)
#   scripts/sanitize.sh tsan   ThreadSanitizer over the binaries with
#                              concurrency tests
#
# The build folders (build-asan, build-tsan) keep their ccache entries, so a
# second run only rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

JOBS="${JOBS:-$(nproc)}"
case "${1:-}" in
  asan)
    sanitize="address,undefined"
    binaries=(common_test matcher_test queue_test report_test auth_test
              config_test scan_records_test engine_test corrupt_records_test
              server_test)
    # Leak checking stays on; UBSan findings abort the test.
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    ;;
  tsan)
    sanitize="thread"
    binaries=(queue_test report_test scan_records_test auth_test matcher_test)
    export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
    ;;
  *)
    echo "sanitize: usage: scripts/sanitize.sh asan|tsan" >&2
    exit 2
    ;;
esac

dir="build-$1"
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DHW_SANITIZE="$sanitize" -DHW_BUILD_FUZZ=OFF
cmake --build "$dir" -j "$JOBS" --target "${binaries[@]}"
labels="^($(IFS='|'; echo "${binaries[*]}"))\$"
ctest --test-dir "$dir" -L "$labels" -j "$JOBS" --output-on-failure
