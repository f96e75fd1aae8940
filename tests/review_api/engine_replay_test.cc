// Idempotency bound to content: a repeated content id replays the stored
// answer only for the same content (the SHA-256 of an image, or every hash
// a hash-only scan gives); other content under an old id is scanned, and
// reported or queued even when the id was reported or queued before.
// The engine without gRPC, a fake clock, precomputed hashes.
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "review_api/engine.h"
#include "review_api/scan_record.h"
#include "review_api/scan_records.h"
#include "tests/review_api/review_fixture.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch::review_api {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// The known hash and its neighbours (review_fixture.h).
const std::string kKnownPdq = review_test::kKnownPdq;
using review_test::PdqAtDistance;

// A hash-only scan of content `tag` (its digests are made of that letter).
v1::ScanRequest HashScan(const std::string& content_id, const std::string& pdq,
                         char tag) {
  v1::ScanRequest request;
  request.set_content_id(content_id);
  v1::Hashes* h = request.mutable_hashes();
  h->set_pdq(pdq);
  h->set_pdq_quality(90);
  h->set_md5(std::string(32, tag));
  h->set_sha1(std::string(40, tag));
  h->set_sha256(std::string(64, tag));
  return request;
}

class EngineReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.db = dir_.Sub("db");
    Open();
    v1::CreateBankRequest create;
    create.set_name("hotline");
    ASSERT_OK(engine_->CreateBank("admin", create).status());
    v1::AddEntriesRequest add;
    add.set_bank("hotline");
    v1::NewEntry* e = add.add_entries();
    e->set_signal(v1::SIGNAL_TYPE_PDQ);
    e->set_value(kKnownPdq);
    e->set_category("A");
    bool sent = false;
    auto read = [&](v1::AddEntriesRequest* m) {
      if (sent) return false;
      *m = add;
      sent = true;
      return true;
    };
    ASSERT_OK(
        engine_->AddEntries("admin", read, [] { return false; }).status());
  }

  void Open() {
    auto engine = Engine::Open(config_, &clock_);
    ASSERT_OK(engine.status());
    engine_ = *std::move(engine);
  }

  v1::ScanResponse Scan(const v1::ScanRequest& request) {
    auto r = engine_->Scan(request);
    EXPECT_OK(r.status());
    return r.value_or(v1::ScanResponse());
  }

  v1::Report Report(const std::string& id) {
    v1::GetReportRequest get;
    get.set_id(id);
    auto report = engine_->GetReport(get);
    EXPECT_OK(report.status());
    return report.value_or(v1::Report());
  }

  int ReportCount() {
    auto list = engine_->ListReports(v1::ListReportsRequest());
    EXPECT_OK(list.status());
    return list->reports_size();
  }

  int QueuedItems() {
    auto stats = engine_->Stats();
    EXPECT_OK(stats.status());
    return stats->items();
  }

  testing::TempDir dir_;
  FakeClock clock_;
  ServerConfig config_;
  std::unique_ptr<Engine> engine_;
};

// The issue's case: a benign picture, then a banked one under its id.
TEST_F(EngineReplayTest, BankedContentUnderAnIdThatMatchedNothingIsReported) {
  const v1::ScanRequest benign = HashScan("c-1", PdqAtDistance(128), 'a');
  EXPECT_EQ(Scan(benign).verdict(), v1::NO_MATCH);
  EXPECT_TRUE(Scan(benign).replayed());

  const v1::ScanRequest banked = HashScan("c-1", kKnownPdq, 'b');
  const v1::ScanResponse reported = Scan(banked);
  EXPECT_FALSE(reported.replayed());
  ASSERT_EQ(reported.verdict(), v1::AUTO_REPORTED);
  EXPECT_EQ(Report(reported.report_id()).content_id(), "c-1");
  EXPECT_EQ(Report(reported.report_id()).hashes().sha256(),
            std::string(64, 'b'));

  // The record now answers for the banked content...
  const v1::ScanResponse again = Scan(banked);
  EXPECT_TRUE(again.replayed());
  EXPECT_EQ(again.report_id(), reported.report_id());
  // ...and the benign content is scanned again, not given its answer.
  const v1::ScanResponse benign_again = Scan(benign);
  EXPECT_FALSE(benign_again.replayed());
  EXPECT_EQ(benign_again.verdict(), v1::NO_MATCH);
  EXPECT_EQ(ReportCount(), 1);
}

// Hash-only scans are bound to every hash given, not the SHA-256 alone.
TEST_F(EngineReplayTest, AnotherPdqWithTheSameDigestsIsScannedAgain) {
  EXPECT_EQ(Scan(HashScan("c-2", PdqAtDistance(128), 'a')).verdict(),
            v1::NO_MATCH);
  const v1::ScanResponse second = Scan(HashScan("c-2", kKnownPdq, 'a'));
  EXPECT_FALSE(second.replayed());
  EXPECT_EQ(second.verdict(), v1::AUTO_REPORTED);
}

