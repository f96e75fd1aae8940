// The engine without gRPC: scans routed to a report, to review or to
// nothing; decisions filing reports; the bank and report calls; the
// checks of requests. A fake clock; precomputed hashes (no pictures).
#include "review_api/engine.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "review_api/scan_records.h"
#include "tests/review_api/review_fixture.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch::review_api {
namespace {

using ::hashwatch::testing::IsOkAndHolds;
using ::hashwatch::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// The known hash and its neighbours (review_fixture.h).
const std::string kKnownPdq = review_test::kKnownPdq;
using review_test::PdqAtDistance;
const std::string kMd5(32, 'a');
const std::string kSha1(40, 'b');
const std::string kSha256(64, 'c');

// Feeds `messages` to a streamed call, one per read.
template <typename Message>
auto Reader(std::vector<Message> messages) {
  auto next = std::make_shared<size_t>(0);
  return [messages = std::move(messages), next](Message* m) {
    if (*next == messages.size()) return false;
    *m = messages[(*next)++];
    return true;
  };
}

// A moderator's token (its id derived from the name) and a lead's.
Reviewer Mod(const std::string& name) {
  return {.name = name, .token_id = "id-" + name};
}
Reviewer Lead() {
  return {.name = "lead-1", .token_id = "id-lead", .lead = true};
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.db = dir_.Sub("db");
    config_.limits.max_entries_per_import = 5;
    config_.limits.max_entries_per_write = 5;
    Open();
  }

  void Open() {
    auto engine = Engine::Open(config_, &clock_);
    ASSERT_OK(engine.status());
    engine_ = *std::move(engine);
  }

  // A match bank "hotline" with the default policy (auto-report at 10,
  // review at 31) holding kKnownPdq (category "A").
  void AddHotline() {
    v1::CreateBankRequest create;
    create.set_name("hotline");
    ASSERT_OK(engine_->CreateBank("admin", create).status());
    v1::AddEntriesRequest add;
    add.set_bank("hotline");
    v1::NewEntry* e = add.add_entries();
    e->set_signal(v1::SIGNAL_TYPE_PDQ);
    e->set_value(kKnownPdq);
    e->set_category("A");
    e->set_source("list-1");
    ASSERT_OK(engine_
                  ->AddEntries("admin", Reader<v1::AddEntriesRequest>({add}),
                               [] { return false; })
                  .status());
  }

  static v1::ScanRequest HashScan(const std::string& content_id,
                                  const std::string& pdq) {
    v1::ScanRequest request;
    request.set_content_id(content_id);
    v1::Hashes* h = request.mutable_hashes();
    h->set_pdq(pdq);
    h->set_pdq_quality(90);
    h->set_md5(kMd5);
    h->set_sha1(kSha1);
    h->set_sha256(kSha256);
    return request;
  }

  v1::Report Report(const std::string& id) {
    v1::GetReportRequest get;
    get.set_id(id);
    auto report = engine_->GetReport(get);
    EXPECT_OK(report.status());
    return report.value_or(v1::Report());
  }

  v1::LeasedItem LeaseOne(const std::string& moderator) {
    return LeaseOne(Mod(moderator));
  }
  v1::LeasedItem LeaseOne(const Reviewer& who) {
    v1::LeaseRequest lease;
    auto leased = engine_->Lease(who, lease);
    EXPECT_OK(leased.status());
    EXPECT_THAT(leased->items(), SizeIs(1));
    return leased->items(0);
  }

  size_t ReportCount() {
    auto list = engine_->ListReports(v1::ListReportsRequest());
    EXPECT_OK(list.status());
    return list->reports_size();
  }

  testing::TempDir dir_;
  FakeClock clock_;
  ServerConfig config_;
  std::unique_ptr<Engine> engine_;
};

// ---------------------------------------------------------------- scans ---

