// Who may read, reveal and decide a review item (need-to-know, leases
// bound to a token), what a decision leaves behind (report, bank entries,
// no unblurred preview) whatever happens to the lease meanwhile, retried
// decisions, the reveal previews' retention, the flood guard across a
// restart, and the database folders' permissions.
#include <sys/stat.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/review_api/review_fixture.h"

namespace hashwatch::review_api::review_test {
namespace {

using ::hashwatch::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

using EngineDecideTest = ReviewFixture;

v1::GetItemRequest Get(uint64_t item) {
  v1::GetItemRequest get;
  get.set_item_id(item);
  return get;
}

v1::RevealRequest RevealOf(uint64_t item) {
  v1::RevealRequest reveal;
  reveal.set_item_id(item);
  reveal.set_reason("check the colours");
  return reveal;
}

// ------------------------------------------------------- need to know ---

TEST_F(EngineDecideTest, ModeratorReadsOnlyTheItemsLeasedToThem) {
  EXPECT_THAT(engine_->GetItem(Mod("mod-1"), Get(item_)),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("not leased to you")));
  const v1::LeasedItem leased = LeaseOne(Mod("mod-1"));
  ASSERT_EQ(leased.item().id(), item_);
  EXPECT_OK(engine_->GetItem(Mod("mod-1"), Get(item_)).status());
  EXPECT_THAT(engine_->GetItem(Mod("mod-2"), Get(item_)),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("not leased to you")));
  EXPECT_OK(engine_->GetItem(Lead(), Get(item_)).status());
  // Once the lease has expired, not even its holder reads the item.
  clock_.Advance(config_.review.lease_duration);
  EXPECT_THAT(engine_->GetItem(Mod("mod-1"), Get(item_)),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(EngineDecideTest, ReCreatedTokenOfTheSameNameInheritsNoLease) {
  const v1::LeasedItem leased = LeaseOne(Mod("mod-1"));
  const Reviewer again{.name = "mod-1", .token_id = "id-of-the-new-token"};
  EXPECT_THAT(engine_->GetItem(again, Get(item_)),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("not leased to you")));
  EXPECT_THAT(engine_->Reveal(again, RevealOf(item_)),
              StatusIs(absl::StatusCode::kPermissionDenied));
  v1::ExtendLeaseRequest extend;
  extend.set_item_id(item_);
  extend.set_lease_id(leased.lease_id());
  EXPECT_THAT(engine_->ExtendLease(again, extend),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("another token")));
  EXPECT_THAT(engine_->Decide(again, Confirm(item_, leased.lease_id())),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("another token")));
  EXPECT_THAT(Reports(), IsEmpty());
  EXPECT_OK(engine_->Decide(Mod("mod-1"), Confirm(item_, leased.lease_id()))
                .status());
}

TEST_F(EngineDecideTest, EscalatedItemsAreForLeadsOnly) {
  const v1::LeasedItem leased = LeaseOne(Mod("mod-1"));
  v1::DecideRequest escalate;
  escalate.set_item_id(item_);
  escalate.set_lease_id(leased.lease_id());
  escalate.set_kind(v1::DECISION_KIND_ESCALATE);
  ASSERT_OK(engine_->Decide(Mod("mod-1"), escalate).status());
  EXPECT_THAT(
      engine_->GetItem(Mod("mod-1"), Get(item_)),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("escalated")));
  EXPECT_THAT(
      engine_->Reveal(Mod("mod-1"), RevealOf(item_)),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("escalated")));
  ASSERT_OK_AND_ASSIGN(v1::ReviewItem item,
                       engine_->GetItem(Lead(), Get(item_)));
  EXPECT_EQ(item.lane(), "escalation");
}

