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
// and distractor with BankStore::MatchPdq at radius 64 in three modes:
//  - plain: the picture's own hash;
//  - dihedral: the best of its eight dihedral variants;
//  - robust: the dihedral variants plus the pictures recovered from
//    borders, bars and canvases (matcher/regions.h; HashImage with recover
//    and dihedral on), each with its own dihedral variants.
// Every match is checked against a brute-force distance computation (an
// Internal error if they disagree). Metrics are defined in
// bench/eval/metrics.h.
//
// Paths: each hash a query is matched with comes from one path, "whole"
// (the picture's own hash), "dihedral" (one of its seven other variants),
// "unbordered" (the picture with its borders or bars stripped, any
// variant) or "region" (a rectangle inside a larger canvas, any variant).
// Routing follows the shipped policy: whole, dihedral and unbordered
// matches may auto-report (distance <= auto threshold and that hash's
// quality >= min quality); region matches go to review only.
//
// The benign set (SweepOptions::benign_dir, `hashwatch-bench benign`):
// every picture in it is one more distractor, hashed and matched in every
// mode like the others, and counted per path too (BenignCsv): false-match
// pairs at the review threshold, the closest benign distance to any known
// picture and its margin to the two thresholds.
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
//   paths.csv    robust mode, per family: copies found at the review
//                threshold, by the path that found each closest
//   benign.csv   per mode and per path: distractors (the benign set's
//                and the folder's) with a false match at the review and
//                auto thresholds, false-match pairs, the closest distance
//                and its margins (with --benign or not)
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
  // Optional: a folder of benign pictures (`hashwatch-bench benign`), each
  // one more distractor.
  std::string benign_dir;
  // Output folder; created if absent; existing outputs are replaced.
  std::string out_dir;
  // The mode the headline numbers, split and plots use first: plain (the
  // query's own hash), dihedral (the best of its eight variants) or, with
  // `robust`, robust. All modes are always computed and written.
  bool dihedral = false;
  bool robust = false;
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

enum class MatchMode { kPlain = 0, kDihedral = 1, kRobust = 2 };
inline constexpr int kMatchModes = 3;
// "plain", "dihedral", "robust"
absl::string_view MatchModeName(MatchMode mode);

// Where a matching hash came from (see the header comment). Mode plain
// uses the first path, dihedral the first two, robust all four.
enum class MatchPath {
  kWhole = 0,
  kDihedral = 1,
  kUnbordered = 2,
  kRegion = 3
};
inline constexpr int kMatchPaths = 4;
// "whole", "dihedral", "unbordered", "region"
absl::string_view MatchPathName(MatchPath path);
// The paths mode `mode` matches with: 1, 2 or 4.
int PathsOfMode(MatchMode mode);

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
  bool benign = false;  // a distractor from SweepOptions::benign_dir
  std::string source;   // copies: the known picture
  int group = -1;       // copies: index into SweepResult::groups
  int quality = 0;
  int width = 0;
  int height = 0;
  // Full Hamming distances (0..256), per mode: to the source's entry
  // (copies; -1 otherwise) and to the nearest other known picture (-1 when
  // the bank holds no other).
  std::array<int, kMatchModes> source_distance = {-1, -1, -1};
  std::array<int, kMatchModes> nearest_other = {-1, -1, -1};
  // The same per path (-1 also when the path has no hash: no region was
  // recovered), and how many other known pictures are within the review
  // threshold on that path.
  std::array<int, kMatchPaths> path_source_distance = {-1, -1, -1, -1};
  std::array<int, kMatchPaths> path_nearest_other = {-1, -1, -1, -1};
  std::array<int, kMatchPaths> path_review_pairs = {0, 0, 0, 0};
  int regions = 0;  // recovered regions hashed
};

struct SweepResult {
  std::string input;  // the folder swept
  int known = 0;
  int distractors = 0;  // including the benign set's
  int benign = 0;       // distractors from SweepOptions::benign_dir
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
std::string PathsCsv(const SweepResult& result, const SweepOptions& options);
std::string BenignCsv(const SweepResult& result, const SweepOptions& options);

// False matches of distractors per mode or path (BenignCsv's rows).
struct FalseMatchStats {
  int64_t distractors = 0;
  int64_t matched_review = 0;  // with a pair within the review threshold
  int64_t matched_auto = 0;    // ... within the auto threshold
  int64_t pairs_review = 0;    // (distractor, known) pairs within review
  int closest = -1;            // least distance to a known picture
  std::string closest_file;
};
// Over the distractors (benign_only: the benign set's alone), by mode
// (path < 0; matched_auto counts false automatic reports under the shipped
// routing, quality gate included) or by path (mode ignored; matched_auto
// counts distractors within the auto threshold on that path, gate or not).
FalseMatchStats DistractorFalseMatches(const SweepResult& result,
                                       const SweepOptions& options,
                                       MatchMode mode, int path,
                                       bool benign_only);

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
