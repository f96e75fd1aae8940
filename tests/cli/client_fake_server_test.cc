// The client commands against an in-process fake server (port 0): what
// they send (token, content ids, context, chunks) and how they print each
// kind of answer, independent of the real server's policy.
#include <stdlib.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "hashwatch/v1/bank.grpc.pb.h"
#include "hashwatch/v1/report.grpc.pb.h"
#include "hashwatch/v1/review.grpc.pb.h"
#include "hashwatch/v1/scan.grpc.pb.h"
#include "matcher/hashes.h"
#include "nlohmann/json.hpp"
#include "tests/cli/self_signed.h"
#include "tests/testing/paths.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch {
namespace {

using ::hashwatch::testing::BinaryPath;
using ::hashwatch::testing::Lines;
using ::hashwatch::testing::ProcessResult;
using ::hashwatch::testing::RunProcess;
using ::hashwatch::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr char kToken[] = "fake-token";

grpc::Status CheckToken(grpc::ServerContext* ctx) {
  auto it = ctx->client_metadata().find("authorization");
  if (it == ctx->client_metadata().end() ||
      std::string(it->second.data(), it->second.size()) !=
          absl::StrCat("Bearer ", kToken)) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "bad token");
  }
  return grpc::Status::OK;
}

void SetTime(int64_t seconds, google::protobuf::Timestamp* t) {
  t->set_seconds(seconds);
}

// Answers by the image's bytes: "match" auto-reports, "review" is queued,
// "bad" fails as an item, anything else matches nothing.
class FakeScan final : public v1::ScanService::Service {
 public:
  grpc::Status ScanStream(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<v1::ScanResponse, v1::ScanRequest>* stream)
      override {
    if (grpc::Status s = CheckToken(ctx); !s.ok()) return s;
    v1::ScanRequest req;
    while (stream->Read(&req)) {
      {
        absl::MutexLock lock(&mu_);
        requests_.push_back(req);
      }
      v1::ScanResponse resp;
      resp.set_content_id(req.content_id());
      resp.mutable_hashes()->set_sha256(matcher::Sha256Hex(req.image()));
      if (req.image() == "match") {
        resp.set_verdict(v1::AUTO_REPORTED);
        resp.set_report_id("r-00000000000000aa");
        v1::Match* m = resp.add_matches();
        m->set_bank("iwf");
        m->set_entry_id(42);
        m->set_signal(v1::SIGNAL_TYPE_PDQ);
        m->set_hash(std::string(64, 'a'));
        m->set_distance(3);
        m->set_category("A");
        m->set_dihedral_variant(2);
        m->set_auto_report(true);
      } else if (req.image() == "review") {
        resp.set_verdict(v1::QUEUED_FOR_REVIEW);
        resp.set_item_id(7);
        resp.set_replayed(true);
      } else if (req.image() == "bad") {
        resp.mutable_error()->set_code(3);
        resp.mutable_error()->set_message("image: cannot decode");
      } else {
        resp.set_verdict(v1::NO_MATCH);
      }
      if (!stream->Write(resp)) break;
    }
    return grpc::Status::OK;
  }

  std::vector<v1::ScanRequest> requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

 private:
  absl::Mutex mu_;
  std::vector<v1::ScanRequest> requests_ ABSL_GUARDED_BY(mu_);
};

class FakeReview final : public v1::ReviewService::Service {
 public:
  grpc::Status Lease(grpc::ServerContext* ctx, const v1::LeaseRequest* req,
                     v1::LeaseResponse* resp) override {
    if (grpc::Status s = CheckToken(ctx); !s.ok()) return s;
    if (req->lanes_size() == 1 && req->lanes(0) == "empty")
      return grpc::Status::OK;
    v1::LeasedItem* l = resp->add_items();
    l->set_lease_id(99);
    SetTime(1800000000, l->mutable_expires());
    l->set_effective_priority(12.5);
    l->set_preview_jpeg("JPEGDATA");
    v1::ReviewItem* item = l->mutable_item();
    item->set_id(7);
    item->set_content_id("u-7");
    item->set_lane(req->lanes_size() ? req->lanes(0) : "proactive");
    item->set_kind(v1::ITEM_KIND_HASH_MATCH);
    item->set_category("B");
    item->set_priority_class(v1::PRIORITY_CLASS_HIGH);
    v1::ReviewMatch* m = item->add_matches();
    m->set_bank("iwf");
    m->set_signal(v1::SIGNAL_TYPE_PDQ);
    m->set_distance(20);
    return grpc::Status::OK;
  }
  grpc::Status Decide(grpc::ServerContext* ctx, const v1::DecideRequest* req,
                      v1::DecideResponse* resp) override {
    if (grpc::Status s = CheckToken(ctx); !s.ok()) return s;
    if (req->lease_id() != 99) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          "review: lease 5 is not yours");
    }
    resp->mutable_decision()->set_kind(req->kind());
    resp->mutable_decision()->set_category(req->category());
    resp->mutable_decision()->set_moderator("mod-1");
    resp->set_report_id("r-00000000000000bb");
    resp->add_banked("internal-confirmed:pdq");
    return grpc::Status::OK;
  }
  grpc::Status Stats(grpc::ServerContext* ctx, const v1::QueueStatsRequest*,
                     v1::QueueStats* resp) override {
    if (grpc::Status s = CheckToken(ctx); !s.ok()) return s;
    resp->set_waiting(3);
    resp->add_flagged_entries(42);
    v1::LaneStats* l = resp->add_lanes();
    l->set_lane("proactive");
    l->set_waiting(3);
    return grpc::Status::OK;
  }
};

