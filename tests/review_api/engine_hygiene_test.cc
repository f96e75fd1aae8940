// Input hygiene at the engine: ids with control characters are refused
// naming the field, report cursors do not wrap, a corrupt scan record is
// DataLoss naming its content id. No gRPC; a fake clock.
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "review_api/engine.h"
#include "review_api/scan_records.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch::review_api {
namespace {

using ::hashwatch::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

class EngineHygieneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.db = dir_.Sub("db");
    Open();
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
};

TEST_F(EngineHygieneTest, ControlCharactersInIdsAreRefusedNamingTheField) {
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  // A newline would forge a log line; a NUL cuts a C string short; DEL
  // and ESC move a terminal's cursor.
  for (const std::string& bad :
       {std::string("c-1\nINFO forged"), std::string("c\0-1", 4),
        std::string("c-1\x1b[2J"), std::string("c-1\x7f")}) {
    EXPECT_THAT(engine_->Scan(Scan(bad)),
                StatusIs(kInvalid, AllOf(HasSubstr("content_id"),
                                         HasSubstr("control character"))));
    v1::ScanRequest scan = Scan("c-1");
    scan.mutable_context()->set_uploader_id(bad);
    EXPECT_THAT(engine_->Scan(scan),
                StatusIs(kInvalid, HasSubstr("context.uploader_id")));
    v1::EnqueueCaseRequest enqueue;
    enqueue.set_content_id(bad);
    enqueue.set_summary("grooming report");
    EXPECT_THAT(engine_->EnqueueCase(enqueue),
                StatusIs(kInvalid, HasSubstr("content_id")));
    enqueue.set_content_id("case-1");
    enqueue.set_category(bad);
    EXPECT_THAT(engine_->EnqueueCase(enqueue),
                StatusIs(kInvalid, HasSubstr("category")));
    v1::GetReportRequest get;
    get.set_id(bad);
    EXPECT_THAT(engine_->GetReport(get), StatusIs(kInvalid, HasSubstr("id")));
    v1::ImportListRequest import;
    import.set_bank(bad);
    import.set_content(std::string(64, 'c') + "\n");
    EXPECT_THAT(engine_->ImportList("admin", import),
                StatusIs(kInvalid, HasSubstr("bank")));
  }
  // The byte and where it is are named.
  EXPECT_THAT(engine_->Scan(Scan("abc\td")),
              StatusIs(kInvalid, HasSubstr("byte 0x09) at offset 3")));
  // Nothing was stored by the refused calls.
  ASSERT_OK_AND_ASSIGN(v1::QueueStats stats, engine_->Stats());
  EXPECT_EQ(stats.items(), 0);
  // Other bytes are fine: ids are not limited to ASCII.
  EXPECT_OK(engine_->Scan(Scan("c-1 \xc3\xa9t\xc3\xa9")).status());
}

TEST_F(EngineHygieneTest, EntriesWithControlCharactersAreRefused) {
  v1::CreateBankRequest create;
  create.set_name("hotline");
  ASSERT_OK(engine_->CreateBank("admin", create).status());
  v1::AddEntriesRequest add;
  add.set_bank("hotline");
  v1::NewEntry* e = add.add_entries();
  e->set_signal(v1::SIGNAL_TYPE_SHA256);
  e->set_value(std::string(64, 'c'));
  e->set_source("list\r\n1");
  bool sent = false;
  auto read = [&](v1::AddEntriesRequest* m) {
    if (sent) return false;
    *m = add;
    sent = true;
    return true;
  };
  EXPECT_THAT(engine_->AddEntries("admin", read, [] { return false; }),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("entries[0].source has a control character")));
  v1::GetStatsRequest stats;
  stats.set_name("hotline");
  ASSERT_OK_AND_ASSIGN(v1::BankStats bank, engine_->GetBankStats(stats));
  EXPECT_EQ(bank.entries(), 0);
}

// An IP is an address inet_pton reads whole: no embedded NUL, no trailing
// text, no zone, no leading zeros; where a scan or a case carries one.
TEST_F(EngineHygieneTest, UploaderIpsAreParsedStrictly) {
  for (const std::string& bad : std::vector<std::string>{
           std::string("1.2.3.4\0.5", 9), "1.2.3.4 ", "1.2.3.4x", "01.2.3.4",
           "1.2.3", "256.1.1.1", "fe80::1%eth0", "::1/128", "1.2.3.4\n"}) {
    v1::ScanRequest scan = Scan("c-ip");
    scan.mutable_context()->set_uploader_ip(bad);
    EXPECT_THAT(engine_->Scan(scan),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("context.uploader_ip")))
        << bad;
    v1::EnqueueCaseRequest enqueue;
    enqueue.set_content_id("case-ip");
    enqueue.set_summary("grooming report");
    *enqueue.mutable_context() = scan.context();
    EXPECT_THAT(engine_->EnqueueCase(enqueue),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("context.uploader_ip")))
        << bad;
  }
  for (const char* good : {"192.0.2.1", "2001:db8::1", "::ffff:1.2.3.4"}) {
    v1::ScanRequest scan = Scan(std::string("c-ip-") + good);
    scan.mutable_context()->set_uploader_ip(good);
    EXPECT_OK(engine_->Scan(scan).status()) << good;
  }
}

