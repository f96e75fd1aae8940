#include "queue/priority.h"

#include <algorithm>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hashwatch::queue {
namespace {

using ::hashwatch::testing::StatusIs;
using ::testing::HasSubstr;

TEST(PriorityTest, ConfidenceFallsLinearlyFromAutoReportToReviewRadius) {
  EXPECT_DOUBLE_EQ(
      MatchConfidence(
          {.distance = 0, .auto_report_distance = 10, .review_distance = 31}),
      1.0);
  EXPECT_DOUBLE_EQ(
      MatchConfidence(
          {.distance = 10, .auto_report_distance = 10, .review_distance = 30}),
      1.0);
  EXPECT_DOUBLE_EQ(
      MatchConfidence(
          {.distance = 20, .auto_report_distance = 10, .review_distance = 30}),
      0.5);
  EXPECT_DOUBLE_EQ(
      MatchConfidence(
          {.distance = 30, .auto_report_distance = 10, .review_distance = 30}),
      0.0);
  EXPECT_DOUBLE_EQ(
      MatchConfidence(
          {.distance = 40, .auto_report_distance = 10, .review_distance = 30}),
      0.0);
  // Exact hashes: thresholds both 0.
  EXPECT_DOUBLE_EQ(MatchConfidence({.distance = 0}), 1.0);
}

TEST(PriorityTest, BaseAddsEveryTermOfTheFormula) {
  PriorityPolicy p;
  const std::vector<PriorityMatch> matches = {
      {.distance = 20, .auto_report_distance = 10, .review_distance = 30},
      {.distance = 25, .auto_report_distance = 10, .review_distance = 30}};
  const std::vector<std::string> signals = {"grooming", "livestream",
                                            "grooming", "unknown_signal"};
  const PriorityScore s = ScorePriority(p, {.category = "A",
                                            .novel = true,
                                            .matches = matches,
                                            .signals = signals,
                                            .classifier_score = 0.5,
                                            .priority_boost = 3});
  // 40 (A) + 20*0.5 (best match) + 25 (novel) + 20 + 30 (signals, grooming
  // once) + 10*0.5 (classifier) + 3 (boost).
  EXPECT_DOUBLE_EQ(s.base, 40 + 10 + 25 + 50 + 5 + 3);
  EXPECT_EQ(s.priority_class, PriorityClass::kCritical);
}

TEST(PriorityTest,
     UnknownCategoryGetsTheDefaultSeverityAndClassesFollowFloors) {
  PriorityPolicy p;
  EXPECT_DOUBLE_EQ(ScorePriority(p, {.category = "zzz"}).base,
                   p.severity_default);
  EXPECT_EQ(ClassOf(p, 70), PriorityClass::kCritical);
  EXPECT_EQ(ClassOf(p, 69.9), PriorityClass::kHigh);
  EXPECT_EQ(ClassOf(p, 45), PriorityClass::kHigh);
  EXPECT_EQ(ClassOf(p, 20), PriorityClass::kNormal);
  EXPECT_EQ(ClassOf(p, 19.9), PriorityClass::kLow);
}

TEST(PriorityTest, EffectivePriorityRisesWithWaiting) {
  PriorityPolicy p;
  p.aging_per_hour = 4;
  EXPECT_DOUBLE_EQ(EffectivePriority(p, 10, absl::Hours(3)), 22);
  EXPECT_DOUBLE_EQ(EffectivePriority(p, 10, -absl::Hours(3)), 10);
}

// The queue's ordering claim: sorting by virtual enqueue time ascending is
// sorting by effective priority descending, at any later time.
TEST(PriorityTest, VirtualEnqueueTimeOrdersLikeEffectivePriorityAtAnyTime) {
  PriorityPolicy p;
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> base(0, 150);
  std::uniform_int_distribution<int> minutes(0, 60 * 48);
  const absl::Time t0 = absl::FromUnixSeconds(1'700'000'000);
  struct It {
    double base;
    absl::Time lane_time;
    absl::Time v;
  };
  std::vector<It> items;
  for (int i = 0; i < 300; ++i) {
    It it{base(rng), t0 + absl::Minutes(minutes(rng)), {}};
    it.v = VirtualEnqueueTime(p, it.base, it.lane_time);
    items.push_back(it);
  }
  for (int hours : {48, 60, 200}) {
    const absl::Time now = t0 + absl::Hours(hours);
    for (size_t i = 0; i + 1 < items.size(); ++i) {
      const It& a = items[i];
      const It& b = items[i + 1];
      const double ea = EffectivePriority(p, a.base, now - a.lane_time);
      const double eb = EffectivePriority(p, b.base, now - b.lane_time);
      if (std::abs(ea - eb) < 1e-3) continue;  // microsecond rounding
      EXPECT_EQ(ea > eb, a.v < b.v) << "items " << i << " and " << i + 1;
    }
  }
}

TEST(PriorityTest,
     OlderLowItemOvertakesNewerHighItemAfterTheDifferenceInHours) {
  PriorityPolicy p;
  p.aging_per_hour = 4;
  const absl::Time t0 = absl::FromUnixSeconds(1'700'000'000);
  // Base 10 vs base 50: 40 points = 10 hours of waiting.
  EXPECT_GT(VirtualEnqueueTime(p, 10, t0),
            VirtualEnqueueTime(p, 50, t0 + absl::Hours(9)));
  EXPECT_LT(VirtualEnqueueTime(p, 10, t0),
            VirtualEnqueueTime(p, 50, t0 + absl::Hours(11)));
}

TEST(PriorityTest, ValidateRejectsBadPolicies) {
  PriorityPolicy p;
  EXPECT_OK(ValidatePriorityPolicy(p));
  p.aging_per_hour = 0;
  EXPECT_THAT(ValidatePriorityPolicy(p),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("aging_per_hour")));
  p = PriorityPolicy();
  p.severity["X"] = -1;
  EXPECT_THAT(
      ValidatePriorityPolicy(p),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("severity[X]")));
  p = PriorityPolicy();
  p.class_floors = {10, 20, 5};
  EXPECT_THAT(
      ValidatePriorityPolicy(p),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("class_floors")));
}

}  // namespace
}  // namespace hashwatch::queue