TEST_F(EngineTest, KnownHashIsAutoReportedWithEveryHash) {
  AddHotline();
  ASSERT_OK_AND_ASSIGN(v1::ScanResponse r,
                       engine_->Scan(HashScan("c-1", kKnownPdq)));
  EXPECT_EQ(r.verdict(), v1::AUTO_REPORTED);
  ASSERT_THAT(r.matches(), SizeIs(1));
  EXPECT_TRUE(r.matches(0).auto_report());
  EXPECT_EQ(r.hashes().sha1(), kSha1);
  const v1::Report report = Report(r.report_id());
  EXPECT_EQ(report.origin(), v1::REPORT_ORIGIN_AUTOMATIC);
  EXPECT_EQ(report.content_id(), "c-1");
  EXPECT_EQ(report.hashes().sha1(), kSha1);
  EXPECT_EQ(report.hashes().md5(), kMd5);
  EXPECT_EQ(report.hashes().pdq_quality(), 90);
  ASSERT_THAT(report.evidence(), SizeIs(1));
  EXPECT_EQ(report.evidence(0).bank(), "hotline");
  EXPECT_EQ(report.evidence(0).entry_id(), r.matches(0).entry_id());
  EXPECT_EQ(report.evidence(0).source(), "list-1");
  EXPECT_EQ(report.category(), "A");
  EXPECT_FALSE(report.viewed_by_platform());
}

TEST_F(EngineTest, NearHashIsQueuedAndAConfirmFilesAReportWithSha1) {
  AddHotline();
  ASSERT_OK_AND_ASSIGN(v1::ScanResponse r,
                       engine_->Scan(HashScan("c-2", PdqAtDistance(20))));
  ASSERT_EQ(r.verdict(), v1::QUEUED_FOR_REVIEW);
  EXPECT_NE(r.item_id(), 0u);
  EXPECT_EQ(ReportCount(), 0u);

  const v1::LeasedItem leased = LeaseOne("mod-1");
  EXPECT_EQ(leased.item().id(), r.item_id());
  EXPECT_EQ(leased.item().hashes().sha1(), kSha1);
  ASSERT_THAT(leased.item().matches(), SizeIs(1));
  EXPECT_EQ(leased.item().matches(0).distance(), 20);
  EXPECT_EQ(leased.item().matches(0).review_distance(), 31);

  clock_.Advance(absl::Minutes(2));
  v1::DecideRequest decide;
  decide.set_item_id(r.item_id());
  decide.set_lease_id(leased.lease_id());
  decide.set_kind(v1::DECISION_KIND_CONFIRM);
  decide.set_category("A");
  ASSERT_OK_AND_ASSIGN(v1::DecideResponse decided,
                       engine_->Decide(Mod("mod-1"), decide));
  // A hash-only scan has no picture, so no own-material signature.
  EXPECT_THAT(
      decided.banked(),
      ElementsAre("internal-confirmed:pdq", "internal-confirmed:md5",
                  "internal-confirmed:sha1", "internal-confirmed:sha256"));
  const v1::Report report = Report(decided.report_id());
  EXPECT_EQ(report.origin(), v1::REPORT_ORIGIN_MODERATOR_CONFIRM);
  EXPECT_EQ(report.hashes().sha1(), kSha1);
  EXPECT_EQ(report.hashes().sha256(), kSha256);
  EXPECT_EQ(report.review_item_id(), r.item_id());
  EXPECT_TRUE(report.viewed_by_platform());
  EXPECT_EQ(report.viewed_by(), "mod-1");
  EXPECT_EQ(report.viewed_at().seconds(), absl::ToUnixSeconds(clock_.Now()));
  ASSERT_THAT(report.evidence(), SizeIs(1));
  EXPECT_EQ(report.evidence(0).distance(), 20);
  EXPECT_EQ(report.evidence(0).category(), "A");
}

TEST_F(EngineTest, NoMatchKeepsNoHashesAndExpires) {
  AddHotline();
  const v1::ScanRequest scan = HashScan("c-3", PdqAtDistance(128));
  ASSERT_OK_AND_ASSIGN(v1::ScanResponse first, engine_->Scan(scan));
  EXPECT_EQ(first.verdict(), v1::NO_MATCH);
  EXPECT_FALSE(first.replayed());
  EXPECT_EQ(first.hashes().sha1(), kSha1);

  ASSERT_OK_AND_ASSIGN(v1::ScanResponse again, engine_->Scan(scan));
  EXPECT_TRUE(again.replayed());
  EXPECT_EQ(again.verdict(), v1::NO_MATCH);
  EXPECT_EQ(again.reason(), first.reason());
  EXPECT_FALSE(again.has_hashes());

  clock_.Advance(config_.scan.no_match_record_ttl);
  ASSERT_OK_AND_ASSIGN(v1::ScanResponse later, engine_->Scan(scan));
  EXPECT_FALSE(later.replayed());
}