class FakeReport final : public v1::ReportService::Service {
 public:
  grpc::Status List(grpc::ServerContext* ctx, const v1::ListReportsRequest* req,
                    v1::ListReportsResponse* resp) override {
    if (grpc::Status s = CheckToken(ctx); !s.ok()) return s;
    last_ = *req;
    v1::Report* r = resp->add_reports();
    r->set_id("r-00000000000000aa");
    SetTime(1800000000, r->mutable_created());
    r->set_state(v1::REPORT_STATE_PENDING);
    r->set_origin(v1::REPORT_ORIGIN_AUTOMATIC);
    r->set_category("A");
    r->set_content_id("u-1");
    v1::Evidence* far = r->add_evidence();
    far->set_bank("ncmec");
    far->set_distance(9);
    v1::Evidence* near = r->add_evidence();
    near->set_bank("iwf");
    near->set_distance(2);
    return grpc::Status::OK;
  }
  grpc::Status Export(grpc::ServerContext* ctx, const v1::ListReportsRequest*,
                      grpc::ServerWriter<v1::ExportChunk>* writer) override {
    if (grpc::Status s = CheckToken(ctx); !s.ok()) return s;
    v1::ExportChunk chunk;
    chunk.set_json_line(R"({"id":"r-1"})");
    writer->Write(chunk);
    chunk.set_json_line(R"({"id":"r-2"})");
    writer->Write(chunk);
    return grpc::Status::OK;
  }
  v1::ListReportsRequest last_;  // read after the call returned
};

class FakeBank final : public v1::BankService::Service {
 public:
  grpc::Status GetBank(grpc::ServerContext* ctx, const v1::GetBankRequest* req,
                       v1::Bank* resp) override {
    if (grpc::Status s = CheckToken(ctx); !s.ok()) return s;
    if (req->name() != "iwf") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          "bank_store: no bank \"" + req->name() + "\"");
    }
    resp->set_name("iwf");
    return grpc::Status::OK;
  }
  grpc::Status RemoveEntries(
      grpc::ServerContext* ctx,
      grpc::ServerReader<v1::RemoveEntriesRequest>* reader,
      v1::WriteResult* resp) override {
    if (grpc::Status s = CheckToken(ctx); !s.ok()) return s;
    v1::RemoveEntriesRequest req;
    while (reader->Read(&req)) {
      if (req.bank() != "iwf")
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bank");
      removed_messages_++;
      resp->set_removed(resp->removed() + req.values_size());
    }
    return grpc::Status::OK;
  }
  grpc::Status ExportBank(grpc::ServerContext* ctx,
                          const v1::ExportBankRequest*,
                          grpc::ServerWriter<v1::Entry>* writer) override {
    if (grpc::Status s = CheckToken(ctx); !s.ok()) return s;
    v1::Entry e;
    e.set_id(1);
    e.set_bank("iwf");
    e.set_signal(v1::SIGNAL_TYPE_MD5);
    e.set_value(std::string(32, 'b'));
    e.set_category("A");
    e.set_source("list, 2");
    writer->Write(e);
    return grpc::Status(grpc::StatusCode::DATA_LOSS,
                        "bank_store: entry 2 is corrupt");
  }
  grpc::Status DisableEntry(grpc::ServerContext* ctx,
                            const v1::DisableEntryRequest* req,
                            v1::Entry* resp) override {
    if (grpc::Status s = CheckToken(ctx); !s.ok()) return s;
    disable_requests_.push_back(*req);
    // The bank holds the value as SHA-256, not PDQ.
    if (req->signal() != v1::SIGNAL_TYPE_SHA256) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          "bank_store: no such entry");
    }
    // The entry as the server answers: with its bank, signal and state.
    resp->set_bank(req->bank());
    resp->set_signal(req->signal());
    resp->set_value(req->value());
    *resp->mutable_disabled_until() = req->until();
    return grpc::Status::OK;
  }
  grpc::Status AddEntries(grpc::ServerContext* ctx,
                          grpc::ServerReader<v1::AddEntriesRequest>* reader,
                          v1::WriteResult* resp) override {
    if (grpc::Status s = CheckToken(ctx); !s.ok()) return s;
    v1::AddEntriesRequest req;
    while (reader->Read(&req)) {
      if (req.bank() != "iwf")
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bank");
      added_messages_++;
      for (const v1::NewEntry& e : req.entries()) {
        if (e.signal() != v1::SIGNAL_TYPE_MD5 || e.category() != "A") {
          return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "entry");
        }
        if (first_entries_.size() < 10) first_entries_.push_back(e);
      }
      resp->set_added(resp->added() + req.entries_size());
    }
    return grpc::Status::OK;
  }
  int added_messages_ = 0;
  std::vector<v1::NewEntry> first_entries_;  // the first 10 added
  int removed_messages_ = 0;
  std::vector<v1::DisableEntryRequest> disable_requests_;
};

class ClientFakeServerTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(grpc::InsecureServerCredentials()); }

  void Start(std::shared_ptr<grpc::ServerCredentials> credentials) {
    setenv("HASHWATCH_TOKEN", kToken, 1);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", credentials, &port);
    builder.RegisterService(&scan_);
    builder.RegisterService(&review_);
    builder.RegisterService(&report_);
    builder.RegisterService(&bank_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port, 0);
    address_ = absl::StrCat("127.0.0.1:", port);
  }
  void TearDown() override {
    server_->Shutdown();
    unsetenv("HASHWATCH_TOKEN");
  }

  ProcessResult Run(std::vector<std::string> args, bool plaintext = true) {
    args.insert(args.begin(), BinaryPath("hashwatch"));
    if (plaintext) args.push_back("--plaintext");
    args.insert(args.end(), {"--server", address_});
    return RunProcess(args);
  }

  TempDir dir_;
  FakeScan scan_;
  FakeReview review_;
  FakeReport report_;
  FakeBank bank_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

TEST_F(ClientFakeServerTest, ScanPrintsOneLinePerFileInOrder) {
  const std::string match = dir_.Write("m.jpg", "match");
  const std::string review = dir_.Write("r.jpg", "review");
  const std::string none = dir_.Write("n.jpg", "nothing");
  const std::string missing = dir_.Sub("missing.jpg");
  ProcessResult r = Run(
      {"scan",     match,           missing,         review,
       none,       "--lane",        "user_report",   "--uploader",
       "acct-1",   "--ip",          "192.0.2.1",     "--classifier-score",
       "0.25",     "--user-report", "--signal",      "grooming",
       "--signal", "livestream",    "--upload-time", "2026-11-01T10:00:00Z"});
  EXPECT_EQ(r.exit_code, 1);  // the missing file
  EXPECT_THAT(
      Lines(r.out),
      ElementsAre(match + "\tAUTO_REPORTED\tiwf\t3\treport r-00000000000000aa",
                  review + "\tQUEUED_FOR_REVIEW\t-\t-\titem 7",
                  none + "\tNO_MATCH\t-\t-\t-"));
  EXPECT_EQ(r.err, "hashwatch: " + missing +
                       ": cannot open: No such file or directory\n");

  const std::vector<v1::ScanRequest> sent = scan_.requests();
  ASSERT_THAT(sent, SizeIs(3));
  EXPECT_EQ(sent[0].content_id(), matcher::Sha256Hex("match"));
  const v1::ScanContext& c = sent[0].context();
  EXPECT_EQ(c.lane(), "user_report");
  EXPECT_EQ(c.uploader_id(), "acct-1");
  EXPECT_EQ(c.uploader_ip(), "192.0.2.1");
  EXPECT_TRUE(c.has_classifier_score());
  EXPECT_DOUBLE_EQ(c.classifier_score(), 0.25);
  EXPECT_TRUE(c.user_report());
  EXPECT_THAT(c.signals(), ElementsAre("grooming", "livestream"));
  EXPECT_EQ(c.upload_time().seconds(), 1793527200);
}

