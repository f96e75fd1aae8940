// Decide killed at each of its steps: a child process (decide_crash_child)
// leases the database's one item and confirms it, raising SIGKILL when the
// decision reaches the step. The test then reopens the database and finds
// either nothing decided (no decision, no report, no bank entry, the
// preview kept) or everything (the decision, its one report, its entries,
// no preview), and a retry of the same decision answers OK with the same
// report. And the flood guard's quarantine across a SIGKILL.
#include <signal.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/review_api/review_fixture.h"
#include "tests/testing/child_process.h"
#include "tests/testing/subprocess.h"

namespace hashwatch::review_api::review_test {
namespace {

using ::hashwatch::testing::BinaryPath;
using ::hashwatch::testing::ChildProcess;
using ::testing::SizeIs;

class DecideCrashTest : public ReviewFixture,
                        public ::testing::WithParamInterface<const char*> {};

TEST_P(DecideCrashTest, KilledAtAStepLeavesAllOrNothing) {
  const std::string step = GetParam();
  PutRevealPreview(item_, "colour-jpeg");
  engine_.reset();  // the child holds the database now

  ChildProcess child({BinaryPath("decide_crash_child"), config_.db,
                      absl::StrCat(absl::ToUnixSeconds(clock_.Now())), step});
  ASSERT_TRUE(child.started());
  std::vector<std::string> lines;
  std::string line;
  while (child.ReadLine(&line)) lines.push_back(line);
  ASSERT_EQ(child.Wait(), -SIGKILL) << "lines: " << absl::StrJoin(lines, "|");
  ASSERT_THAT(lines, SizeIs(1));
  const std::vector<std::string> f = absl::StrSplit(lines[0], ' ');
  ASSERT_EQ(f.size(), 3u);
  ASSERT_EQ(f[0], "L");
  const uint64_t lease = std::stoull(f[2]);
  ASSERT_EQ(std::stoull(f[1]), item_);

  Open();  // completes what the decision left pending
  v1::GetItemRequest get;
  get.set_item_id(item_);
  ASSERT_OK_AND_ASSIGN(v1::ReviewItem item, engine_->GetItem(Lead(), get));
  const bool decided = step != "decide:before";
  if (decided) {
    EXPECT_EQ(item.state(), v1::ITEM_STATE_DECIDED);
    ASSERT_THAT(Reports(), SizeIs(1));
    EXPECT_EQ(BankEntries("internal-confirmed"), 3);
    EXPECT_FALSE(HasRevealPreview(item_));
  } else {
    EXPECT_EQ(item.state(), v1::ITEM_STATE_LEASED);
    EXPECT_THAT(Reports(), SizeIs(0));
    EXPECT_EQ(BankEntries("internal-confirmed"), 0);
    EXPECT_TRUE(HasRevealPreview(item_));
  }

  // The moderator, told nothing, tries again: same answer either way.
  ASSERT_OK_AND_ASSIGN(v1::DecideResponse retried,
                       engine_->Decide(Mod("mod-1"), Confirm(item_, lease)));
  ASSERT_THAT(Reports(), SizeIs(1));
  EXPECT_EQ(retried.report_id(), Reports()[0].id());
  EXPECT_THAT(retried.banked(), SizeIs(3));
  EXPECT_EQ(BankEntries("internal-confirmed"), 3);
  EXPECT_FALSE(HasRevealPreview(item_));
}

// The flood guard's quarantine, stored before the scan that started it was
// answered, survives a SIGKILL.
TEST_F(ReviewFixture, FloodQuarantineSurvivesSigkill) {
  engine_.reset();
  ChildProcess child({BinaryPath("decide_crash_child"), config_.db,
                      absl::StrCat(absl::ToUnixSeconds(clock_.Now())),
                      "flood"});
  ASSERT_TRUE(child.started());
  std::vector<std::string> lines;
  std::string line;
  while (child.ReadLine(&line)) lines.push_back(line);
  ASSERT_EQ(child.Wait(), -SIGKILL) << absl::StrJoin(lines, "|");
  ASSERT_THAT(lines, ::testing::ElementsAre("F QUEUED_FOR_REVIEW"));

  config_.scan.flood_max_distinct_contents = 2;
  Open();
  ASSERT_OK_AND_ASSIGN(v1::ScanResponse r,
                       engine_->Scan(HashScan("f-3", kKnownPdq)));
  EXPECT_EQ(r.verdict(), v1::QUEUED_FOR_REVIEW) << r.reason();
  ASSERT_OK_AND_ASSIGN(v1::QueueStats stats, engine_->Stats());
  EXPECT_THAT(stats.flagged_entries(), SizeIs(1));
}

INSTANTIATE_TEST_SUITE_P(Steps, DecideCrashTest,
                         ::testing::Values("decide:before", "decide:decided",
                                           "decide:reported", "decide:banked",
                                           "decide:purged",
                                           "decide:acknowledged"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string name = std::string(info.param).substr(7);
                           return name;
                         });

}  // namespace
}  // namespace hashwatch::review_api::review_test