TEST_F(EngineTest, RepeatedScanReplaysTheFirstAnswerAndQueuesNothingNew) {
  AddHotline();
  const v1::ScanRequest scan = HashScan("c-4", PdqAtDistance(20));
  ASSERT_OK_AND_ASSIGN(v1::ScanResponse first, engine_->Scan(scan));
  ASSERT_OK_AND_ASSIGN(v1::ScanResponse again, engine_->Scan(scan));
  EXPECT_TRUE(again.replayed());
  EXPECT_EQ(again.item_id(), first.item_id());
  EXPECT_EQ(again.hashes().sha1(), kSha1);
  ASSERT_THAT(again.matches(), SizeIs(1));
  EXPECT_EQ(again.matches(0).entry_id(), first.matches(0).entry_id());
  EXPECT_EQ(again.matches(0).distance(), 20);
  ASSERT_OK_AND_ASSIGN(v1::QueueStats stats, engine_->Stats());
  EXPECT_EQ(stats.items(), 1);
}

TEST_F(EngineTest, UnmatchedButFlaggedItemIsQueuedAsNovel) {
  v1::ScanRequest scan = HashScan("c-5", PdqAtDistance(128));
  scan.mutable_context()->set_classifier_score(0.95);
  ASSERT_OK_AND_ASSIGN(v1::ScanResponse r, engine_->Scan(scan));
  EXPECT_EQ(r.verdict(), v1::QUEUED_FOR_REVIEW);
  EXPECT_TRUE(r.novel());
  v1::GetItemRequest get;
  get.set_item_id(r.item_id());
  ASSERT_OK_AND_ASSIGN(v1::ReviewItem item, engine_->GetItem(Lead(), get));
  EXPECT_EQ(item.kind(), v1::ITEM_KIND_NOVEL);
  EXPECT_EQ(item.lane(), "proactive");
  EXPECT_THAT(item.matches(), IsEmpty());
}

// Records stored before ScanRecord existed are the serialized answers.
TEST_F(EngineTest, AnswerStoredAsAScanResponseIsReplayed) {
  engine_.reset();
  v1::ScanResponse legacy;
  legacy.set_content_id("old-1");
  legacy.set_verdict(v1::QUEUED_FOR_REVIEW);
  legacy.set_item_id(41);
  legacy.set_reason("pdq distance 20 in hotline");
  v1::Match* m = legacy.add_matches();
  m->set_bank("hotline");
  m->set_entry_id(7);
  m->set_signal(v1::SIGNAL_TYPE_PDQ);
  m->set_hash(kKnownPdq);
  m->set_distance(20);
  m->set_category("A");
  legacy.mutable_hashes()->set_md5(kMd5);
  {
    ASSERT_OK_AND_ASSIGN(
        auto records,
        ScanRecords::Open({.path = config_.db + "/scans"}, &clock_));
    ASSERT_OK(records->Put("old-1", legacy.SerializeAsString(),
                           absl::InfiniteFuture(), true));
  }
  Open();
  ASSERT_OK_AND_ASSIGN(v1::ScanResponse r,
                       engine_->Scan(HashScan("old-1", kKnownPdq)));
  EXPECT_TRUE(r.replayed());
  legacy.set_replayed(true);
  EXPECT_EQ(r.SerializeAsString(), legacy.SerializeAsString());
}

// ---------------------------------------------------------------- review --

