#include "matcher/routing.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hashwatch::matcher {
namespace {

using ::hashwatch::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

std::string PdqHex(int flipped_low_bits) {
  PdqHash h;
  for (int i = 0; i < 16; ++i)
    h.words[i] = static_cast<uint16_t>(0x5a5a ^ (i * 0x1111));
  for (int k = 0; k < flipped_low_bits; ++k)
    h.words[k / 16] ^= static_cast<uint16_t>(1u << (k % 16));
  return h.ToHex();
}

Match MakeMatch(BankKind kind, uint64_t id, SignalType signal,
                std::string value, int distance, BankPolicy policy = {}) {
  Match m;
  m.bank = kind == BankKind::kAllow ? "fp" : "iwf";
  m.kind = kind;
  m.policy = policy;
  m.entry.id = id;
  m.entry.signal = signal;
  m.entry.value = std::move(value);
  m.distance = distance;
  return m;
}

class RoutingTest : public ::testing::Test {
 protected:
  RoutingDecision RouteOne(const std::vector<Match>& m, int quality = 100,
                           const ScanContext& ctx = {}) {
    return Route(m, quality, "content-1", ctx, options_, nullptr);
  }
  RoutingOptions options_;
};

TEST_F(RoutingTest, CloseMatchAutoReportsAndFarMatchGoesToReview) {
  BankPolicy p;  // auto 10, review 31, quality 50
  RoutingDecision d = RouteOne(
      {MakeMatch(BankKind::kMatch, 1, SignalType::kPdq, PdqHex(4), 4, p)});
  EXPECT_EQ(d.verdict, Verdict::kAutoReport);
  EXPECT_EQ(d.best, 0);
  d = RouteOne(
      {MakeMatch(BankKind::kMatch, 1, SignalType::kPdq, PdqHex(20), 20, p)});
  EXPECT_EQ(d.verdict, Verdict::kReview);
  EXPECT_FALSE(d.novel);
  // Beyond the bank's review distance (the index radius may be wider).
  d = RouteOne(
      {MakeMatch(BankKind::kMatch, 1, SignalType::kPdq, PdqHex(35), 35, p)});
  EXPECT_EQ(d.verdict, Verdict::kNoMatch);
}

Match Along(Match m, PathKind kind, std::string path, int quality = -1) {
  m.path_kind = kind;
  m.path = std::move(path);
  m.path_quality = quality;
  return m;
}

TEST_F(RoutingTest, AnUnborderedPictureAutoReportsLikeTheWholeByDefault) {
  BankPolicy p;
  RoutingDecision d = RouteOne(
      {Along(MakeMatch(BankKind::kMatch, 1, SignalType::kPdq, PdqHex(4), 4, p),
             PathKind::kUnbordered, "unbordered")});
  EXPECT_EQ(d.verdict, Verdict::kAutoReport);
  EXPECT_THAT(d.reason, HasSubstr("via unbordered"));
  EXPECT_EQ(EvidenceOf(d.matches[0].match).path, "unbordered");
  p.unbordered_auto_report = false;
  d = RouteOne(
      {Along(MakeMatch(BankKind::kMatch, 1, SignalType::kPdq, PdqHex(4), 4, p),
             PathKind::kUnbordered, "unbordered")});
  EXPECT_EQ(d.verdict, Verdict::kReview);
  EXPECT_THAT(d.reason, HasSubstr("this path goes to review"));
}

TEST_F(RoutingTest, ARegionOfACanvasGoesToReviewUnlessItsBankSaysOtherwise) {
  BankPolicy p;  // region_auto_report_distance -1: never
  const Match exact =
      MakeMatch(BankKind::kMatch, 1, SignalType::kPdq, PdqHex(0), 0, p);
  RoutingDecision d =
      RouteOne({Along(exact, PathKind::kRegion, "region 10,20,300,200")});
  EXPECT_EQ(d.verdict, Verdict::kReview);
  EXPECT_FALSE(d.matches[0].auto_report);
  EXPECT_EQ(EvidenceOf(d.matches[0].match).path, "region 10,20,300,200");
  p.region_auto_report_distance = 3;
  Match close =
      MakeMatch(BankKind::kMatch, 1, SignalType::kPdq, PdqHex(2), 2, p);
  EXPECT_EQ(
      RouteOne({Along(close, PathKind::kRegion, "region 1,1,99,99")}).verdict,
      Verdict::kAutoReport);
  Match farther =
      MakeMatch(BankKind::kMatch, 1, SignalType::kPdq, PdqHex(5), 5, p);
  EXPECT_EQ(
      RouteOne({Along(farther, PathKind::kRegion, "region 1,1,99,99")}).verdict,
      Verdict::kReview);
}

TEST_F(RoutingTest, APathIsJudgedByItsOwnQuality) {
  BankPolicy p;  // min_quality 50
  const Match m =
      MakeMatch(BankKind::kMatch, 1, SignalType::kPdq, PdqHex(2), 2, p);
  // The whole picture's quality is 100; the recovered picture's is 30.
  RoutingDecision d =
      RouteOne({Along(m, PathKind::kUnbordered, "unbordered", 30)}, 100);
  EXPECT_EQ(d.verdict, Verdict::kReview);
  EXPECT_THAT(d.reason, HasSubstr("low quality"));
  d = RouteOne({Along(m, PathKind::kUnbordered, "unbordered", 80)}, 20);
  EXPECT_EQ(d.verdict, Verdict::kAutoReport);
}

TEST_F(RoutingTest, AnEntryFoundAlongSeveralPathsCountsOnceAtItsStrongest) {
  BankPolicy p;
  const Match whole =
      Along(MakeMatch(BankKind::kMatch, 1, SignalType::kPdq, PdqHex(20), 20, p),
            PathKind::kWhole, "whole");
  const Match region =
      Along(MakeMatch(BankKind::kMatch, 1, SignalType::kPdq, PdqHex(1), 1, p),
            PathKind::kRegion, "region 5,5,200,200");
  const Match unbordered =
      Along(MakeMatch(BankKind::kMatch, 1, SignalType::kPdq, PdqHex(6), 6, p),
            PathKind::kUnbordered, "unbordered");
  // The region is closest but may not auto-report; the unbordered picture
  // may: it decides, and the entry is listed once.
  RoutingDecision d = RouteOne({whole, region, unbordered});
  EXPECT_EQ(d.verdict, Verdict::kAutoReport);
  ASSERT_THAT(d.matches, SizeIs(1));
  EXPECT_EQ(d.matches[0].match.path, "unbordered");
  EXPECT_THAT(CountedEvidence(d), SizeIs(1));
  // Without the unbordered finding the closest (the region) is kept.
  d = RouteOne({whole, region});
  EXPECT_EQ(d.verdict, Verdict::kReview);
  ASSERT_THAT(d.matches, SizeIs(1));
  EXPECT_EQ(d.matches[0].match.distance, 1);
}

TEST_F(RoutingTest, ExactHashEvidenceHasNoPath) {
  RoutingDecision d = RouteOne({MakeMatch(BankKind::kMatch, 1, SignalType::kMd5,
                                          std::string(32, 'a'), 0)});
  EXPECT_EQ(EvidenceOf(d.matches[0].match).path, "");
  d = RouteOne(
      {MakeMatch(BankKind::kMatch, 1, SignalType::kPdq, PdqHex(1), 1)});
  EXPECT_EQ(EvidenceOf(d.matches[0].match).path, "whole");
}

TEST_F(RoutingTest, LowQualityOrDisabledAutoReportGoesToReview) {
  BankPolicy p;
  RoutingDecision d = RouteOne(
      {MakeMatch(BankKind::kMatch, 1, SignalType::kPdq, PdqHex(0), 0, p)},
      /*quality=*/49);
  EXPECT_EQ(d.verdict, Verdict::kReview);
  EXPECT_THAT(d.reason, HasSubstr("low quality"));
  p.auto_report_enabled = false;
  d = RouteOne(
      {MakeMatch(BankKind::kMatch, 1, SignalType::kPdq, PdqHex(0), 0, p)});
  EXPECT_EQ(d.verdict, Verdict::kReview);
}

TEST_F(RoutingTest, ExactHashesAutoReportRegardlessOfQuality) {
  RoutingDecision d = RouteOne({MakeMatch(BankKind::kMatch, 1, SignalType::kMd5,
                                          std::string(32, 'a'), 0)},
                               /*quality=*/0);
  EXPECT_EQ(d.verdict, Verdict::kAutoReport);
}

TEST_F(RoutingTest, AllowEntriesSuppressTheMatchesTheyCover) {
  BankPolicy allow_policy;
  allow_policy.review_distance = 8;
  const Match hotline =
      MakeMatch(BankKind::kMatch, 1, SignalType::kPdq, PdqHex(2), 2);
  const Match allow = MakeMatch(BankKind::kAllow, 2, SignalType::kPdq,
                                PdqHex(6), 6, allow_policy);
  RoutingDecision d = RouteOne({hotline, allow});
  EXPECT_EQ(d.verdict, Verdict::kAllowed);
  ASSERT_EQ(d.matches.size(), 1u);
  EXPECT_TRUE(d.matches[0].covered_by_allow);
  // A second hotline entry the allow entry does not cover still reports.
  const Match other =
      MakeMatch(BankKind::kMatch, 3, SignalType::kPdq, PdqHex(30), 5);
  d = RouteOne({hotline, allow, other});
  EXPECT_EQ(d.verdict, Verdict::kAutoReport);
  EXPECT_EQ(d.matches[d.best].match.entry.id, 3u);
  // Exact allow entries cover equal values only.
  d = RouteOne({MakeMatch(BankKind::kMatch, 4, SignalType::kMd5,
                          std::string(32, 'b'), 0),
                MakeMatch(BankKind::kAllow, 5, SignalType::kMd5,
                          std::string(32, 'b'), 0)});
  EXPECT_EQ(d.verdict, Verdict::kAllowed);
}

TEST_F(RoutingTest, UnmatchedFlaggedItemsAreNovel) {
  ScanContext ctx;
  ctx.classifier_score = 0.95;
  RoutingDecision d = RouteOne({}, 100, ctx);
  EXPECT_EQ(d.verdict, Verdict::kReview);
  EXPECT_TRUE(d.novel);
  EXPECT_THAT(d.reason, HasSubstr("classifier"));
  ctx = {};
  ctx.classifier_score = 0.5;
  EXPECT_EQ(RouteOne({}, 100, ctx).verdict, Verdict::kNoMatch);
  ctx.user_report = true;
  EXPECT_TRUE(RouteOne({}, 100, ctx).novel);
  ctx = {};
  ctx.signals = {"spam", "grooming"};
  EXPECT_THAT(RouteOne({}, 100, ctx).reason, HasSubstr("grooming"));
  ctx.signals = {"spam"};
  EXPECT_EQ(RouteOne({}, 100, ctx).verdict, Verdict::kNoMatch);
}

TEST_F(RoutingTest, FloodGuardDemotesAnEntryMatchingTooManyContents) {
  FakeClock clock;
  FloodGuard guard({.max_distinct_contents = 3, .window = absl::Hours(1)},
                   &clock);
  const std::vector<Match> m = {
      MakeMatch(BankKind::kMatch, 7, SignalType::kPdq, PdqHex(0), 0)};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(
        Route(m, 100, "c" + std::to_string(i), {}, options_, &guard).verdict,
        Verdict::kAutoReport);
  }
  // The same content again is not a new distinct content.
  EXPECT_EQ(Route(m, 100, "c0", {}, options_, &guard).verdict,
            Verdict::kAutoReport);
  RoutingDecision d = Route(m, 100, "c3", {}, options_, &guard);
  EXPECT_EQ(d.verdict, Verdict::kReview);
  EXPECT_TRUE(d.matches[0].flooding);
  EXPECT_THAT(d.flagged_entries, ElementsAre(7u));
  EXPECT_THAT(guard.Flagged(), ElementsAre(7u));
  // Once the window has passed the entry reports again.
  clock.Advance(absl::Hours(2));
  EXPECT_EQ(Route(m, 100, "c4", {}, options_, &guard).verdict,
            Verdict::kAutoReport);
}