TEST_F(ClientFakeServerTest, ScanJsonCarriesMatchesAndItemErrors) {
  const std::string match = dir_.Write("m.jpg", "match");
  const std::string bad = dir_.Write("b.jpg", "bad");
  ProcessResult r = Run({"scan", "--json", match, bad});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "hashwatch: scan " + bad +
                       ": INVALID_ARGUMENT: image: cannot decode\n");
  const std::vector<std::string> lines = Lines(r.out);
  ASSERT_THAT(lines, SizeIs(2));
  const nlohmann::json hit = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(hit.at("file"), match);
  EXPECT_EQ(hit.at("content_id"), matcher::Sha256Hex("match"));
  EXPECT_EQ(hit.at("verdict"), "AUTO_REPORTED");
  EXPECT_EQ(hit.at("report_id"), "r-00000000000000aa");
  EXPECT_EQ(hit.at("item_id"), 0);
  EXPECT_EQ(hit.at("replayed"), false);
  EXPECT_FALSE(hit.contains("error"));
  ASSERT_EQ(hit.at("matches").size(), 1u);
  const nlohmann::json& m = hit.at("matches")[0];
  EXPECT_EQ(m.at("bank"), "iwf");
  EXPECT_EQ(m.at("entry_id"), 42);
  EXPECT_EQ(m.at("signal"), "pdq");
  EXPECT_EQ(m.at("hash"), std::string(64, 'a'));
  EXPECT_EQ(m.at("distance"), 3);
  EXPECT_EQ(m.at("category"), "A");
  EXPECT_EQ(m.at("dihedral_variant"), 2);
  const nlohmann::json failed = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(failed.at("file"), bad);
  EXPECT_EQ(failed.at("error").at("code"), "INVALID_ARGUMENT");
  EXPECT_EQ(failed.at("error").at("message"), "image: cannot decode");
}

TEST_F(ClientFakeServerTest, ScanUsesTheGivenContentId) {
  ProcessResult r = Run({"scan", dir_.Write("r.jpg", "review"), "--content-id",
                         "upload-77", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out).at("content_id"), "upload-77");
  EXPECT_EQ(nlohmann::json::parse(r.out).at("replayed"), true);
  ASSERT_THAT(scan_.requests(), SizeIs(1));
  EXPECT_EQ(scan_.requests()[0].content_id(), "upload-77");
  EXPECT_FALSE(scan_.requests()[0].context().has_classifier_score());
}

TEST_F(ClientFakeServerTest, WrongTokenIsUnauthenticated) {
  setenv("HASHWATCH_TOKEN", "other", 1);
  ProcessResult r = Run({"review", "stats"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "hashwatch: review stats: UNAUTHENTICATED: bad token\n");
}

TEST_F(ClientFakeServerTest, ReviewNextWritesThePreviewAndPrintsTheLease) {
  const std::string preview = dir_.Sub("p.jpg");
  ProcessResult r =
      Run({"review", "next", "--lane", "escalation", "--preview", preview});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("item_id"), 7);
  EXPECT_EQ(j.at("lease_id"), 99);
  EXPECT_EQ(j.at("expires"), "2027-01-15T08:00:00+00:00");
  EXPECT_EQ(j.at("lane"), "escalation");
  EXPECT_EQ(j.at("kind"), "hash_match");
  EXPECT_EQ(j.at("content_id"), "u-7");
  EXPECT_EQ(j.at("category"), "B");
  EXPECT_EQ(j.at("priority"), 12.5);
  EXPECT_EQ(j.at("priority_class"), "high");
  EXPECT_EQ(j.at("matches")[0].at("distance"), 20);
  EXPECT_EQ(j.at("preview"), preview);
  EXPECT_EQ(testing::ReadFileOrDie(preview), "JPEGDATA");

  ProcessResult empty = Run({"review", "next", "--lane", "empty"});
  EXPECT_EQ(empty.exit_code, 0);
  EXPECT_THAT(empty.out, IsEmpty());
  EXPECT_EQ(empty.err, "no items waiting\n");
}