TEST_F(EngineTest, DecisionOnSomeoneElsesLeaseChangesNothing) {
  AddHotline();
  ASSERT_OK_AND_ASSIGN(v1::ScanResponse r,
                       engine_->Scan(HashScan("c-6", PdqAtDistance(20))));
  const v1::LeasedItem leased = LeaseOne("mod-1");
  v1::DecideRequest decide;
  decide.set_item_id(r.item_id());
  decide.set_lease_id(leased.lease_id());
  decide.set_kind(v1::DECISION_KIND_CONFIRM);
  decide.set_category("A");
  EXPECT_THAT(engine_->Decide(Mod("mod-2"), decide),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("held by another moderator")));
  clock_.Advance(config_.review.lease_duration);
  EXPECT_THAT(engine_->Decide(Mod("mod-1"), decide),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(ReportCount(), 0u);
}

TEST_F(EngineTest, RejectWithAllowListAllowsTheNextCopy) {
  AddHotline();
  ASSERT_OK_AND_ASSIGN(v1::ScanResponse r,
                       engine_->Scan(HashScan("c-7", PdqAtDistance(20))));
  const v1::LeasedItem leased = LeaseOne("mod-1");
  v1::DecideRequest decide;
  decide.set_item_id(r.item_id());
  decide.set_lease_id(leased.lease_id());
  decide.set_kind(v1::DECISION_KIND_REJECT);
  decide.set_add_to_allow_list(true);
  ASSERT_OK_AND_ASSIGN(v1::DecideResponse decided,
                       engine_->Decide(Mod("mod-1"), decide));
  EXPECT_TRUE(decided.report_id().empty());
  EXPECT_THAT(decided.banked(), SizeIs(4));
  ASSERT_OK_AND_ASSIGN(v1::ScanResponse copy,
                       engine_->Scan(HashScan("c-7-copy", PdqAtDistance(20))));
  EXPECT_EQ(copy.verdict(), v1::ALLOWED);
}

// ---------------------------------------------------------------- banks ---

TEST_F(EngineTest, BanksThatDecisionsFeedCannotBeDeleted) {
  for (const std::string& name :
       {config_.review.platform_bank, config_.review.allow_bank}) {
    v1::DeleteBankRequest del;
    del.set_name(name);
    EXPECT_THAT(
        engine_->DeleteBank("admin", del),
        StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(name)));
  }
  AddHotline();
  v1::DeleteBankRequest del;
  del.set_name("hotline");
  ASSERT_OK(engine_->DeleteBank("admin", del));
  v1::GetBankRequest get;
  get.set_name("hotline");
  EXPECT_THAT(engine_->GetBank(get), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(EngineTest, AddEntriesCommitsAtTheEndOrNotAtAll) {
  AddHotline();
  v1::AddEntriesRequest add;
  add.set_bank("hotline");
  v1::NewEntry* e = add.add_entries();
  e->set_signal(v1::SIGNAL_TYPE_MD5);
  e->set_value(std::string(32, 'D'));
  EXPECT_THAT(engine_->AddEntries("admin", Reader<v1::AddEntriesRequest>({add}),
                                  [] { return true; }),
              StatusIs(absl::StatusCode::kCancelled));
  v1::GetStatsRequest stats;
  stats.set_name("hotline");
  EXPECT_THAT(engine_->GetBankStats(stats),
              IsOkAndHolds(::testing::Property(&v1::BankStats::entries, 1)));

  v1::AddEntriesRequest other = add;
  other.set_bank("elsewhere");
  EXPECT_THAT(
      engine_->AddEntries("admin", Reader<v1::AddEntriesRequest>({add, other}),
                          [] { return false; }),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("same bank")));
  v1::AddEntriesRequest too_many = add;
  for (int i = 0; i < 5; ++i) *too_many.add_entries() = *e;
  EXPECT_THAT(
      engine_->AddEntries("admin", Reader<v1::AddEntriesRequest>({too_many}),
                          [] { return false; }),
      StatusIs(absl::StatusCode::kResourceExhausted,
               HasSubstr("max_entries_per_import")));
  EXPECT_THAT(engine_->AddEntries("admin", Reader<v1::AddEntriesRequest>({}),
                                  [] { return false; }),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("bank is required")));

  ASSERT_OK_AND_ASSIGN(
      v1::WriteResult added,
      engine_->AddEntries("admin", Reader<v1::AddEntriesRequest>({add}),
                          [] { return false; }));
  EXPECT_EQ(added.added(), 1u);
}

