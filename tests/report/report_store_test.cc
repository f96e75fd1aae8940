#include "report/report_store.h"

#include <limits>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "rocksdb/db.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch::report {
namespace {

using ::hashwatch::testing::StatusIs;
using ::hashwatch::testing::TempDir;
using ::testing::SizeIs;

Report Draft(const std::string& content_id, const std::string& bank = "iwf") {
  Report r;
  r.content_id = content_id;
  r.hashes = {.pdq = std::string(64, 'c'),
              .pdq_quality = 100,
              .md5 = std::string(32, 'a'),
              .sha1 = std::string(40, 'd'),
              .sha256 = std::string(64, 'b')};
  r.category = "A";
  r.evidence.push_back({.bank = bank,
                        .entry_id = 42,
                        .signal = "pdq",
                        .hash = std::string(64, 'c'),
                        .distance = 3,
                        .category = "A",
                        .source = "list-1",
                        .auto_report_distance = 10,
                        .review_distance = 31});
  r.uploader_account = "user-9";
  r.uploader_ip = "198.51.100.7";
  r.upload_time = absl::FromUnixSeconds(1'700'000'000);
  return r;
}

class ReportStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<ReportStore> Open() {
    ReportStoreOptions o;
    o.path = dir_.Sub("reports");
    o.platform = "example-platform";
    absl::StatusOr<std::unique_ptr<ReportStore>> s =
        ReportStore::Open(o, &clock_);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }
  TempDir dir_;
  FakeClock clock_;
};

TEST_F(ReportStoreTest, CreateAssignsIdsAndDeadlinesAndIsIdempotent) {
  auto store = Open();
  ASSERT_OK_AND_ASSIGN(Report a, store->Create(Draft("c1")));
  EXPECT_EQ(a.sequence, 1u);
  EXPECT_EQ(a.id, "r-0000000000000001");
  EXPECT_EQ(a.platform, "example-platform");
  EXPECT_EQ(a.incident_type, "child_sexual_abuse_material");
  EXPECT_EQ(a.preservation_deadline, clock_.Now() + absl::Hours(24 * 365));
  EXPECT_FALSE(a.viewed_by_platform);
  clock_.Advance(absl::Minutes(5));
  ASSERT_OK_AND_ASSIGN(Report again, store->Create(Draft("c1")));
  EXPECT_EQ(again.id, a.id);
  EXPECT_EQ(again.created, a.created);
  EXPECT_EQ(store->LastSequence(), 1u);
  // A moderator's confirm of the same content is a separate report.
  Report confirm = Draft("c1");
  confirm.origin = ReportOrigin::kModeratorConfirm;
  confirm.viewed_by_platform = true;
  confirm.viewed_by = "mod-3";
  confirm.viewed_at = clock_.Now();
  ASSERT_OK_AND_ASSIGN(Report b, store->Create(confirm));
  EXPECT_EQ(b.sequence, 2u);
  EXPECT_TRUE(b.viewed_by_platform);
}

TEST_F(ReportStoreTest, RejectsReportsWithoutContentOrHashes) {
  auto store = Open();
  EXPECT_THAT(store->Create(Draft("")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  Report empty;
  empty.content_id = "c";
  EXPECT_THAT(store->Create(empty),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store->Get("r-0000000000000009"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ReportStoreTest, EverythingSurvivesARestartAndRoundTrips) {
  std::string id;
  {
    auto store = Open();
    ASSERT_OK_AND_ASSIGN(Report r, store->Create(Draft("c1")));
    id = r.id;
  }
  auto store = Open();
  ASSERT_OK_AND_ASSIGN(Report r, store->Get(id));
  EXPECT_EQ(r.content_id, "c1");
  EXPECT_EQ(r.uploader_ip, "198.51.100.7");
  EXPECT_EQ(r.upload_time, absl::FromUnixSeconds(1'700'000'000));
  ASSERT_THAT(r.evidence, SizeIs(1));
  EXPECT_EQ(r.evidence[0].entry_id, 42u);
  EXPECT_EQ(r.evidence[0].distance, 3);
  EXPECT_EQ(r.evidence[0].hash, std::string(64, 'c'));
  EXPECT_EQ(r.evidence[0].source, "list-1");
  // Reports do not keep the bank's thresholds.
  EXPECT_EQ(r.evidence[0].review_distance, 0);
  EXPECT_EQ(r.hashes.sha1, std::string(40, 'd'));
  EXPECT_EQ(r.hashes.pdq_quality, 100);
  ASSERT_OK_AND_ASSIGN(Report next, store->Create(Draft("c2")));
  EXPECT_EQ(next.sequence, 2u);  // sequences continue after a restart
  const nlohmann::json j = nlohmann::json::parse(ReportStore::ToJson(r));
  EXPECT_EQ(j.at("id"), id);
  EXPECT_EQ(j.at("viewed_by_platform"), false);
  EXPECT_EQ(j.at("evidence")[0].at("bank"), "iwf");
  EXPECT_EQ(j.at("evidence")[0].at("value"), std::string(64, 'c'));
  EXPECT_EQ(j.at("sha1"), std::string(40, 'd'));
}

// Without a PDQ hash the record holds quality 0, read back as "none" (-1).
TEST_F(ReportStoreTest, ReportWithoutPdqReadsBackWithoutQuality) {
  std::string id;
  {
    auto store = Open();
    Report draft = Draft("c1");
    draft.hashes.pdq.clear();
    draft.hashes.pdq_quality = -1;
    ASSERT_OK_AND_ASSIGN(Report r, store->Create(draft));
    EXPECT_EQ(nlohmann::json::parse(ReportStore::ToJson(r)).at("pdq_quality"),
              0);
    id = r.id;
  }
  auto store = Open();
  ASSERT_OK_AND_ASSIGN(Report r, store->Get(id));
  EXPECT_EQ(r.hashes.pdq, "");
  EXPECT_EQ(r.hashes.pdq_quality, -1);
  EXPECT_EQ(r.hashes.md5, std::string(32, 'a'));
}

// A database written by the versions that stored reports as JSON: its
// reports stay readable, listable and updatable, and new ones follow them.
TEST_F(ReportStoreTest, ReportsStoredAsJsonByEarlierVersionsStayReadable) {
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
        {rocksdb::kDefaultColumnFamilyName, {}},
        {"reports", {}},
        {"by_content", {}},
        {"by_id", {}}};
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(
        rocksdb::DB::Open(options, dir_.Sub("reports"), cfs, &handles, &raw)
            .ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    const std::string seq("\0\0\0\0\0\0\0\x01", 8);
    const std::string old =
        R"({"id":"r-0000000000000001","sequence":1,)"
        R"("created":"2023-11-14T22:13:20Z","origin":"automatic",)"
        R"("state":"pending","submission_ref":"","platform":"p",)"
        R"("incident_type":"t","content_id":"old-1","md5":"","sha1":"",)"
        R"("sha256":"","pdq":"","pdq_quality":0,"category":"B",)"
        R"("evidence":[{"bank":"iwf","entry_id":5,"signal":"md5",)"
        R"("value":"v","source":"s","category":"B","distance":0}],)"
        R"("viewed_by_platform":false,"viewed_by":"","viewed_at":"",)"
        R"("review_item_id":"","uploader_account":"","uploader_ip":"",)"
        R"("upload_time":"","preservation_deadline":"2024-11-13T22:13:20Z"})";
    rocksdb::WriteOptions wo;
    ASSERT_TRUE(db->Put(wo, handles[1], seq, old).ok());
    ASSERT_TRUE(
        db->Put(wo, handles[2], std::string("\x01") + "old-1", seq).ok());
    ASSERT_TRUE(db->Put(wo, handles[3], "r-0000000000000001", seq).ok());
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
  }
  auto store = Open();
  ASSERT_OK_AND_ASSIGN(Report old, store->Get("r-0000000000000001"));
  EXPECT_EQ(old.content_id, "old-1");
  EXPECT_EQ(old.created, absl::FromUnixSeconds(1'700'000'000));
  EXPECT_EQ(old.viewed_at, absl::InfinitePast());
  ASSERT_THAT(old.evidence, SizeIs(1));
  EXPECT_EQ(old.evidence[0].entry_id, 5u);
  // A repeated create finds it; a new one follows it.
  ASSERT_OK_AND_ASSIGN(Report again, store->Create(Draft("old-1")));
  EXPECT_EQ(again.id, old.id);
  ASSERT_OK_AND_ASSIGN(Report next, store->Create(Draft("new-2")));
  EXPECT_EQ(next.sequence, 2u);
  // Rewritten in the current format, it reads back the same.
  ASSERT_OK(store->MarkSubmitted(old.id, "ctip-9").status());
  ASSERT_OK_AND_ASSIGN(std::vector<Report> all, store->List(ReportFilter()));
  ASSERT_THAT(all, SizeIs(2));
  EXPECT_EQ(all[0].state, ReportState::kSubmitted);
  EXPECT_EQ(all[0].submission_ref, "ctip-9");
  EXPECT_EQ(all[0].category, "B");
  EXPECT_EQ(all[1].content_id, "new-2");
}

TEST_F(ReportStoreTest, ListFiltersByCursorTimeStateAndBank) {
  auto store = Open();
  ASSERT_OK(store->Create(Draft("c1", "iwf")).status());
  clock_.Advance(absl::Hours(1));
  const absl::Time mid = clock_.Now();
  ASSERT_OK_AND_ASSIGN(Report second, store->Create(Draft("c2", "ncmec")));
  ASSERT_OK(store->Create(Draft("c3", "iwf")).status());
  ASSERT_OK(store->MarkSubmitted(second.id, "CT-123").status());

  ReportFilter f;
  ASSERT_OK_AND_ASSIGN(std::vector<Report> all, store->List(f));
  EXPECT_THAT(all, SizeIs(3));
  f.after_sequence = 1;
  ASSERT_OK_AND_ASSIGN(std::vector<Report> after, store->List(f));
  EXPECT_THAT(after, SizeIs(2));
  // The largest cursor has nothing after it (+1 must not wrap to "all").
  f.after_sequence = std::numeric_limits<uint64_t>::max();
  ASSERT_OK_AND_ASSIGN(std::vector<Report> none, store->List(f));
  EXPECT_THAT(none, ::testing::IsEmpty());
  f = {};
  f.from = mid;
  ASSERT_OK_AND_ASSIGN(std::vector<Report> recent, store->List(f));
  EXPECT_THAT(recent, SizeIs(2));
  f = {};
  f.state = ReportState::kSubmitted;
  ASSERT_OK_AND_ASSIGN(std::vector<Report> submitted, store->List(f));
  ASSERT_THAT(submitted, SizeIs(1));
  EXPECT_EQ(submitted[0].submission_ref, "CT-123");
  f = {};
  f.bank = "iwf";
  f.limit = 1;
  ASSERT_OK_AND_ASSIGN(std::vector<Report> iwf, store->List(f));
  ASSERT_THAT(iwf, SizeIs(1));
  EXPECT_EQ(iwf[0].content_id, "c1");
}

TEST_F(ReportStoreTest, WaitForReportsWakesOnCreate) {
  auto store = Open();
  std::thread creator([&] { ASSERT_OK(store->Create(Draft("c1")).status()); });
  // Waits until the create lands (the deadline is only a safety net).
  const uint64_t seq =
      store->WaitForReports(0, absl::Now() + absl::Seconds(30));
  creator.join();
  EXPECT_EQ(seq, 1u);
  // Already past the cursor: returns at once.
  EXPECT_EQ(store->WaitForReports(0, absl::InfinitePast()), 1u);
  EXPECT_EQ(store->WaitForReports(1, absl::Now()), 1u);
}

}  // namespace
}  // namespace hashwatch::report