// Reports are one per content id: other banked content under a reported
// id is reported as well, under the id with its binding appended.
TEST_F(EngineReplayTest, OtherBankedContentUnderAReportedIdIsReportedToo) {
  const v1::ScanResponse first = Scan(HashScan("c-3", kKnownPdq, 'a'));
  ASSERT_EQ(first.verdict(), v1::AUTO_REPORTED);
  const v1::ScanResponse second = Scan(HashScan("c-3", kKnownPdq, 'b'));
  ASSERT_EQ(second.verdict(), v1::AUTO_REPORTED);
  EXPECT_FALSE(second.replayed());
  EXPECT_NE(second.report_id(), first.report_id());
  const v1::Report refiled = Report(second.report_id());
  EXPECT_THAT(refiled.content_id(), StartsWith("c-3#"));
  EXPECT_EQ(refiled.hashes().sha256(), std::string(64, 'b'));
  EXPECT_EQ(Report(first.report_id()).hashes().sha256(), std::string(64, 'a'));
  EXPECT_EQ(ReportCount(), 2);

  // Both contents, repeated, come back to their own reports and file
  // nothing new (the first is scanned again: the record is the second's).
  const v1::ScanResponse first_again = Scan(HashScan("c-3", kKnownPdq, 'a'));
  EXPECT_EQ(first_again.report_id(), first.report_id());
  const v1::ScanResponse second_again = Scan(HashScan("c-3", kKnownPdq, 'b'));
  EXPECT_EQ(second_again.report_id(), second.report_id());
  EXPECT_EQ(ReportCount(), 2);
}

TEST_F(EngineReplayTest, OtherNearContentUnderAQueuedIdIsQueuedToo) {
  const v1::ScanResponse first = Scan(HashScan("c-4", PdqAtDistance(20), 'a'));
  ASSERT_EQ(first.verdict(), v1::QUEUED_FOR_REVIEW);
  EXPECT_TRUE(Scan(HashScan("c-4", PdqAtDistance(20), 'a')).replayed());
  EXPECT_EQ(QueuedItems(), 1);

  const v1::ScanResponse second = Scan(HashScan("c-4", PdqAtDistance(20), 'b'));
  ASSERT_EQ(second.verdict(), v1::QUEUED_FOR_REVIEW);
  EXPECT_FALSE(second.replayed());
  EXPECT_NE(second.item_id(), first.item_id());
  v1::GetItemRequest get;
  get.set_item_id(second.item_id());
  ASSERT_OK_AND_ASSIGN(v1::ReviewItem item,
                       engine_->GetItem(Reviewer{"lead", "", true}, get));
  EXPECT_THAT(item.content_id(), StartsWith("c-4#"));
  EXPECT_EQ(item.hashes().sha256(), std::string(64, 'b'));
  EXPECT_EQ(QueuedItems(), 2);
}

// A record written before records carried a binding, and holding no hashes
// (a no-match), cannot say which content it was for: it is scanned again.
TEST_F(EngineReplayTest, OldRecordWithoutHashesIsScannedAgain) {
  engine_.reset();
  ScanRecord old;
  old.verdict = matcher::Verdict::kNoMatch;
  old.reason = "no match";
  {
    ASSERT_OK_AND_ASSIGN(
        auto records,
        ScanRecords::Open({.path = config_.db + "/scans"}, &clock_));
    ASSERT_OK(records->Put("c-5", EncodeScanRecord(old), absl::InfiniteFuture(),
                           /*sync=*/true));
  }
  Open();
  const v1::ScanResponse r = Scan(HashScan("c-5", kKnownPdq, 'a'));
  EXPECT_FALSE(r.replayed());
  EXPECT_EQ(r.verdict(), v1::AUTO_REPORTED);
}

TEST(ScanBindingTest, DependsOnTheIdAndTheContentOnly) {
  matcher::ContentHashes a{.pdq = kKnownPdq,
                           .pdq_quality = 90,
                           .md5 = std::string(32, 'a'),
                           .sha1 = std::string(40, 'a'),
                           .sha256 = std::string(64, 'a')};
  matcher::ContentHashes other_pdq = a;
  other_pdq.pdq = PdqAtDistance(4);
  other_pdq.pdq_quality = 10;
  // An image is bound by its SHA-256 alone (its PDQ depends on decoding).
  EXPECT_EQ(ContentBinding("c", true, a), ContentBinding("c", true, other_pdq));
  EXPECT_NE(ContentBinding("c", false, a),
            ContentBinding("c", false, other_pdq));
  EXPECT_NE(ContentBinding("c", true, a), ContentBinding("d", true, a));
  EXPECT_NE(ContentBinding("c", true, a), ContentBinding("c", false, a));
  // Not the content's hash: it matches no list entry.
  EXPECT_THAT(ContentBinding("c", true, a), Not(HasSubstr(a.sha256)));
  EXPECT_EQ(ContentBinding("c", true, a).size(), 32u);
}

TEST(ScanBindingTest, SameContentByTheSha256ElseEveryDigestBothHave) {
  matcher::ContentHashes a;
  a.pdq = kKnownPdq;
  a.md5 = std::string(32, 'a');
  matcher::ContentHashes b = a;
  EXPECT_TRUE(SameContent(a, b));
  b.md5 = std::string(32, 'b');
  EXPECT_FALSE(SameContent(a, b));
  a.sha256 = b.sha256 = std::string(64, 'c');
  EXPECT_TRUE(SameContent(a, b));
  EXPECT_FALSE(SameContent(matcher::ContentHashes(), matcher::ContentHashes()));
  EXPECT_TRUE(absl::StartsWith(
      RefiledContentId(std::string(300, 'x'), "0123456789abcdef0123"),
      std::string(239, 'x') + "#0123456789abcdef"));
  EXPECT_EQ(
      RefiledContentId(std::string(300, 'x'), "0123456789abcdef0123").size(),
      256u);
}

}  // namespace
}  // namespace hashwatch::review_api