TEST_F(EngineTest, RemoveEntriesTakesAnyCaseAndCountsTheUnknown) {
  AddHotline();
  v1::RemoveEntriesRequest remove;
  remove.set_bank("hotline");
  auto* v = remove.add_values();
  v->set_signal(v1::SIGNAL_TYPE_PDQ);
  v->set_value(absl::AsciiStrToUpper(kKnownPdq));
  auto* unknown = remove.add_values();
  unknown->set_signal(v1::SIGNAL_TYPE_MD5);
  unknown->set_value(kMd5);
  ASSERT_OK_AND_ASSIGN(v1::WriteResult removed,
                       engine_->RemoveEntries(
                           "admin", Reader<v1::RemoveEntriesRequest>({remove}),
                           [] { return false; }));
  EXPECT_EQ(removed.removed(), 1u);
  EXPECT_EQ(removed.not_found(), 1u);
  v->set_value("xyz");
  EXPECT_THAT(engine_->RemoveEntries("admin",
                                     Reader<v1::RemoveEntriesRequest>({remove}),
                                     [] { return false; }),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("values[0].value")));
}

TEST_F(EngineTest, ImportListRefusesMalformedLinesUnlessToldToSkipThem) {
  AddHotline();
  v1::ImportListRequest import;
  import.set_bank("hotline");
  import.set_signal(v1::SIGNAL_TYPE_MD5);
  import.set_content(absl::StrCat(std::string(32, '1'), "\nnot a hash\n",
                                  std::string(32, '2'), "\n"));
  EXPECT_THAT(engine_->ImportList("admin", import),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("1 malformed line(s)")));
  import.set_skip_invalid(true);
  ASSERT_OK_AND_ASSIGN(v1::ImportListResponse imported,
                       engine_->ImportList("admin", import));
  EXPECT_EQ(imported.result().added(), 2u);
  EXPECT_EQ(imported.error_count(), 1);
  ASSERT_THAT(imported.errors(), SizeIs(1));
  EXPECT_EQ(imported.errors(0).line(), 2);
}

TEST_F(EngineTest, ExportBankWritesEveryEntryAndStopsAtAWriteError) {
  AddHotline();
  v1::ImportListRequest import;
  import.set_bank("hotline");
  import.set_signal(v1::SIGNAL_TYPE_MD5);
  import.set_content(
      absl::StrCat(std::string(32, '1'), "\n", std::string(32, '2'), "\n"));
  ASSERT_OK(engine_->ImportList("admin", import).status());
  v1::ExportBankRequest request;
  request.set_name("hotline");
  std::vector<std::string> written;
  ASSERT_OK(engine_->ExportBank(request, [&](const v1::Entry& e) {
    written.push_back(e.value());
    return absl::OkStatus();
  }));
  EXPECT_THAT(written, SizeIs(3));
  int calls = 0;
  EXPECT_THAT(engine_->ExportBank(request,
                                  [&](const v1::Entry&) {
                                    ++calls;
                                    return absl::CancelledError("gone");
                                  }),
              StatusIs(absl::StatusCode::kCancelled, HasSubstr("gone")));
  EXPECT_EQ(calls, 1);
}

TEST_F(EngineTest, DisableEntryUntilATimeAndReEnable) {
  AddHotline();
  v1::DisableEntryRequest disable;
  disable.set_bank("hotline");
  disable.set_signal(v1::SIGNAL_TYPE_PDQ);
  disable.set_value(kKnownPdq);
  disable.mutable_until()->set_seconds(
      absl::ToUnixSeconds(clock_.Now() + absl::Hours(1)));
  ASSERT_OK_AND_ASSIGN(v1::Entry entry,
                       engine_->DisableEntry("admin", disable));
  EXPECT_EQ(entry.disabled_until().seconds(), disable.until().seconds());
  ASSERT_OK_AND_ASSIGN(v1::ScanResponse r,
                       engine_->Scan(HashScan("c-8", kKnownPdq)));
  EXPECT_EQ(r.verdict(), v1::NO_MATCH);
  disable.clear_until();
  ASSERT_OK_AND_ASSIGN(entry, engine_->DisableEntry("admin", disable));
  EXPECT_FALSE(entry.has_disabled_until());
  disable.set_signal(v1::SIGNAL_TYPE_UNSPECIFIED);
  EXPECT_THAT(
      engine_->DisableEntry("admin", disable),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("signal")));
}