TEST_F(EngineDecideTest, RevealNeedsTheLeaseForModeratorsAndIsAudited) {
  PutRevealPreview(item_, "colour-jpeg");
  EXPECT_THAT(engine_->Reveal(Mod("mod-2"), RevealOf(item_)),
              StatusIs(absl::StatusCode::kPermissionDenied));
  LeaseOne(Mod("mod-1"));
  EXPECT_THAT(engine_->Reveal(Mod("mod-2"), RevealOf(item_)),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("not leased to you")));
  ASSERT_OK_AND_ASSIGN(v1::RevealResponse mine,
                       engine_->Reveal(Mod("mod-1"), RevealOf(item_)));
  EXPECT_EQ(mine.image_jpeg(), "colour-jpeg");
  ASSERT_OK_AND_ASSIGN(v1::RevealResponse lead,
                       engine_->Reveal(Lead(), RevealOf(item_)));
  EXPECT_EQ(lead.image_jpeg(), "colour-jpeg");
  ASSERT_OK_AND_ASSIGN(v1::ReviewItem item,
                       engine_->GetItem(Lead(), Get(item_)));
  int reveals = 0;
  for (const auto& h : item.history()) reveals += h.event() == "reveal";
  EXPECT_EQ(reveals, 2);
}

// ---------------------------------------------------------- decisions ---

TEST_F(EngineDecideTest, RetriedDecisionAnswersTheSameAndFilesNothingNew) {
  PutRevealPreview(item_, "colour-jpeg");
  const v1::LeasedItem leased = LeaseOne(Mod("mod-1"));
  const v1::DecideRequest confirm = Confirm(item_, leased.lease_id());
  ASSERT_OK_AND_ASSIGN(v1::DecideResponse first,
                       engine_->Decide(Mod("mod-1"), confirm));
  ASSERT_FALSE(first.report_id().empty());
  ASSERT_OK_AND_ASSIGN(v1::DecideResponse again,
                       engine_->Decide(Mod("mod-1"), confirm));
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  EXPECT_THAT(Reports(), SizeIs(1));
  EXPECT_EQ(BankEntries("internal-confirmed"), 3);  // pdq, md5, sha256
  // Another decision on the same lease is no retry.
  v1::DecideRequest reject = confirm;
  reject.set_kind(v1::DECISION_KIND_REJECT);
  reject.clear_category();
  EXPECT_THAT(engine_->Decide(Mod("mod-1"), reject),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("already decided")));
  EXPECT_THAT(engine_->Decide(Mod("mod-2"), confirm),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_FALSE(HasRevealPreview(item_));
}

TEST_F(EngineDecideTest, LeaseExpiringAfterTheDecisionLosesNothing) {
  const v1::LeasedItem leased = LeaseOne(Mod("mod-1"));
  engine_->SetStepHookForTesting([this](absl::string_view step) {
    if (step == "decide:decided") clock_.Advance(absl::Hours(1));
  });
  ASSERT_OK_AND_ASSIGN(
      v1::DecideResponse decided,
      engine_->Decide(Mod("mod-1"), Confirm(item_, leased.lease_id())));
  ASSERT_THAT(Reports(), SizeIs(1));
  EXPECT_EQ(Reports()[0].id(), decided.report_id());
  EXPECT_EQ(BankEntries("internal-confirmed"), decided.banked_size());
  ASSERT_OK_AND_ASSIGN(v1::ReviewItem item,
                       engine_->GetItem(Lead(), Get(item_)));
  EXPECT_EQ(item.state(), v1::ITEM_STATE_DECIDED);
}

TEST_F(EngineDecideTest, LeaseExpiringBeforeTheDecisionChangesNothing) {
  const v1::LeasedItem leased = LeaseOne(Mod("mod-1"));
  engine_->SetStepHookForTesting([this](absl::string_view step) {
    if (step == "decide:before") clock_.Advance(absl::Hours(1));
  });
  EXPECT_THAT(
      engine_->Decide(Mod("mod-1"), Confirm(item_, leased.lease_id())),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("expired")));
  EXPECT_THAT(Reports(), IsEmpty());
  EXPECT_EQ(BankEntries("internal-confirmed"), 0);
}

// ------------------------------------------------------------ retention ---

TEST_F(EngineDecideTest, RejectDeletesTheUnblurredPreview) {
  PutRevealPreview(item_, "colour-jpeg");
  const v1::LeasedItem leased = LeaseOne(Mod("mod-1"));
  v1::DecideRequest reject;
  reject.set_item_id(item_);
  reject.set_lease_id(leased.lease_id());
  reject.set_kind(v1::DECISION_KIND_REJECT);
  ASSERT_OK(engine_->Decide(Mod("mod-1"), reject).status());
  EXPECT_THAT(
      engine_->Reveal(Lead(), RevealOf(item_)),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("decided")));
  EXPECT_FALSE(HasRevealPreview(item_));
}