// after_sequence = 2^64-1 must not wrap to 0 and replay every report.
TEST_F(EngineHygieneTest, TheLargestCursorReplaysNothing) {
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

  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  v1::ListReportsRequest list;
  list.set_after_sequence(kMax);
  ASSERT_OK_AND_ASSIGN(v1::ListReportsResponse listed,
                       engine_->ListReports(list));
  EXPECT_EQ(listed.reports_size(), 0);
  list.set_after_sequence(0);
  ASSERT_OK_AND_ASSIGN(listed, engine_->ListReports(list));
  EXPECT_EQ(listed.reports_size(), 1);

  v1::WatchReportsRequest watch;
  watch.set_after_sequence(kMax);
  int written = 0;
  EXPECT_THAT(engine_->WatchReports(
                  watch,
                  [&](const v1::Report&) {
                    ++written;
                    return absl::OkStatus();
                  },
                  [] { return absl::CancelledError("stop"); }),
              StatusIs(absl::StatusCode::kOutOfRange,
                       HasSubstr("after_sequence 18446744073709551615")));
  EXPECT_EQ(written, 0);
}

// A damaged scan record is DataLoss naming the content id, for a scan of
// that id; other ids scan as before.
TEST_F(EngineHygieneTest, CorruptScanRecordIsDataLossNamingTheContentId) {
  engine_.reset();
  {
    ASSERT_OK_AND_ASSIGN(
        auto records,
        ScanRecords::Open({.path = config_.db + "/scans"}, &clock_));
    for (const auto& [id, bytes] :
         std::vector<std::pair<std::string, std::string>>{
             {"wrong-type", R"({"v":1,"verdict":"review","item_id":"x"})"},
             {"bad-hashes", R"({"v":1,"verdict":"review","hashes":[1]})"},
             {"bad-matches", R"({"v":1,"verdict":"review","matches":[3]})"},
             {"not-json", "{garbage"},
             {"no-proto", std::string("\xff\xff\xff", 3)}}) {
      ASSERT_OK(records->Put(id, bytes, absl::InfiniteFuture(), true));
    }
  }
  Open();
  for (const char* id :
       {"wrong-type", "bad-hashes", "bad-matches", "not-json", "no-proto"}) {
    EXPECT_THAT(engine_->Scan(Scan(id)),
                StatusIs(absl::StatusCode::kDataLoss,
                         AllOf(HasSubstr("scan record of"), HasSubstr(id))))
        << id;
  }
  EXPECT_OK(engine_->Scan(Scan("fine")).status());
}

// A list of many long bad lines: the answer keeps the first errors (each
// cut short) and counts the rest, so it stays far below the 4 MiB message
// limit; refused (no skip_invalid), it imports nothing.
TEST_F(EngineHygieneTest,
       ImportErrorListsAreBoundedAndAFailedImportWritesNothing) {
  v1::CreateBankRequest create;
  create.set_name("hotline");
  ASSERT_OK(engine_->CreateBank("admin", create).status());
  std::string content;
  for (int i = 0; i < 3000; ++i) {
    absl::StrAppend(&content, std::string(64, 'c'), "\n",
                    std::string(1000, 'x'), "\n");
  }
  v1::ImportListRequest import;
  import.set_bank("hotline");
  import.set_signal(v1::SIGNAL_TYPE_SHA256);
  import.set_content(content);
  EXPECT_THAT(engine_->ImportList("admin", import),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("3000 malformed line(s), nothing imported")));
  v1::GetStatsRequest stats;
  stats.set_name("hotline");
  ASSERT_OK_AND_ASSIGN(v1::BankStats bank, engine_->GetBankStats(stats));
  EXPECT_EQ(bank.entries(), 0);

  import.set_skip_invalid(true);
  ASSERT_OK_AND_ASSIGN(v1::ImportListResponse imported,
                       engine_->ImportList("admin", import));
  EXPECT_EQ(imported.error_count(), 3000);
  EXPECT_EQ(imported.errors_size(), 1000);
  EXPECT_LT(imported.ByteSizeLong(), size_t{512} * 1024);
  EXPECT_EQ(imported.result().added(), 1u);
}

}  // namespace
}  // namespace hashwatch::review_api