// ---------------------------------------------------------------- reports -

TEST_F(EngineTest, ReportsAreListedExportedWatchedAndMarkedSubmitted) {
  AddHotline();
  for (const std::string id : {"c-9", "c-10"}) {
    ASSERT_OK(engine_->Scan(HashScan(id, kKnownPdq)).status());
  }
  v1::ListReportsRequest list;
  list.set_limit(config_.limits.max_list_reports + 1);
  EXPECT_THAT(engine_->ListReports(list),
              StatusIs(absl::StatusCode::kInvalidArgument));

  list.set_limit(1);
  std::vector<std::string> lines;
  ASSERT_OK(engine_->ExportReports(list, [&](const v1::ExportChunk& c) {
    lines.push_back(c.json_line());
    return absl::OkStatus();
  }));
  ASSERT_THAT(lines, SizeIs(1));
  EXPECT_THAT(lines[0], HasSubstr("\"sha1\":\"" + kSha1 + "\""));

  v1::WatchReportsRequest watch;
  watch.set_after_sequence(3);
  EXPECT_THAT(engine_->WatchReports(
                  watch, [](const v1::Report&) { return absl::OkStatus(); },
                  [] { return absl::OkStatus(); }),
              StatusIs(absl::StatusCode::kOutOfRange));
  watch.set_after_sequence(1);
  std::vector<std::string> watched;
  int asked = 0;
  EXPECT_THAT(engine_->WatchReports(
                  watch,
                  [&](const v1::Report& r) {
                    watched.push_back(r.content_id());
                    return absl::OkStatus();
                  },
                  [&] {
                    return ++asked == 1 ? absl::OkStatus()
                                        : absl::UnavailableError("done");
                  }),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(watched, ElementsAre("c-10"));

  v1::MarkSubmittedRequest mark;
  ASSERT_OK_AND_ASSIGN(v1::ListReportsResponse all,
                       engine_->ListReports(v1::ListReportsRequest()));
  ASSERT_THAT(all.reports(), SizeIs(2));
  mark.set_id(all.reports(0).id());
  EXPECT_THAT(engine_->MarkSubmitted("admin", mark),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("submission_ref")));
  mark.set_submission_ref("tip-1");
  ASSERT_OK_AND_ASSIGN(v1::Report submitted,
                       engine_->MarkSubmitted("admin", mark));
  EXPECT_EQ(submitted.state(), v1::REPORT_STATE_SUBMITTED);
  EXPECT_EQ(submitted.submission_ref(), "tip-1");
}

// ------------------------------------------------------------ validation --

TEST_F(EngineTest, BadScansAreRefusedNamingTheFieldAndStoreNothing) {
  AddHotline();
  struct Case {
    std::string name;
    v1::ScanRequest request;
    absl::StatusCode code;
    std::string message;
  };
  std::vector<Case> cases;
  auto add = [&](std::string name, absl::StatusCode code, std::string message,
                 auto change) {
    v1::ScanRequest r = HashScan("bad", kKnownPdq);
    change(r);
    cases.push_back({std::move(name), std::move(r), code, std::move(message)});
  };
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  add("no content id", kInvalid, "content_id",
      [](v1::ScanRequest& r) { r.clear_content_id(); });
  add("long content id", kInvalid, "content_id",
      [](v1::ScanRequest& r) { r.set_content_id(std::string(257, 'x')); });
  add("bad pdq", kInvalid, "hashes.pdq",
      [](v1::ScanRequest& r) { r.mutable_hashes()->set_pdq("abc"); });
  add("bad quality", kInvalid, "pdq_quality",
      [](v1::ScanRequest& r) { r.mutable_hashes()->set_pdq_quality(101); });
  add("short sha1", kInvalid, "hashes.sha1",
      [](v1::ScanRequest& r) { r.mutable_hashes()->set_sha1("abc"); });
  add("no hashes", kInvalid, "at least one",
      [](v1::ScanRequest& r) { r.mutable_hashes()->Clear(); });
  add("nothing", kInvalid, "image or hashes",
      [](v1::ScanRequest& r) { r.clear_hashes(); });
  add("empty image", kInvalid, "image is empty",
      [](v1::ScanRequest& r) { r.set_image(""); });
  add("unknown lane", kInvalid, "context.lane",
      [](v1::ScanRequest& r) { r.mutable_context()->set_lane("nowhere"); });
  add("score", kInvalid, "classifier_score",
      [](v1::ScanRequest& r) { r.mutable_context()->set_classifier_score(2); });
  add("signal", kInvalid, "context.signals", [](v1::ScanRequest& r) {
    r.mutable_context()->add_signals("Not A Word");
  });
  add("ip", kInvalid, "uploader_ip", [](v1::ScanRequest& r) {
    r.mutable_context()->set_uploader_ip(std::string("1.2.3.4\0x", 9));
  });
  config_.limits.max_image_bytes = 4;
  engine_.reset();
  Open();
  add("big image", absl::StatusCode::kResourceExhausted, "max_image_bytes",
      [](v1::ScanRequest& r) { r.set_image("12345"); });
  for (const Case& c : cases) {
    EXPECT_THAT(engine_->Scan(c.request),
                StatusIs(c.code, HasSubstr(c.message)))
        << c.name;
  }
  EXPECT_EQ(ReportCount(), 0u);
  ASSERT_OK_AND_ASSIGN(v1::QueueStats stats, engine_->Stats());
  EXPECT_EQ(stats.items(), 0);
}

