#include "bench/eval/capacity.h"

#include <cmath>

#include "bench/eval/parse.h"
#include "bench/eval/sweep.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hashwatch::bench {
namespace {

using ::hashwatch::testing::StatusIs;
using queue::PriorityClass;
using ::testing::HasSubstr;

// One lane, one class, no welfare limits, always staffed: the queue is an
// M/M/c queue served first come, first served.
CapacityOptions MmcOptions(int c, double lambda, double mu, double days) {
  CapacityOptions o;
  o.match_review_per_hour = 0;
  o.novel_per_hour = 0;
  o.user_reports_per_hour =
      lambda;  // no classifier score, no signals: one base priority
  o.signals.clear();
  o.shifts = {{0, 24, c}};
  o.days_per_week = 7;
  o.items_per_hour = mu;
  o.welfare.max_items_per_hour = 0;
  o.welfare.max_items_per_shift = 0;
  o.welfare.break_after_items = 0;
  o.days = days;
  o.sample_hours = 24;
  o.seed = 7;
  return o;
}

// Erlang C: probability that an arrival waits, for c servers and offered
// load a = lambda / mu (a < c).
double ErlangC(int c, double a) {
  double sum = 0, term = 1;
  for (int k = 0; k < c; ++k) {
    sum += term;
    term *= a / (k + 1);
  }
  const double last = term * c / (c - a);  // a^c / c! * 1 / (1 - rho)
  return last / (sum + last);
}

TEST(CapacityTest, MmcMeanWaitMatchesErlangC) {
  // Two moderators, 12 arrivals and 10 decisions per hour each: rho = 0.6.
  const int c = 2;
  const double lambda = 12, mu = 10;
  const double p_wait = ErlangC(c, lambda / mu);              // 0.45
  const double wq_minutes = p_wait / (c * mu - lambda) * 60;  // 3.375 min
  // P(W > t) = p_wait * exp(-(c mu - lambda) t): the 90th percentile.
  const double p90_minutes =
      std::log(p_wait / 0.1) / (c * mu - lambda) * 60;  // 11.28 min
  // Three independent 60-day replications (about 17,000 items each; one
  // replication's mean wait has a standard error of about 5%), averaged.
  double mean = 0, p90 = 0, utilization = 0;
  for (uint64_t seed : {1, 2, 3}) {
    CapacityOptions o = MmcOptions(c, lambda, mu, 60);
    o.seed = seed;
    ASSERT_OK_AND_ASSIGN(CapacityResult r, SimulateCapacity(o, nullptr));
    const WaitStats& w = r.all;
    ASSERT_GT(w.arrivals, 15000);
    EXPECT_EQ(w.waiting_end + w.served, w.arrivals);
    EXPECT_EQ(r.by_class[static_cast<int>(PriorityClass::kNormal)].arrivals,
              w.arrivals);
    mean += w.mean_minutes / 3;
    p90 += w.p90_minutes / 3;
    utilization += r.flows.utilization / 3;
  }
  EXPECT_NEAR(mean, wq_minutes, 0.10 * wq_minutes);
  EXPECT_NEAR(p90, p90_minutes, 0.10 * p90_minutes);
  EXPECT_NEAR(utilization, lambda / (c * mu), 0.02);
}

TEST(CapacityTest, SameSeedSameCsvs) {
  CapacityOptions o;  // the defaults: a 9-17 team, signals, all lanes
  o.days = 2;
  o.escalate_fraction = 0.05;
  ASSERT_OK_AND_ASSIGN(CapacityResult a, SimulateCapacity(o, nullptr));
  ASSERT_OK_AND_ASSIGN(CapacityResult b, SimulateCapacity(o, nullptr));
  EXPECT_EQ(CapacityCsv(a), CapacityCsv(b));
  EXPECT_EQ(BacklogCsv(a), BacklogCsv(b));
  EXPECT_EQ(FlowsCsv(a), FlowsCsv(b));
  EXPECT_GT(a.flows.escalated, 0);
  o.seed = 2;
  ASSERT_OK_AND_ASSIGN(CapacityResult c, SimulateCapacity(o, nullptr));
  EXPECT_NE(CapacityCsv(a), CapacityCsv(c));
}

TEST(CapacityTest, NightsWithoutShiftsBreachTheCriticalSla) {
  CapacityOptions o;
  o.days = 3;
  o.signals = {{"livestream", 0.3},
               {"grooming", 0.3}};  // plenty of critical items
  ASSERT_OK_AND_ASSIGN(CapacityResult day_only, SimulateCapacity(o, nullptr));
  o.shifts = {{0, 8, 2}, {8, 8, 2}, {16, 8, 2}};
  ASSERT_OK_AND_ASSIGN(CapacityResult around_the_clock,
                       SimulateCapacity(o, nullptr));
  const int critical = static_cast<int>(PriorityClass::kCritical);
  EXPECT_GT(day_only.by_class[critical].arrivals, 10);
  EXPECT_GT(day_only.by_class[critical].breach_fraction, 0.3);
  EXPECT_LT(around_the_clock.by_class[critical].breach_fraction, 0.05);
  // Higher classes are served first when the team is busy.
  EXPECT_LE(around_the_clock.by_class[critical].mean_minutes,
            around_the_clock.by_class[static_cast<int>(PriorityClass::kLow)]
                    .mean_minutes +
                1);
}

TEST(CapacityTest, WelfareLimitsOfTheQueueApply) {
  // One fast moderator, far more items than the hourly limit allows.
  CapacityOptions o = MmcOptions(1, 100, 200, 1);
  o.welfare.max_items_per_hour = 30;
  o.welfare.break_after_items = 25;
  ASSERT_OK_AND_ASSIGN(CapacityResult r, SimulateCapacity(o, nullptr));
  EXPECT_LE(r.all.served, 30 * 24 + 1);
  EXPECT_GT(r.flows.welfare_refusals, 10);
  EXPECT_GT(r.all.waiting_end, 1000);
  EXPECT_TRUE(r.all.lower_bound);
}

TEST(CapacityTest, ImpossibleParametersAreRefused) {
  auto bad = [](std::function<void(CapacityOptions&)> change,
                absl::StatusCode code, const std::string& text) {
    CapacityOptions o;
    change(o);
    EXPECT_THAT(SimulateCapacity(o, nullptr), StatusIs(code, HasSubstr(text)))
        << text;
  };
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  bad([](auto& o) { o.shifts = {{9, 8, 0}}; }, kInvalid, "no moderators");
  bad([](auto& o) { o.novel_per_hour = -1; }, kInvalid, "novel items per hour");
  bad([](auto& o) { o.items_per_hour = 0; }, kInvalid, "items per hour");
  bad([](auto& o) { o.shifts = {{9, 25, 2}}; }, kInvalid, "shift 1");
  bad([](auto& o) { o.days = 0; }, kInvalid, "days");
  bad([](auto& o) { o.days_per_week = 8; }, kInvalid, "days per week");
  bad([](auto& o) { o.auto_threshold = 40; }, kInvalid,
      "above the review threshold");
  bad([](auto& o) { o.review_threshold = 65; }, kInvalid, "review threshold");
  bad([](auto& o) { o.signals = {{"sunburn", 0.1}}; }, kInvalid, "sunburn");
  bad([](auto& o) { o.severity = {{"A", 0}}; }, kInvalid, "severity");
  bad([](auto& o) { o.escalate_fraction = 1.5; }, kInvalid, "escalate");
  bad([](auto& o) { o.welfare.max_items_per_hour = -1; }, kInvalid, "welfare");
  bad([](auto& o) { o.novel_per_hour = 1e6; },
      absl::StatusCode::kResourceExhausted, "at most");
  // Zero moderators is fine when nothing arrives.
  CapacityOptions idle;
  idle.shifts = {{9, 8, 0}};
  idle.match_review_per_hour = idle.novel_per_hour =
      idle.user_reports_per_hour = 0;
  idle.days = 1;
  EXPECT_OK(SimulateCapacity(idle, nullptr).status());
}

// A sweep.csv from a small hand-made sweep result.
std::string SmallSweepCsv() {
  SweepResult r;
  r.known = 3;
  r.bank_entries = 3;
  r.groups = {{"jpeg_q50", "jpeg", ""}};
  r.families = {"jpeg"};
  for (int i = 0; i < 2; ++i)
    r.outcomes[i] = {{true, 0, 80, 4, {}},
                     {true, 0, 80, 20, {}},
                     {true, 0, 80, kBeyond, {}},
                     {false, -1, 80, kBeyond, {50}}};
  return SweepCsv(r, 50);
}

TEST(CapacityTest, RatesFromASweep) {
  ASSERT_OK_AND_ASSIGN(SweepRates rates,
                       ParseSweepRates(SmallSweepCsv(), "plain"));
  EXPECT_DOUBLE_EQ(rates.tpr[3], 0.0);
  EXPECT_DOUBLE_EQ(rates.tpr[4], 1.0 / 3);
  EXPECT_DOUBLE_EQ(rates.tpr[31], 2.0 / 3);
  EXPECT_DOUBLE_EQ(rates.fp_image_rate[49], 0.0);
  EXPECT_DOUBLE_EQ(rates.fp_image_rate[50], 1.0);
  EXPECT_EQ(rates.bank_entries, 3);
  EXPECT_THAT(
      ParseSweepRates("a,b\n1,2\n", "plain"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("header")));
  EXPECT_THAT(ParseSweepRates(SmallSweepCsv(), "sideways"),
              StatusIs(absl::StatusCode::kInvalidArgument));

  CapacityOptions o;
  o.days = 1;
  o.uploads_per_hour = 300;
  o.known_prevalence = 0.1;  // 30 known per hour
  ASSERT_OK_AND_ASSIGN(CapacityResult r, SimulateCapacity(o, &rates));
  // Auto-report at 10: a third of the known; review up to 31: another
  // third; missed: the rest.
  EXPECT_NEAR(r.flows.auto_reported_material, 30 * 24 / 3.0, 1e-6);
  EXPECT_NEAR(r.flows.review_material, 30 * 24 / 3.0, 1e-6);
  EXPECT_NEAR(r.flows.missed_by_thresholds, 30 * 24 / 3.0, 1e-6);
  EXPECT_NEAR(r.flows.false_auto_reports, 0, 1e-9);
  EXPECT_NEAR(r.flows.review_benign, 0, 1e-9);

  o.review_threshold = 50;  // the distractor's match at 50 now reaches review
  ASSERT_OK_AND_ASSIGN(CapacityResult loose, SimulateCapacity(o, &rates));
  EXPECT_NEAR(loose.flows.review_benign, 270 * 24, 1e-6);
  EXPECT_GT(loose.all.arrivals, 5000);  // and they arrive in the simulation
}

TEST(CapacityTest, DistanceModelAndBankScaling) {
  // Different pictures at 128 +- 8 bits: independent-looking bits.
  std::string csv = "mode,distance,same_pairs,different_pairs\n";
  for (int d = 0; d <= 256; ++d) {
    const double z = (d - 128) / 8.0;
    csv += "plain," + std::to_string(d) + ",0," +
           std::to_string(
               static_cast<int>(std::round(1000 * std::exp(-z * z / 2)))) +
           "\n";
  }
  SweepRates rates;
  ASSERT_OK(FitDistanceModel(csv, "plain", &rates));
  EXPECT_NEAR(rates.impostor_mean, 128, 0.5);
  EXPECT_NEAR(rates.impostor_sd, 8, 0.3);
  EXPECT_GT(rates.impostor_dof, 200);
  EXPECT_LT(rates.model_pair_rate[31], 1e-30);
  EXPECT_LT(rates.model_pair_rate[31], rates.model_pair_rate[64]);
  EXPECT_THAT(
      FitDistanceModel(
          "mode,distance,same_pairs,different_pairs\nplain,3,0,2\n", "plain",
          &rates),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("want >= 30")));
}