TEST_F(ClientFakeServerTest, ReviewDecideAndStatsPrintJson) {
  ProcessResult d =
      Run({"review", "decide", "7", "99", "confirm", "--category", "A"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  const nlohmann::json j = nlohmann::json::parse(d.out);
  EXPECT_EQ(j.at("item_id"), 7);
  EXPECT_EQ(j.at("decision"), "confirm");
  EXPECT_EQ(j.at("category"), "A");
  EXPECT_EQ(j.at("report_id"), "r-00000000000000bb");
  EXPECT_EQ(j.at("banked"), nlohmann::json::array({"internal-confirmed:pdq"}));

  ProcessResult stale = Run({"review", "decide", "7", "5", "skip"});
  EXPECT_EQ(stale.exit_code, 1);
  EXPECT_EQ(stale.err,
            "hashwatch: review decide 7: FAILED_PRECONDITION: review: lease 5 "
            "is not yours\n");

  ProcessResult s = Run({"review", "stats"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  const nlohmann::json stats = nlohmann::json::parse(s.out);
  EXPECT_EQ(stats.at("waiting"), 3);
  EXPECT_EQ(stats.at("lanes")[0].at("lane"), "proactive");
  EXPECT_EQ(stats.at("flagged_entries"), nlohmann::json::array({42}));
}

TEST_F(ClientFakeServerTest, ReportListAndExport) {
  ProcessResult l =
      Run({"report", "list", "--state", "pending", "--bank", "iwf", "--from",
           "2026-11-01T00:00:00Z", "--limit", "5"});
  ASSERT_EQ(l.exit_code, 0) << l.err;
  EXPECT_THAT(
      Lines(l.out),
      ElementsAre(
          "id\tcreated\tstate\torigin\tcategory\tcontent_id\tbank\tdistance",
          "r-00000000000000aa\t2027-01-15T08:00:00+00:"
          "00\tpending\tautomatic\tA\tu-1"
          "\tiwf\t2"));
  EXPECT_EQ(report_.last_.state(), v1::REPORT_STATE_PENDING);
  EXPECT_EQ(report_.last_.bank(), "iwf");
  EXPECT_EQ(report_.last_.limit(), 5);
  EXPECT_EQ(report_.last_.from().seconds(), 1793491200);
  EXPECT_FALSE(report_.last_.has_to());

  ProcessResult e = Run({"report", "export"});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_EQ(e.out, "{\"id\":\"r-1\"}\n{\"id\":\"r-2\"}\n");
}

TEST_F(ClientFakeServerTest,
       BankRemoveStreamsAndExportReportsAFailureAfterTheEntries) {
  const std::string list = dir_.Write(
      "rm.txt", std::string(32, 'c') + "\n" + std::string(32, 'd') + "\n");
  ProcessResult rm = Run({"bank", "remove", "iwf", list});
  ASSERT_EQ(rm.exit_code, 0) << rm.err;
  EXPECT_EQ(rm.out, "removed 2 from iwf; 0 not in the bank\n");
  EXPECT_EQ(bank_.removed_messages_, 1);

  ProcessResult unknown = Run({"bank", "remove", "nope", list});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_EQ(
      unknown.err,
      "hashwatch: bank remove nope: NOT_FOUND: bank_store: no bank \"nope\"\n");

  ProcessResult ex = Run({"bank", "export", "iwf"});
  EXPECT_EQ(ex.exit_code, 1);
  EXPECT_EQ(ex.out,
            "hash,signal_type,category,source,note,metadata,disabled_until\n" +
                std::string(32, 'b') + ",md5,A,\"list, 2\",,,\n");
  EXPECT_EQ(ex.err,
            "hashwatch: bank export iwf: DATA_LOSS: bank_store: entry 2 is "
            "corrupt\n");
}

TEST_F(ClientFakeServerTest,
       BankImportOfAListTooLargeForOneMessageStreamsEntries) {
  // 17 MiB of CSV: over the ImportList size, so it goes as AddEntries chunks.
  std::string csv = "hash,category\n";
  const int n = 17 * (1 << 20) / 35;
  csv.reserve(static_cast<size_t>(n) * 36 + 16);
  for (int i = 0; i < n; ++i) csv += absl::StrFormat("%032x,A\n", i);
  const std::string list = dir_.Write("big.csv", csv);
  ProcessResult r = Run({"bank", "import", "iwf", list});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, absl::StrFormat(
                       "imported %s into iwf (csv): %d added, 0 updated, 0 "
                       "unchanged, 0 bad lines skipped\n",
                       list, n));
  EXPECT_GT(bank_.added_messages_, 1);
}

// An export's disabled_until column reaches the server as each entry's
// state; a list without it leaves the state unset (the bank keeps its own).
TEST_F(ClientFakeServerTest, BankImportSendsEachEntrysStateWhenTheListGivesIt) {
  const std::string list =
      dir_.Write("export.csv",
                 "hash,category,disabled_until\n" + std::string(32, 'a') +
                     ",A,\n" + std::string(32, 'b') + ",A,indefinitely\n" +
                     std::string(32, 'c') + ",A,2030-01-01T00:00:00.5+00:00\n");
  ProcessResult r = Run({"bank", "import", "iwf", list, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(
      nlohmann::json::parse(r.out),
      nlohmann::json::parse("{\"bank\":\"iwf\",\"file\":\"" + list +
                            "\",\"format\":\"csv\",\"added\":3,\"updated\":0,"
                            "\"unchanged\":0,\"bad_lines\":0}"));
  ASSERT_THAT(bank_.first_entries_, SizeIs(3));
  const v1::NewEntry& enabled = bank_.first_entries_[0];
  ASSERT_TRUE(enabled.has_disabled_until());  // set, to the zero Timestamp
  EXPECT_EQ(enabled.disabled_until().seconds(), 0);
  EXPECT_EQ(enabled.disabled_until().nanos(), 0);
  EXPECT_EQ(bank_.first_entries_[1].disabled_until().seconds(), 253402300799);
  EXPECT_EQ(bank_.first_entries_[2].disabled_until().seconds(), 1893456000);
  EXPECT_EQ(bank_.first_entries_[2].disabled_until().nanos(), 500'000'000);

  bank_.first_entries_.clear();
  r = Run({"bank", "import", "iwf",
           dir_.Write("plain.csv",
                      "hash,category\n" + std::string(32, 'a') + ",A\n")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_THAT(bank_.first_entries_, SizeIs(1));
  EXPECT_FALSE(bank_.first_entries_[0].has_disabled_until());
}

TEST_F(ClientFakeServerTest, BankDisableTriesPdqThenSha256ForeverByDefault) {
  const std::string hash(64, 'e');
  ProcessResult r = Run({"bank", "disable", "iwf", hash});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "disabled sha256 " + hash + " in iwf indefinitely\n");
  ASSERT_THAT(bank_.disable_requests_, SizeIs(2));
  EXPECT_EQ(bank_.disable_requests_[0].signal(), v1::SIGNAL_TYPE_PDQ);
  // "Forever" is the largest Timestamp: an unset one would re-enable.
  EXPECT_EQ(bank_.disable_requests_[1].until().seconds(), 253402300799);
}

// The same server behind TLS that requires a client certificate.
class ClientTlsTest : public ClientFakeServerTest {
 protected:
  void SetUp() override {
    pem_ = testing::MakeSelfSignedCert();
    grpc::SslServerCredentialsOptions options(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    options.pem_root_certs = pem_.cert;
    options.pem_key_cert_pairs.push_back({pem_.key, pem_.cert});
    Start(grpc::SslServerCredentials(options));
    ca_ = dir_.Write("ca.pem", pem_.cert);
    cert_ = dir_.Write("client.pem", pem_.cert);
    key_ = dir_.Write("client.key", pem_.key);
  }
  testing::PemPair pem_;
  std::string ca_, cert_, key_;
};

TEST_F(ClientTlsTest, MutualTlsWithTheGivenRoots) {
  ProcessResult ok = Run({"review", "stats", "--ca-cert", ca_, "--client-cert",
                          cert_, "--client-key", key_},
                         /*plaintext=*/false);
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(nlohmann::json::parse(ok.out).at("waiting"), 3);

  // Without a client certificate the handshake fails.
  ProcessResult no_client =
      Run({"review", "stats", "--ca-cert", ca_}, /*plaintext=*/false);
  EXPECT_EQ(no_client.exit_code, 1);
  EXPECT_THAT(no_client.err,
              ::testing::StartsWith("hashwatch: review stats: UNAVAILABLE: "));
  EXPECT_EQ(std::count(no_client.err.begin(), no_client.err.end(), '\n'), 1);
  // The system roots do not know the test certificate.
  ProcessResult system_roots =
      Run({"review", "stats", "--client-cert", cert_, "--client-key", key_},
          /*plaintext=*/false);
  EXPECT_EQ(system_roots.exit_code, 1);
  EXPECT_THAT(
      system_roots.err,
      ::testing::MatchesRegex("hashwatch: review stats: UNAVAILABLE: [^\n]*"
                              "certificate verify failed[^\n]*\n"));
  // Plaintext against a TLS port fails too.
  EXPECT_EQ(Run({"review", "stats"}).exit_code, 1);
}

}  // namespace
}  // namespace hashwatch