TEST_F(EngineTest, BadReviewAndReportRequestsAreRefused) {
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  v1::DecideRequest decide;
  decide.set_kind(v1::DECISION_KIND_CONFIRM);
  EXPECT_THAT(engine_->Decide(Mod("mod-1"), decide),
              StatusIs(kInvalid, HasSubstr("category")));
  decide.set_kind(v1::DECISION_KIND_SKIP);
  decide.set_add_to_allow_list(true);
  EXPECT_THAT(engine_->Decide(Mod("mod-1"), decide),
              StatusIs(kInvalid, HasSubstr("add_to_allow")));
  decide.set_kind(v1::DECISION_KIND_UNSPECIFIED);
  EXPECT_THAT(engine_->Decide(Mod("mod-1"), decide),
              StatusIs(kInvalid, HasSubstr("kind")));

  v1::LeaseRequest lease;
  lease.add_lanes("escalation");
  EXPECT_THAT(engine_->Lease(Mod("mod-1"), lease),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_OK(engine_->Lease(Lead(), lease).status());
  lease.set_max_items(config_.limits.max_lease_items + 1);
  EXPECT_THAT(engine_->Lease(Lead(), lease),
              StatusIs(kInvalid, HasSubstr("max_items")));

  EXPECT_THAT(engine_->Reveal(Lead(), v1::RevealRequest()),
              StatusIs(kInvalid, HasSubstr("reason")));
  v1::EnqueueCaseRequest enqueue;
  enqueue.set_content_id("case-1");
  EXPECT_THAT(engine_->EnqueueCase(enqueue),
              StatusIs(kInvalid, HasSubstr("summary")));
  enqueue.set_summary("grooming report");
  enqueue.set_lane("nowhere");
  EXPECT_THAT(engine_->EnqueueCase(enqueue),
              StatusIs(kInvalid, HasSubstr("lane")));
  enqueue.clear_lane();
  ASSERT_OK_AND_ASSIGN(v1::EnqueueCaseResponse queued,
                       engine_->EnqueueCase(enqueue));
  EXPECT_TRUE(queued.created());

  v1::CreateBankRequest create;
  create.set_name("b");
  create.set_kind(static_cast<v1::BankKind>(7));
  EXPECT_THAT(engine_->CreateBank("admin", create),
              StatusIs(kInvalid, HasSubstr("kind")));
  EXPECT_THAT(engine_->GetReport(v1::GetReportRequest()),
              StatusIs(kInvalid, HasSubstr("id")));
  v1::ImportListRequest import;
  EXPECT_THAT(engine_->ImportList("admin", import),
              StatusIs(kInvalid, HasSubstr("bank")));
}

}  // namespace
}  // namespace hashwatch::review_api