TEST(CapacityTest, SearchFindsTheHighestAffordableReviewThreshold) {
  ASSERT_OK_AND_ASSIGN(SweepRates rates,
                       ParseSweepRates(SmallSweepCsv(), "plain"));
  CapacityOptions o;
  o.days = 1;
  o.uploads_per_hour =
      100;  // the distractor rate: every benign upload matches at 50
  o.known_prevalence = 0.1;
  o.shifts = {{0, 24, 2}};
  o.signals = {{"livestream", 0.2}};
  ASSERT_OK_AND_ASSIGN(SearchResult s, SearchThresholds(o, rates));
  ASSERT_GE(s.best, 0);
  EXPECT_EQ(s.auto_threshold, 10);
  // Below 50 the load is small; at 50 and above, 90 false matches an hour
  // drown two moderators.
  EXPECT_EQ(s.points[s.best].review_threshold, 49);
  for (const SearchPoint& p : s.points) {
    EXPECT_EQ(p.feasible, p.review_threshold < 50) << p.review_threshold;
  }
  o.search_auto = true;
  ASSERT_OK_AND_ASSIGN(SearchResult with_auto, SearchThresholds(o, rates));
  EXPECT_EQ(with_auto.auto_threshold,
            31);  // the cap; the false match at 50 minus 8 is 42
}

TEST(ParseTest, KeyValuesAndShifts) {
  ASSERT_OK_AND_ASSIGN(auto kv,
                       ParseKeyValues(" A=0.2, B=0.3 ,C=5e-1", "--severity"));
  EXPECT_EQ(kv.size(), 3u);
  EXPECT_DOUBLE_EQ(kv["C"], 0.5);
  EXPECT_THAT(
      ParseKeyValues("A=x", "--severity"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--severity")));
  EXPECT_THAT(ParseKeyValues("A=1,A=2", "--sla"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("twice")));
  ASSERT_OK_AND_ASSIGN(auto shifts, ParseShifts("22-6:2, 9-17:4, 0-0:1"));
  ASSERT_EQ(shifts.size(), 3u);
  EXPECT_DOUBLE_EQ(shifts[0].hours, 8);
  EXPECT_DOUBLE_EQ(shifts[1].start_hour, 9);
  EXPECT_EQ(shifts[1].moderators, 4);
  EXPECT_DOUBLE_EQ(shifts[2].hours, 24);
  EXPECT_THAT(ParseShifts("9-17"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseShifts("25-3:1"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace hashwatch::bench
