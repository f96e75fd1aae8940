#include "bench/eval/metrics.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace hashwatch::bench {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int kRows = kMaxThreshold + 1;

double Ratio(int64_t num, int64_t den) {
  return den == 0 ? kNaN : static_cast<double>(num) / static_cast<double>(den);
}

// Adds 1 at `d` (if within range) of a per-distance histogram.
void Count(std::array<int64_t, kRows>& h, int d) {
  if (d >= 0 && d <= kMaxThreshold) ++h[d];
}

int BestDistance(const QueryOutcome& q) {
  int best = q.is_copy ? q.true_distance : kBeyond;
  for (int d : q.wrong_distances) best = std::min(best, d);
  return best;
}

}  // namespace

std::vector<ThresholdStats> SweepThresholds(
    absl::Span<const QueryOutcome* const> outcomes, int64_t bank_entries,
    int min_quality) {
  // Histograms by distance, then running sums: O(queries + thresholds).
  std::array<int64_t, kRows> tp{}, tp_gated{}, fp_pairs{}, fp_pairs_gated{},
      fp_images{}, fp_images_gated{};
  int64_t positives = 0, nonmatch = 0;
  for (const QueryOutcome* q : outcomes) {
    const bool trusted = q->quality >= min_quality;
    if (q->is_copy) {
      ++positives;
      nonmatch += std::max<int64_t>(0, bank_entries - 1);
      Count(tp, q->true_distance);
      if (trusted) Count(tp_gated, q->true_distance);
    } else {
      nonmatch += bank_entries;
    }
    int nearest_wrong = kBeyond;
    for (int d : q->wrong_distances) {
      Count(fp_pairs, d);
      if (trusted) Count(fp_pairs_gated, d);
      nearest_wrong = std::min(nearest_wrong, d);
    }
    Count(fp_images, nearest_wrong);
    if (trusted) Count(fp_images_gated, nearest_wrong);
  }
  std::vector<ThresholdStats> rows(kRows);
  ThresholdStats run;
  run.queries = static_cast<int64_t>(outcomes.size());
  run.positives = positives;
  run.nonmatch_pairs = nonmatch;
  for (int t = 0; t < kRows; ++t) {
    run.threshold = t;
    run.tp += tp[t];
    run.tp_gated += tp_gated[t];
    run.fp_pairs += fp_pairs[t];
    run.fp_pairs_gated += fp_pairs_gated[t];
    run.fp_images += fp_images[t];
    run.fp_images_gated += fp_images_gated[t];
    run.tpr = Ratio(run.tp, positives);
    run.tpr_gated = Ratio(run.tp_gated, positives);
    run.precision = Ratio(run.tp, run.tp + run.fp_pairs);
    rows[t] = run;
  }
  return rows;
}

Route RouteOf(const QueryOutcome& q, int auto_threshold, int review_threshold,
              int min_quality) {
  const int best = BestDistance(q);
  const bool paths = q.auto_distance >= 0;
  if ((paths ? q.auto_distance : best) <= auto_threshold &&
      (paths ? q.auto_quality : q.quality) >= min_quality) {
    return Route::kAutoReport;
  }
  if (best <= review_threshold) return Route::kReview;
  return Route::kNone;
}

RouteCounts CountRoutes(absl::Span<const QueryOutcome* const> outcomes,
                        int auto_threshold, int review_threshold,
                        int min_quality) {
  RouteCounts c;
  for (const QueryOutcome* q : outcomes) {
    const Route r = RouteOf(*q, auto_threshold, review_threshold, min_quality);
    if (q->is_copy) {
      c.auto_material += r == Route::kAutoReport;
      c.review_material += r == Route::kReview;
      c.missed_material += r == Route::kNone;
      c.gated_to_review +=
          r == Route::kReview && BestDistance(*q) <= auto_threshold;
    } else {
      c.auto_benign += r == Route::kAutoReport;
      c.review_benign += r == Route::kReview;
      c.none_benign += r == Route::kNone;
    }
  }
  return c;
}

}  // namespace hashwatch::bench
