// Parsers for the compact flag values of hashwatch-bench: key=value lists
// ("A=0.2,B=0.3"), shift lists ("9-17:4,22-6:2") and durations.
//
// Thread-safety: pure functions.
#ifndef HASHWATCH_BENCH_EVAL_PARSE_H_
#define HASHWATCH_BENCH_EVAL_PARSE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bench/eval/capacity.h"

namespace hashwatch::bench {

// "k1=v1,k2=v2" -> {k1: v1, k2: v2}; numbers in C syntax; spaces around
// items ignored; "" -> {}. InvalidArgument naming `what` and the bad item
// (missing '=', empty key, bad number, duplicate key).
absl::StatusOr<std::map<std::string, double>> ParseKeyValues(
    absl::string_view text, absl::string_view what);

// "START-END:N[,...]": N moderators from hour START to hour END (0..24,
// fractions allowed; END < START runs past midnight, END == START is 24
// hours). InvalidArgument naming the bad item.
absl::StatusOr<std::vector<ShiftSpec>> ParseShifts(absl::string_view text);

// A comma-separated list of names; empty items dropped.
std::vector<std::string> ParseList(absl::string_view text);

}  // namespace hashwatch::bench

#endif  // HASHWATCH_BENCH_EVAL_PARSE_H_