// A quarantine is handed to `persist` when it starts and, while the entry
// keeps flooding, about twice a window; Restore puts it back in a new guard.
TEST_F(RoutingTest, FloodQuarantineIsPersistedAndRestored) {
  FakeClock clock;
  std::vector<std::pair<uint64_t, absl::Time>> stored;
  FloodGuardOptions options{.max_distinct_contents = 1,
                            .window = absl::Hours(1),
                            .persist = [&](uint64_t entry, absl::Time until) {
                              stored.emplace_back(entry, until);
                              return absl::OkStatus();
                            }};
  FloodGuard guard(options, &clock);
  EXPECT_FALSE(guard.RecordAndCheck(7, "c0"));
  EXPECT_TRUE(guard.RecordAndCheck(7, "c1"));
  ASSERT_THAT(stored, SizeIs(1));
  EXPECT_EQ(stored[0].second, clock.Now() + absl::Hours(1));
  clock.Advance(absl::Minutes(10));
  EXPECT_TRUE(guard.RecordAndCheck(7, "c2"));
  EXPECT_THAT(stored, SizeIs(1)) << "the stored end is still far enough";
  clock.Advance(absl::Minutes(25));
  EXPECT_TRUE(guard.RecordAndCheck(7, "c3"));
  ASSERT_THAT(stored, SizeIs(2));
  EXPECT_EQ(stored[1].second, clock.Now() + absl::Hours(1));

  FloodGuard restarted({.max_distinct_contents = 1, .window = absl::Hours(1)},
                       &clock);
  restarted.Restore(stored[1].first, stored[1].second);
  EXPECT_THAT(restarted.Flagged(), ElementsAre(7u));
  EXPECT_TRUE(restarted.RecordAndCheck(7, "c4")) << "still quarantined";
  clock.Advance(absl::Hours(1));
  EXPECT_FALSE(restarted.RecordAndCheck(7, "c5"));
}

TEST_F(RoutingTest, ValidatesRanges) {
  ScanContext ctx;
  ctx.classifier_score = 1.5;
  EXPECT_THAT(ValidateScanContext(ctx),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("classifier_score")));
  RoutingOptions o;
  o.novel_classifier_threshold = -0.1;
  EXPECT_THAT(ValidateRoutingOptions(o),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_OK(ValidateRoutingOptions(RoutingOptions{}));
}

}  // namespace
}  // namespace hashwatch::matcher
