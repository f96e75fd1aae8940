// The threshold sweep: how well PDQ matching finds edited copies of known
// pictures, and how often it matches pictures it should not, at every
// distance threshold 0..64.
//
//   SweepOptions options;
//   options.images_dir = "testdata/pictures";
//   options.out_dir = "out/sweep";
//   HW_ASSIGN_OR_RETURN(SweepResult result, RunSweep(options));
//   HW_RETURN_IF_ERROR(WriteSweepOutputs(options, result));
//
// RunSweep builds the evaluation set in memory (bench/eval/evalset.h) or
// reads one written by `hashwatch-bench evalset`, hashes every picture with
// the production hasher (matcher/hashes.h, fast mode unless told), puts the
// known pictures' PDQ hashes in a bank of a real BankStore (a temporary
// RocksDB directory, sync off, removed afterwards), and scans every copy
// and distractor with BankStore::MatchPdq at radius 64, plain and with the
// eight dihedral variants. Every match is checked against a brute-force
// distance computation (an Internal error if they disagree). Metrics are
// defined in bench/eval/metrics.h.
//
// Outputs (WriteSweepOutputs), all in out_dir:
//   sweep.csv    per mode, level (all, distractors, family, transform),
//                group and threshold: counts, TPR, FP, precision
//   split.csv    routing (auto-report / review / nothing) at the chosen pair
//                of thresholds, per mode and transform
//   queries.csv  per scanned picture: quality and the full (0..256)
//                distance to its source and to the nearest other entry
//   distances.csv  per mode and distance 0..256: pairs of a copy and its
//                source, and pairs of different pictures (the histograms;
//                the capacity planner fits its false-match model to them)
//   *.png        plots (gnuplot), and report.html with the plots inlined
// The CSVs depend only on the inputs and options: byte-identical across
// runs and thread counts. report.html also shows run times.
//
// Thread-safety: RunSweep uses options.evalset.threads worker threads
// internally; the functions may be called concurrently.
#ifndef HASHWATCH_BENCH_EVAL_SWEEP_H_
#define HASHWATCH_BENCH_EVAL_SWEEP_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bench/eval/evalset.h"
#include "bench/eval/metrics.h"
#include "matcher/decode.h"

namespace hashwatch::bench {

struct SweepOptions {
  // Input: a folder of benign pictures (split and transformed here), or an
  // evaluation set folder with manifest.csv. Exactly one is required.
  std::string images_dir;
  std::string evalset_dir;
  // Output folder; created if absent; existing outputs are replaced.
  std::string out_dir;
  // The mode the headline numbers, split and plots use first: plain (the
  // query's own hash) or dihedral (the best of its eight variants). Both
  // modes are always computed and written.
  bool dihedral = false;
  // The pair of thresholds for the routing split (matcher/bank.h defaults)
  // and the PDQ quality gate (queries below it never auto-report).
  int auto_threshold = 10;
  int review_threshold = 31;
  int min_quality = 50;
  // Split, transforms, seed and threads (images_dir input only, except
  // threads).
  EvalSetOptions evalset;
  matcher::DecodeMode decode_mode = matcher::DecodeMode::kFast;
  // Draw the PNG plots with gnuplot (required unless off).
  bool plots = true;
  // Shown in the report so that it can be reproduced.
  std::string command_line;
};

// InvalidArgument naming the bad field.
absl::Status ValidateSweepOptions(const SweepOptions& options);

enum class MatchMode { kPlain = 0, kDihedral = 1 };
inline constexpr int kMatchModes = 2;
absl::string_view MatchModeName(MatchMode mode);  // "plain", "dihedral"

// A transform as the sweep groups copies by.
struct SweepGroup {
  std::string name;
  std::string family;
  std::string description;
};

// One scanned picture (a copy or a distractor).
struct SweepQuery {
  std::string file;
  Role role = Role::kCopy;
  std::string source;  // copies: the known picture
  int group = -1;      // copies: index into SweepResult::groups
  int quality = 0;
  int width = 0;
  int height = 0;
  // Full Hamming distances (0..256), per mode: to the source's entry
  // (copies; -1 otherwise) and to the nearest other known picture (-1 when
  // the bank holds no other).
  std::array<int, kMatchModes> source_distance = {-1, -1};
  std::array<int, kMatchModes> nearest_other = {-1, -1};
};

struct SweepResult {
  std::string input;  // the folder swept
  int known = 0;
  int distractors = 0;
  int copies = 0;
  int64_t bank_entries = 0;  // distinct PDQ hashes of the known pictures
  std::vector<SweepGroup> groups;
  std::vector<std::string> families;  // in first-appearance order of groups
  std::vector<SweepQuery>
      queries;  // copies (by source, then group), then distractors
  std::array<std::vector<QueryOutcome>, kMatchModes>
      outcomes;  // aligned with queries
  // Pairs by full distance 0..256: a copy and its source / any other pair.
  std::array<std::array<int64_t, 257>, kMatchModes> same_histogram{};
  std::array<std::array<int64_t, 257>, kMatchModes> different_histogram{};
  std::vector<Failure> failures;     // unreadable or undecodable, with reasons
  std::vector<std::string> ignored;  // files without a picture extension
  // Run statistics (not in the CSVs).
  int threads = 1;
  int64_t pictures_hashed = 0;  // known + distractors + copies
  double hash_seconds = 0;      // generating copies and hashing everything
  double match_seconds = 0;     // bank build and matching
};

// Runs the sweep. Errors: InvalidArgument (options; no usable pictures;
// fewer than one known and one distractor that decode; a bad manifest),
// NotFound / PermissionDenied (input folder), Internal (the bank index and
// brute force disagree), others from the bank store.
absl::StatusOr<SweepResult> RunSweep(const SweepOptions& options);

// The statistics rows of `mode` at `level` ("all", "distractors", "family",
// "transform") for `group` ("" for all/distractors).
std::vector<ThresholdStats> SweepStats(const SweepResult& result,
                                       MatchMode mode, absl::string_view level,
                                       absl::string_view group,
                                       int min_quality);

// The CSV files' contents (see the header comment).
std::string SweepCsv(const SweepResult& result, int min_quality);
std::string SplitCsv(const SweepResult& result, const SweepOptions& options);
std::string QueriesCsv(const SweepResult& result);
std::string DistancesCsv(const SweepResult& result);

// Writes the CSVs, the plots (unless options.plots is off) and report.html
// into options.out_dir. FailedPrecondition when plots are on and gnuplot is
// missing (checked before anything is written); Unavailable on write
// errors.
absl::Status WriteSweepOutputs(const SweepOptions& options,
                               const SweepResult& result);

// A few lines for the terminal: counts, throughput, a table of TPR and
// false positives at some thresholds, the routing split.
std::string SweepSummary(const SweepOptions& options,
                         const SweepResult& result);

}  // namespace hashwatch::bench

#endif  // HASHWATCH_BENCH_EVAL_SWEEP_H_
