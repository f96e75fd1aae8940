// The sweep's robust-mode and benign-set outputs (private to bench/eval):
// the report section and the terminal lines; PathsCsv, BenignCsv and
// DistractorFalseMatches (declared in bench/eval/sweep.h) live beside them.
//
// Thread-safety: pure functions.
#ifndef HASHWATCH_BENCH_EVAL_INTERNAL_SWEEP_PATHS_H_
#define HASHWATCH_BENCH_EVAL_INTERNAL_SWEEP_PATHS_H_

#include <string>

#include "bench/eval/html.h"
#include "bench/eval/sweep.h"

namespace hashwatch::bench::internal {

// The path with the least distance to the copy's own source ("whole",
// "dihedral", "unbordered", "region"; ties go to the earlier path); "" for
// distractors.
std::string BestPathName(const SweepQuery& query);

// Section "Robust mode, paths and false matches" of report.html.
void AppendRobustHtml(const SweepOptions& options, const SweepResult& result,
                      HtmlReport& html);

// Terminal lines: per-family recall in the three modes with robust
// routing, and false matches per mode and path with their margins.
std::string RobustSummary(const SweepOptions& options,
                          const SweepResult& result);

}  // namespace hashwatch::bench::internal

#endif  // HASHWATCH_BENCH_EVAL_INTERNAL_SWEEP_PATHS_H_