TEST_F(EngineDecideTest, UndecidedPreviewIsDeletedAfterItsRetention) {
  PutRevealPreview(item_, "colour-jpeg");
  clock_.Advance(config_.review.reveal_preview_retention - absl::Minutes(1));
  ASSERT_OK(engine_->Housekeeping());
  EXPECT_OK(engine_->Reveal(Lead(), RevealOf(item_)).status());
  clock_.Advance(absl::Minutes(1));
  EXPECT_THAT(engine_->Reveal(Lead(), RevealOf(item_)),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("reveal_preview_retention")));
  ASSERT_OK(engine_->Housekeeping());
  EXPECT_FALSE(HasRevealPreview(item_));
}

TEST_F(EngineDecideTest, RetentionSweepAlsoRunsWhenTheEngineOpens) {
  PutRevealPreview(item_, "colour-jpeg");
  engine_.reset();
  clock_.Advance(config_.review.reveal_preview_retention);
  Open();
  EXPECT_FALSE(HasRevealPreview(item_));
}

// ---------------------------------------------------------- flood guard ---

TEST_F(EngineDecideTest, FloodQuarantineSurvivesARestart) {
  config_.scan.flood_max_distinct_contents = 2;
  Open();
  for (int i = 0; i < 2; ++i) {
    ASSERT_OK_AND_ASSIGN(
        v1::ScanResponse r,
        engine_->Scan(HashScan(absl::StrCat("f-", i), kKnownPdq)));
    EXPECT_EQ(r.verdict(), v1::AUTO_REPORTED);
  }
  ASSERT_OK_AND_ASSIGN(v1::ScanResponse flooding,
                       engine_->Scan(HashScan("f-2", kKnownPdq)));
  EXPECT_EQ(flooding.verdict(), v1::QUEUED_FOR_REVIEW);
  ASSERT_OK_AND_ASSIGN(v1::QueueStats before, engine_->Stats());
  ASSERT_THAT(before.flagged_entries(), SizeIs(1));

  Open();  // a restart: the counts are gone, the quarantine is not
  ASSERT_OK_AND_ASSIGN(v1::ScanResponse after,
                       engine_->Scan(HashScan("f-3", kKnownPdq)));
  EXPECT_EQ(after.verdict(), v1::QUEUED_FOR_REVIEW);
  ASSERT_OK_AND_ASSIGN(v1::QueueStats stats, engine_->Stats());
  EXPECT_THAT(stats.flagged_entries(), ElementsAre(before.flagged_entries(0)));

  // A window after the flood stopped, the entry reports again.
  clock_.Advance(config_.scan.flood_window + absl::Seconds(1));
  Open();
  ASSERT_OK_AND_ASSIGN(v1::ScanResponse later,
                       engine_->Scan(HashScan("f-4", kKnownPdq)));
  EXPECT_EQ(later.verdict(), v1::AUTO_REPORTED);
}

// ----------------------------------------------------------- permissions ---

// The database folder and every store's folder are 0700 even under umask
// 000, so no file in them is reachable by another user; an older database
// opened to others is closed at the next open. (The hashwatch binary's
// files are 0600 too: tests/cli/bank_cli_test.cc.)
TEST_F(EngineDecideTest, DatabaseFoldersArePrivateWhateverTheUmask) {
  engine_.reset();
  const mode_t old = umask(0);
  config_.db = dir_.Sub("open-db");
  Open();
  ASSERT_OK(AddHotline(*engine_));
  ASSERT_OK(engine_->Scan(HashScan("p-1", PdqAtDistance(20))).status());
  engine_.reset();
  umask(old);
  auto mode = [](const std::string& path) {
    struct stat st {};
    EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 0777;
  };
  const std::vector<std::string> folders = {
      config_.db, config_.db + "/banks", config_.db + "/queue",
      config_.db + "/reports", config_.db + "/scans"};
  for (const std::string& f : folders) EXPECT_EQ(mode(f), 0700u) << f;

  for (const std::string& f : folders) ASSERT_EQ(chmod(f.c_str(), 0755), 0);
  Open();
  for (const std::string& f : folders) EXPECT_EQ(mode(f), 0700u) << f;
}

}  // namespace
}  // namespace hashwatch::review_api::review_test
