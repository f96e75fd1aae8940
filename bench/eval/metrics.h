// Accuracy metrics of PDQ matching at every distance threshold, from the
// outcome of scanning each picture of an evaluation set against a bank of
// the known pictures' hashes; and how a pair of thresholds routes pictures
// (auto-report, review, nothing), with the PDQ quality gate.
//
// Definitions (a "pair" is a query picture and one bank entry):
//  - positives: copies (transformed known pictures). A copy is a true
//    positive at threshold t when its own source's entry is within t.
//  - tpr = tp / positives.
//  - false-positive pairs: (query, entry) pairs within t where the entry is
//    not the query's source (for a distractor: any entry). fp_images:
//    queries with at least one such pair.
//  - nonmatch_pairs: all pairs that could be false positives (a copy has
//    bank_entries - 1, a distractor bank_entries); fp_pairs / nonmatch_pairs
//    is the per-pair false-match rate, which scales to a bigger bank.
//  - precision = tp / (tp + fp_pairs), pairs within t that are right.
//  - *_gated: the same counting only queries whose PDQ quality is at least
//    min_quality, i.e. those allowed to auto-report at that threshold.
// Ratios with a zero denominator are NaN (written as empty CSV fields).
//
// Thread-safety: pure functions.
#ifndef HASHWATCH_BENCH_EVAL_METRICS_H_
#define HASHWATCH_BENCH_EVAL_METRICS_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace hashwatch::bench {

// Largest PDQ distance the sweep looks at (the bank index's maximum radius).
inline constexpr int kMaxThreshold = 64;
// A distance beyond every threshold: "not within kMaxThreshold".
inline constexpr int kBeyond = 1000;

// One scanned picture against the bank, in one matching mode (plain or
// with dihedral variants: then each distance is the least over the eight).
struct QueryOutcome {
  bool is_copy = false;  // a transformed known picture; else a distractor
  int group = -1;        // copies: transform index; distractors: -1
  int quality = 0;       // the query's PDQ quality, 0..100
  // Copies: distance to the source's own entry, or kBeyond.
  int true_distance = kBeyond;
  // Distances (<= kMaxThreshold) to every other entry matched.
  std::vector<int> wrong_distances;
  // Modes with review-only paths (the sweep's robust mode): the least
  // distance to any entry (true or wrong; kBeyond when none within
  // kMaxThreshold) over the hashes allowed to auto-report whose quality
  // passes the gate, and that hash's quality. -1: every hash may
  // auto-report, and `quality` gates (plain and dihedral modes).
  int auto_distance = -1;
  int auto_quality = 0;
};

struct ThresholdStats {
  int threshold = 0;
  int64_t queries = 0;
  int64_t positives = 0;
  int64_t tp = 0;
  int64_t tp_gated = 0;
  int64_t fp_pairs = 0;
  int64_t fp_pairs_gated = 0;
  int64_t fp_images = 0;
  int64_t fp_images_gated = 0;
  int64_t nonmatch_pairs = 0;
  double tpr = 0;        // NaN without positives
  double tpr_gated = 0;  // tp_gated / positives
  double precision = 0;  // NaN without any pair within the threshold
};

// Stats for thresholds 0..kMaxThreshold (65 rows, ascending) over
// `outcomes`, for a bank of `bank_entries` entries.
std::vector<ThresholdStats> SweepThresholds(
    absl::Span<const QueryOutcome* const> outcomes, int64_t bank_entries,
    int min_quality);

enum class Route { kAutoReport, kReview, kNone };

// Where a picture goes under the policy of matcher/bank.h: its closest
// entry at distance d (true or wrong) routes it to auto-report when
// d <= auto_threshold and quality >= min_quality, else to review when
// d <= review_threshold, else nowhere. With auto_distance >= 0, only
// auto_distance (and auto_quality) can auto-report. Requires auto <= review.
Route RouteOf(const QueryOutcome& q, int auto_threshold, int review_threshold,
              int min_quality);

// Pictures per route. Copies are abuse material in the model (a copy of a
// known picture is one whichever entry it matched); distractors are benign.
struct RouteCounts {
  int64_t auto_material = 0;
  int64_t auto_benign = 0;  // false automatic reports
  int64_t review_material = 0;
  int64_t review_benign = 0;
  int64_t missed_material = 0;  // copies matched nowhere
  int64_t none_benign = 0;
  // Copies within auto_threshold that the quality gate (or, in robust
  // mode, a review-only path) sent to review.
  int64_t gated_to_review = 0;
};

RouteCounts CountRoutes(absl::Span<const QueryOutcome* const> outcomes,
                        int auto_threshold, int review_threshold,
                        int min_quality);

}  // namespace hashwatch::bench

#endif  // HASHWATCH_BENCH_EVAL_METRICS_H_
