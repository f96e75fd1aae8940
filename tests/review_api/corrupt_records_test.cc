// Corrupt stored records, written with RocksDB directly behind the stores'
// backs (a damaged disk, a bad restore): every read of one is DataLoss
// naming the record, never an exception or a crash, and the rest of the
// database goes on working.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "review_api/engine.h"
#include "rocksdb/db.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch::review_api {
namespace {

using ::hashwatch::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

// Sets every value of column family `cf_name` of the database at `path`
// to what `damage` makes of it.
void Damage(const std::string& path, const std::string& cf_name,
            const std::function<std::string(const std::string&)>& damage) {
  rocksdb::Options options;
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(options, path, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const std::string& name : names)
    cfs.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, path, cfs, &handles, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  int damaged = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] != cf_name) continue;
    std::unique_ptr<rocksdb::Iterator> it(
        db->NewIterator(rocksdb::ReadOptions(), handles[i]));
    std::vector<std::pair<std::string, std::string>> writes;
    for (it->SeekToFirst(); it->Valid(); it->Next())
      writes.emplace_back(it->key().ToString(), damage(it->value().ToString()));
    for (const auto& [key, value] : writes) {
      ASSERT_TRUE(
          db->Put(rocksdb::WriteOptions(), handles[i], key, value).ok());
      ++damaged;
    }
  }
  EXPECT_GT(damaged, 0) << "nothing in " << path << " " << cf_name;
  for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
  ASSERT_TRUE(db->Close().ok());
}

class CorruptRecordsTest : public ::testing::Test {
 protected:
  // A report (r-...01, sequence 1) and a case item (item 1) on disk.
  void SetUp() override {
    config_.db = dir_.Sub("db");
    Open();
    v1::CreateBankRequest create;
    create.set_name("hotline");
    ASSERT_OK(engine_->CreateBank("admin", create).status());
    v1::ImportListRequest import;
    import.set_bank("hotline");
    import.set_signal(v1::SIGNAL_TYPE_SHA256);
    import.set_content(std::string(64, 'c') + "\n");
    ASSERT_OK(engine_->ImportList("admin", import).status());
    ASSERT_OK_AND_ASSIGN(v1::ScanResponse scanned, engine_->Scan(Scan("c-1")));
    ASSERT_EQ(scanned.verdict(), v1::AUTO_REPORTED);
    report_id_ = scanned.report_id();
    v1::EnqueueCaseRequest enqueue;
    enqueue.set_content_id("case-1");
    enqueue.set_summary("grooming report");
    ASSERT_OK_AND_ASSIGN(v1::EnqueueCaseResponse queued,
                         engine_->EnqueueCase(enqueue));
    item_id_ = queued.item_id();
    engine_.reset();
  }

  void Open() {
    auto engine = Engine::Open(config_, &clock_);
    ASSERT_OK(engine.status());
    engine_ = *std::move(engine);
  }

  static v1::ScanRequest Scan(const std::string& content_id) {
    v1::ScanRequest request;
    request.set_content_id(content_id);
    request.mutable_hashes()->set_sha256(std::string(64, 'c'));
    return request;
  }

  testing::TempDir dir_;
  FakeClock clock_;
  ServerConfig config_;
  std::unique_ptr<Engine> engine_;
  std::string report_id_;
  uint64_t item_id_ = 0;
};

// Truncated, or replaced by bytes of no known format.
std::string Truncated(const std::string& v) {
  return v.substr(0, v.size() / 2);
}
std::string Garbage(const std::string&) { return "\x01\xff{garbage"; }

TEST_F(CorruptRecordsTest, ReportRecordIsDataLossNamingItsSequence) {
  for (auto damage : {Truncated, Garbage}) {
    ASSERT_NO_FATAL_FAILURE(Damage(config_.db + "/reports", "reports", damage));
    ASSERT_NO_FATAL_FAILURE(Open());
    v1::GetReportRequest get;
    get.set_id(report_id_);
    EXPECT_THAT(engine_->GetReport(get),
                StatusIs(absl::StatusCode::kDataLoss, HasSubstr("report 1")));
    EXPECT_THAT(engine_->ListReports(v1::ListReportsRequest()),
                StatusIs(absl::StatusCode::kDataLoss, HasSubstr("report 1")));
    // A retried scan replays its record: it does not read the report.
    EXPECT_OK(engine_->Scan(Scan("c-1")).status());
    engine_.reset();
  }
}

TEST_F(CorruptRecordsTest, QueueItemRecordIsDataLossNamingTheItem) {
  for (auto damage : {Truncated, Garbage}) {
    ASSERT_NO_FATAL_FAILURE(Damage(config_.db + "/queue", "items", damage));
    ASSERT_NO_FATAL_FAILURE(Open());
    v1::GetItemRequest get;
    get.set_item_id(item_id_);
    EXPECT_THAT(engine_->GetItem(Reviewer{"lead", "", true}, get),
                StatusIs(absl::StatusCode::kDataLoss,
                         HasSubstr(absl::StrCat("item ", item_id_))));
    engine_.reset();
  }
}

TEST_F(CorruptRecordsTest, BankEntryRecordIsDataLossNamingTheEntry) {
  ASSERT_NO_FATAL_FAILURE(Damage(config_.db + "/banks", "entries", Garbage));
  auto engine = Engine::Open(config_, &clock_);
  if (!engine.ok()) {
    // Read at start-up: refused, naming the record.
    EXPECT_THAT(engine.status(),
                StatusIs(absl::StatusCode::kDataLoss, HasSubstr("entry")));
    return;
  }
  engine_ = *std::move(engine);
  v1::ExportBankRequest request;
  request.set_name("hotline");
  EXPECT_THAT(engine_->ExportBank(
                  request, [](const v1::Entry&) { return absl::OkStatus(); }),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr("entry"), HasSubstr("corrupt"))));
}

}  // namespace
}  // namespace hashwatch::review_api
