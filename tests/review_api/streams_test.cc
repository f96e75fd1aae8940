// Open streams and a revoked token: every long-lived stream re-checks its
// token (token_recheck_seconds) and ends once it no longer holds.
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hashwatch/v1/bank.grpc.pb.h"
#include "hashwatch/v1/report.grpc.pb.h"
#include "hashwatch/v1/scan.grpc.pb.h"
#include "tests/review_api/test_server.h"

namespace hashwatch::review_api {
namespace {

using ::hashwatch::review_api::testing::TestServer;
using ::testing::Lt;

constexpr char kBannedMd5[] = "0123456789abcdef0123456789abcdef";

ServerConfig QuickRechecks() {
  ServerConfig config;
  config.token_recheck_interval = absl::Milliseconds(200);
  return config;
}

// An MD5 that the "hotline" bank reports automatically.
void BankMd5(TestServer& server) {
  auto banks = v1::BankService::NewStub(server.Channel());
  v1::CreateBankRequest create;
  create.set_name("hotline");
  create.mutable_policy()->set_auto_report_distance(10);
  create.mutable_policy()->set_review_distance(31);
  create.mutable_policy()->set_auto_report_enabled(true);
  v1::Bank bank;
  ASSERT_TRUE(
      banks->CreateBank(TestServer::As(server.admin).get(), create, &bank)
          .ok());
  v1::WriteResult result;
  auto ctx = TestServer::As(server.admin);
  auto writer = banks->AddEntries(ctx.get(), &result);
  v1::AddEntriesRequest add;
  add.set_bank("hotline");
  v1::NewEntry* e = add.add_entries();
  e->set_signal(v1::SIGNAL_TYPE_MD5);
  e->set_value(kBannedMd5);
  e->set_category("A");
  e->set_source("test-list");
  ASSERT_TRUE(writer->Write(add));
  ASSERT_TRUE(writer->WritesDone());
  const grpc::Status s = writer->Finish();
  ASSERT_TRUE(s.ok()) << s.error_message();
}

v1::ScanRequest ScanOfMd5(const std::string& content_id,
                          const std::string& md5) {
  v1::ScanRequest request;
  request.set_content_id(content_id);
  request.mutable_hashes()->set_md5(md5);
  return request;
}

// A scan stream keeps sending after its token is revoked: the server stops
// answering and ends the stream UNAUTHENTICATED.
TEST(StreamsTest, RevokingATokenEndsAnOpenScanStream) {
  TestServer server(QuickRechecks());
  ASSERT_TRUE(server.started());
  ASSERT_OK_AND_ASSIGN(const std::string token,
                       server.tokens().Create("scanner", Role::kPipeline, {}));
  auto scan = v1::ScanService::NewStub(server.Channel());
  auto ctx = TestServer::As(token);
  auto stream = scan->ScanStream(ctx.get());
  v1::ScanResponse answer;
  ASSERT_TRUE(stream->Write(ScanOfMd5("s-0", std::string(32, 'a'))));
  ASSERT_TRUE(stream->Read(&answer));
  ASSERT_OK(server.tokens().Revoke("scanner"));
  int answered_after = 0;
  for (int i = 1; i < 100'000; ++i) {
    const std::string md5 = absl::StrFormat("%032x", i);
    if (!stream->Write(ScanOfMd5(absl::StrCat("s-", i), md5))) break;
    if (!stream->Read(&answer)) break;
    ++answered_after;
  }
  const grpc::Status s = stream->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << s.error_message();
  EXPECT_THAT(answered_after, Lt(100'000));
}

// A scan stream that sends nothing more after its token is revoked is
// blocked in a read on the server: it is cancelled within two intervals.
TEST(StreamsTest, RevokingATokenEndsAnIdleScanStream) {
  TestServer server(QuickRechecks());
  ASSERT_TRUE(server.started());
  ASSERT_OK_AND_ASSIGN(const std::string token,
                       server.tokens().Create("scanner", Role::kPipeline, {}));
  auto scan = v1::ScanService::NewStub(server.Channel());
  auto ctx = TestServer::As(token, std::chrono::seconds(30));
  auto stream = scan->ScanStream(ctx.get());
  v1::ScanResponse answer;
  ASSERT_TRUE(stream->Write(ScanOfMd5("s-0", std::string(32, 'a'))));
  ASSERT_TRUE(stream->Read(&answer));
  ASSERT_OK(server.tokens().Revoke("scanner"));
  EXPECT_FALSE(stream->Read(&answer));
  const grpc::Status s = stream->Finish();
  EXPECT_NE(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
      << s.error_message();
  EXPECT_FALSE(s.ok());
}

// A watch with a backlog of reports, read slowly by its client (whose
// small receive window keeps the server from sending far ahead), stops
// delivering once its token is revoked.
TEST(StreamsTest, RevokingATokenStopsAWatchWithReportsStillToDeliver) {
  ServerConfig config = QuickRechecks();
  config.scan.flood_max_distinct_contents = 1000;  // one entry, many reports
  TestServer server(config);
  ASSERT_TRUE(server.started());
  BankMd5(server);
  auto scan = v1::ScanService::NewStub(server.Channel());
  constexpr int kReports = 300;
  for (int i = 0; i < kReports; ++i) {
    v1::ScanResponse r;
    const grpc::Status s =
        scan->Scan(TestServer::As(server.pipeline).get(),
                   ScanOfMd5(absl::StrCat("w-", i), kBannedMd5), &r);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(r.verdict(), v1::AUTO_REPORTED);
  }
  ASSERT_OK_AND_ASSIGN(const std::string token,
                       server.tokens().Create("watcher", Role::kLead, {}));
  grpc::ChannelArguments small_window;
  small_window.SetInt("grpc.http2.lookahead_bytes", 1024);
  small_window.SetInt("grpc.http2.bdp_probe", 0);
  auto reports = v1::ReportService::NewStub(server.Channel(small_window));
  auto ctx = TestServer::As(token);
  auto watch = reports->Watch(ctx.get(), v1::WatchReportsRequest());
  v1::Report report;
  ASSERT_TRUE(watch->Read(&report));
  ASSERT_OK(server.tokens().Revoke("watcher"));
  // Read on once the server has noticed.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (server.server().open_streams().refused() == 0 &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_EQ(server.server().open_streams().refused(), 1);
  int read = 1;
  while (watch->Read(&report)) ++read;
  const grpc::Status s = watch->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << s.error_message();
  EXPECT_THAT(read, Lt(kReports));
}

// An AddEntries stream whose token is revoked mid-way ends UNAUTHENTICATED
// and adds nothing, not even what it sent before.
TEST(StreamsTest, RevokingATokenEndsAnAddEntriesStreamAddingNothing) {
  TestServer server(QuickRechecks());
  ASSERT_TRUE(server.started());
  BankMd5(server);  // "hotline", one entry
  ASSERT_OK_AND_ASSIGN(const std::string token,
                       server.tokens().Create("importer", Role::kAdmin, {}));
  auto banks = v1::BankService::NewStub(server.Channel());
  v1::WriteResult result;
  auto ctx = TestServer::As(token);
  auto writer = banks->AddEntries(ctx.get(), &result);
  auto batch = [](int from) {
    v1::AddEntriesRequest add;
    add.set_bank("hotline");
    for (int i = from; i < from + 100; ++i) {
      v1::NewEntry* e = add.add_entries();
      e->set_signal(v1::SIGNAL_TYPE_MD5);
      e->set_value(absl::StrFormat("%032x", 1000 + i));
      e->set_category("A");
      e->set_source("test-list");
    }
    return add;
  };
  ASSERT_TRUE(writer->Write(batch(0)));
  // The handler registers its stream when it starts; a revoke before that
  // is refused at the start instead, which this test is not about.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (server.server().open_streams().open() == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_EQ(server.server().open_streams().open(), 1);
  ASSERT_OK(server.tokens().Revoke("importer"));
  while (server.server().open_streams().refused() == 0 &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_EQ(server.server().open_streams().refused(), 1);
  writer->Write(batch(100));  // may fail: the server may have ended it
  writer->WritesDone();
  const grpc::Status s = writer->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << s.error_message();
  v1::GetStatsRequest stats_request;
  stats_request.set_name("hotline");
  v1::BankStats stats;
  ASSERT_TRUE(
      banks->GetStats(TestServer::As(server.admin).get(), stats_request, &stats)
          .ok());
  EXPECT_EQ(stats.entries(), 1);
}

}  // namespace
}  // namespace hashwatch::review_api
