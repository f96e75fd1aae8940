#include "bench/eval/metrics.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace hashwatch::bench {
namespace {

// The hand-checked example. A bank of 3 entries; min quality 50.
//   c1 copy  q80  own source at 0
//   c2 copy  q80  own source at 12, another entry at 30
//   c3 copy  q30  own source at 5 (below the quality gate)
//   c4 copy  q90  own source beyond 64, another entry at 40
//   d1 distractor q70, an entry at 25
//   d2 distractor q20, an entry at 8 (below the gate)
std::vector<QueryOutcome> Example() {
  std::vector<QueryOutcome> q(6);
  q[0] = {true, 0, 80, 0, {}};
  q[1] = {true, 0, 80, 12, {30}};
  q[2] = {true, 1, 30, 5, {}};
  q[3] = {true, 1, 90, kBeyond, {40}};
  q[4] = {false, -1, 70, kBeyond, {25}};
  q[5] = {false, -1, 20, kBeyond, {8}};
  return q;
}

std::vector<const QueryOutcome*> Ptrs(const std::vector<QueryOutcome>& v) {
  std::vector<const QueryOutcome*> p;
  for (const QueryOutcome& q : v) p.push_back(&q);
  return p;
}

TEST(MetricsTest, HandCheckedExample) {
  const auto q = Example();
  const std::vector<ThresholdStats> rows = SweepThresholds(Ptrs(q), 3, 50);
  ASSERT_EQ(rows.size(), 65u);
  for (int t = 0; t <= 64; ++t) EXPECT_EQ(rows[t].threshold, t);
  // Every copy has 2 non-matching pairs, every distractor 3.
  EXPECT_EQ(rows[0].nonmatch_pairs, 4 * 2 + 2 * 3);
  EXPECT_EQ(rows[0].queries, 6);
  EXPECT_EQ(rows[0].positives, 4);

  // t = 0: c1 only.
  EXPECT_EQ(rows[0].tp, 1);
  EXPECT_EQ(rows[0].tp_gated, 1);
  EXPECT_EQ(rows[0].fp_pairs, 0);
  EXPECT_DOUBLE_EQ(rows[0].tpr, 0.25);
  EXPECT_DOUBLE_EQ(rows[0].precision, 1.0);

  // t = 10: c1, c3 found (c3 not gated); d2's pair at 8 is false (gated out).
  const ThresholdStats& t10 = rows[10];
  EXPECT_EQ(t10.tp, 2);
  EXPECT_EQ(t10.tp_gated, 1);
  EXPECT_DOUBLE_EQ(t10.tpr, 0.5);
  EXPECT_DOUBLE_EQ(t10.tpr_gated, 0.25);
  EXPECT_EQ(t10.fp_pairs, 1);
  EXPECT_EQ(t10.fp_pairs_gated, 0);
  EXPECT_EQ(t10.fp_images, 1);
  EXPECT_EQ(t10.fp_images_gated, 0);
  EXPECT_DOUBLE_EQ(t10.precision, 2.0 / 3.0);

  // t = 31: c1, c2, c3; false pairs c2@30, d1@25, d2@8.
  const ThresholdStats& t31 = rows[31];
  EXPECT_EQ(t31.tp, 3);
  EXPECT_EQ(t31.tp_gated, 2);
  EXPECT_EQ(t31.fp_pairs, 3);
  EXPECT_EQ(t31.fp_pairs_gated, 2);  // c2 (q80) and d1 (q70)
  EXPECT_EQ(t31.fp_images, 3);
  EXPECT_DOUBLE_EQ(t31.precision, 0.5);

  // t = 64: c4's own source is still beyond; its wrong match at 40 counts.
  EXPECT_EQ(rows[64].tp, 3);
  EXPECT_EQ(rows[64].fp_pairs, 4);
  EXPECT_EQ(rows[64].fp_images, 4);
  EXPECT_DOUBLE_EQ(rows[64].tpr, 0.75);
}

TEST(MetricsTest, UndefinedRatiosAreNaN) {
  std::vector<QueryOutcome> d = {{false, -1, 70, kBeyond, {}}};
  const auto rows = SweepThresholds(Ptrs(d), 3, 50);
  EXPECT_TRUE(std::isnan(rows[10].tpr));
  EXPECT_TRUE(std::isnan(rows[10].precision));
  EXPECT_TRUE(std::isnan(SweepThresholds({}, 3, 50)[0].tpr));
}

TEST(MetricsTest, RoutingWithQualityGate) {
  const auto q = Example();
  const RouteCounts c = CountRoutes(Ptrs(q), 10, 31, 50);
  EXPECT_EQ(c.auto_material, 1);    // c1
  EXPECT_EQ(c.review_material, 2);  // c2 (12), c3 (5 but quality 30)
  EXPECT_EQ(c.gated_to_review, 1);  // c3
  EXPECT_EQ(c.missed_material, 1);  // c4 (closest 40)
  EXPECT_EQ(c.auto_benign, 0);
  EXPECT_EQ(c.review_benign, 2);  // d1 (25), d2 (8 but quality 20)
  EXPECT_EQ(c.none_benign, 0);
  EXPECT_EQ(RouteOf(q[3], 10, 40, 50),
            Route::kReview);  // the wrong match at 40
  EXPECT_EQ(RouteOf(q[5], 10, 31, 0),
            Route::kAutoReport);  // no gate: a false report
  const RouteCounts strict = CountRoutes(Ptrs(q), 0, 0, 50);
  EXPECT_EQ(strict.auto_material, 1);
  EXPECT_EQ(strict.missed_material, 3);
  EXPECT_EQ(strict.none_benign, 2);
}

// Robust mode: only hashes allowed to auto-report (auto_distance, with
// their own quality) can auto-report; a region match at distance 3 goes to
// review.
TEST(MetricsTest, ReviewOnlyPathsNeverAutoReport) {
  QueryOutcome region_only{true, 0, 90, 3, {}};
  region_only.auto_distance = kBeyond;  // no auto-eligible hash came close
  EXPECT_EQ(RouteOf(region_only, 10, 31, 50), Route::kReview);
  QueryOutcome unbordered = region_only;
  unbordered.auto_distance = 8;  // the unbordered picture at 8
  unbordered.auto_quality = 70;
  EXPECT_EQ(RouteOf(unbordered, 10, 31, 50), Route::kAutoReport);
  unbordered.auto_quality = 40;  // ... but its hash is below the gate
  EXPECT_EQ(RouteOf(unbordered, 10, 31, 50), Route::kReview);
  // The whole picture's quality does not gate an auto-eligible region.
  QueryOutcome low_whole{false, -1, 10, kBeyond, {9}};
  low_whole.auto_distance = 9;
  low_whole.auto_quality = 80;
  EXPECT_EQ(RouteOf(low_whole, 10, 31, 50), Route::kAutoReport);
  const RouteCounts c = CountRoutes({&region_only, &low_whole}, 10, 31, 50);
  EXPECT_EQ(c.gated_to_review, 1);  // the region match within 10
  EXPECT_EQ(c.auto_benign, 1);
}

}  // namespace
}  // namespace hashwatch::bench
