# Runs a libFuzzer binary for a fixed number of inputs, for CTest (fuzz.*):
#   cmake -DFUZZER=bin/hash_fuzz -DSEED_DIR=tests/fuzz/seeds
#         -DWORK_DIR=build/tests/fuzz/x -DRUNS=2500 -P run_fuzzer.cmake
# WORK_DIR is emptied first, so every run starts from the seeds alone and,
# with -seed=1, mutates the same way. libFuzzer writes new inputs to its first
# corpus directory (WORK_DIR/corpus), never to SEED_DIR, and saves a failing
# input as WORK_DIR/crash-*, leak-*, timeout-* or oom-*.
foreach(var FUZZER SEED_DIR WORK_DIR RUNS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_fuzzer: -D${var}=... is required")
  endif()
endforeach()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}/corpus")

# -max_len: PNG/TIFF/WebP headers and a little data fit; the 4 MP pixel limit
# in hash_fuzz.cc keeps each decode short. -timeout is per input.
set(command "${FUZZER}" -seed=1 -runs=${RUNS} -max_len=65536 -timeout=10
    -rss_limit_mb=2048 -print_final_stats=1 "-artifact_prefix=${WORK_DIR}/"
    "${WORK_DIR}/corpus" "${SEED_DIR}")
list(JOIN command " " printable)
message(STATUS "run_fuzzer: ${printable}")
execute_process(COMMAND ${command} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "run_fuzzer: ${FUZZER} failed (${rc}); the failing input "
    "is in ${WORK_DIR}; replay it with: ${FUZZER} <that file>")
endif()
