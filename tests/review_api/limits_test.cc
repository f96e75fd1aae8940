// The server's resource limits through a running server: calls in progress
// over limits.max_concurrent_calls are refused, a ScanStream client that
// does not read its answers stalls only itself, and one over
// limits.scan_stream_inflight_bytes is back-pressured.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hashwatch/v1/report.grpc.pb.h"
#include "hashwatch/v1/review.grpc.pb.h"
#include "hashwatch/v1/scan.grpc.pb.h"
#include "tests/bench/pictures.h"
#include "tests/review_api/test_server.h"

namespace hashwatch::review_api {
namespace {

using ::hashwatch::review_api::testing::TestServer;
using ::testing::HasSubstr;

using ScanStream = grpc::ClientReaderWriter<v1::ScanRequest, v1::ScanResponse>;

// Polls `done` every 10 ms until it holds or 30 s have passed.
template <typename Predicate>
bool Eventually(Predicate done) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

// A hash-only scan of a content id of its own, padded with `padding` bytes
// of an unknown field (kept and counted by protobuf, ignored by the
// server), so that its size is what a test needs.
v1::ScanRequest Request(const std::string& content_id, int n,
                        size_t padding = 0) {
  v1::ScanRequest request;
  request.set_content_id(content_id);
  request.mutable_hashes()->set_md5(absl::StrFormat("%032x", n));
  if (padding > 0) {
    request.GetReflection()->MutableUnknownFields(&request)->AddLengthDelimited(
        1000, std::string(padding, 'p'));
  }
  return request;
}

// A channel whose client lets the server send only ~1 KiB ahead of what
// it reads: a client that does not read stalls the server's writes at once.
std::shared_ptr<grpc::Channel> SmallWindowChannel(const TestServer& server) {
  grpc::ChannelArguments args;
  args.SetInt("grpc.http2.lookahead_bytes", 1024);
  args.SetInt("grpc.http2.bdp_probe", 0);
  args.SetMaxSendMessageSize(-1);
  return server.Channel(args);
}

TEST(LimitsTest, CallsOverTheLimitAreRefusedNamingIt) {
  ServerConfig config;
  config.limits.max_concurrent_calls = 2;
  config.threads = 32;
  TestServer server(config);
  ASSERT_TRUE(server.started());
  auto reports = v1::ReportService::NewStub(server.Channel());
  auto review = v1::ReviewService::NewStub(server.Channel());
  // Two watches hold both calls.
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<v1::Report>>> watches;
  for (int i = 0; i < 2; ++i) {
    contexts.push_back(TestServer::As(server.lead));
    watches.push_back(
        reports->Watch(contexts.back().get(), v1::WatchReportsRequest()));
  }
  grpc::Status third;
  auto stats = [&] {
    v1::QueueStats s;
    third = review->Stats(TestServer::As(server.lead).get(),
                          v1::QueueStatsRequest(), &s);
    return third;
  };
  ASSERT_TRUE(Eventually([&] {
    return stats().error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED;
  })) << third.error_message();
  EXPECT_THAT(third.error_message(),
              HasSubstr("limits.max_concurrent_calls (2)"));
  // One ends: calls are served again.
  contexts[0]->TryCancel();
  EXPECT_EQ(watches[0]->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(Eventually([&] { return stats().ok(); }))
      << third.error_message();
  contexts[1]->TryCancel();
  watches[1]->Finish();
}

// Ten clients send scans on streams and never read the answers; another
// client's stream is still answered in full.
TEST(LimitsTest, StalledReadersDoNotHoldUpAnotherClientsStream) {
  TestServer server({});
  ASSERT_TRUE(server.started());
  constexpr int kStalled = 10;
  struct Stalled {
    std::unique_ptr<grpc::ClientContext> ctx;
    std::unique_ptr<ScanStream> stream;
    std::atomic<int> written{0};
    std::thread writer;
  };
  std::vector<std::unique_ptr<Stalled>> stalled;
  auto scan = v1::ScanService::NewStub(SmallWindowChannel(server));
  for (int k = 0; k < kStalled; ++k) {
    auto s = std::make_unique<Stalled>();
    s->ctx = TestServer::As(server.pipeline, std::chrono::seconds(120));
    s->stream = scan->ScanStream(s->ctx.get());
    s->writer = std::thread([s = s.get(), k] {
      for (int i = 0; i < 2000; ++i) {
        if (!s->stream->Write(Request(absl::StrCat("stalled-", k, "-", i), i)))
          return;
        ++s->written;
      }
    });
    stalled.push_back(std::move(s));
  }
  // Each has sent more than its answers' room: its server-side writer is
  // blocked on it, and it has its fill of requests in flight.
  for (const auto& s : stalled)
    ASSERT_TRUE(Eventually([&] { return s->written >= 300; }));

  auto ctx = TestServer::As(server.pipeline, std::chrono::seconds(60));
  auto probe =
      v1::ScanService::NewStub(server.Channel())->ScanStream(ctx.get());
  constexpr int kProbes = 20;
  for (int i = 0; i < kProbes; ++i)
    ASSERT_TRUE(probe->Write(Request(absl::StrCat("probe-", i), 100'000 + i)));
  ASSERT_TRUE(probe->WritesDone());
  v1::ScanResponse answer;
  int answered = 0;
  while (probe->Read(&answer)) {
    EXPECT_EQ(answer.content_id(), absl::StrCat("probe-", answered));
    ++answered;
  }
  const grpc::Status s = probe->Finish();
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(answered, kProbes);

  for (auto& st : stalled) {
    st->ctx->TryCancel();
    st->writer.join();
    st->stream->Finish();
  }
}

// With a 1 MiB in-flight limit, a client that does not read its answers
// can push only a few 256 KiB requests into the stream: the server stops
// reading (and so the client's writes block) instead of buffering them.
// Once the client reads, every request is answered.
TEST(LimitsTest, AStreamOverItsByteLimitIsBackPressured) {
  ServerConfig config;
  config.limits.scan_stream_inflight_bytes = 1 << 20;
  TestServer server(config);
  ASSERT_TRUE(server.started());
  auto scan = v1::ScanService::NewStub(SmallWindowChannel(server));
  auto ctx = TestServer::As(server.pipeline, std::chrono::seconds(120));
  auto stream = scan->ScanStream(ctx.get());
  constexpr int kRequests = 200;  // 50 MiB, beyond any transport window
  std::atomic<int> written{0};
  absl::Notification all_written;
  std::thread writer([&] {
    for (int i = 0; i < kRequests; ++i) {
      if (!stream->Write(Request(absl::StrCat("b-", i), i, 256 << 10))) break;
      ++written;
    }
    stream->WritesDone();
    all_written.Notify();
  });
  // Without the byte limit all 200 go out at once (the count limit is 256).
  EXPECT_FALSE(all_written.WaitForNotificationWithTimeout(absl::Seconds(5)))
      << "the server read " << written << " requests ahead of its answers";
  // The server read the first requests and scanned them, but not the last.
  auto unary = v1::ScanService::NewStub(server.Channel());
  auto replayed = [&](int i) {
    v1::ScanResponse r;
    const grpc::Status s = unary->Scan(TestServer::As(server.pipeline).get(),
                                       Request(absl::StrCat("b-", i), i), &r);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return r.replayed();
  };
  EXPECT_TRUE(Eventually([&] { return replayed(0); }));
  EXPECT_FALSE(replayed(kRequests - 1));
  // Reading releases the back-pressure: every request gets its answer.
  v1::ScanResponse answer;
  int answered = 0;
  while (stream->Read(&answer)) ++answered;
  writer.join();
  const grpc::Status s = stream->Finish();
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(answered, kRequests);
}

// PNGs are decoded whole; with a decode budget smaller than one of them,
// concurrent scans of several still all succeed (each runs alone) rather
// than being refused.
TEST(LimitsTest, PicturesOverTheDecodeBudgetWaitAndRunAlone) {
  ServerConfig config;
  config.limits.decode_budget_pixels = 1 << 20;  // < 2000 x 1000
  TestServer server(config);
  ASSERT_TRUE(server.started());
  auto scan = v1::ScanService::NewStub(server.Channel());
  constexpr int kScans = 4;
  std::vector<std::string> pictures;
  for (int i = 0; i < kScans; ++i)
    pictures.push_back(hashwatch::testing::MakePicture(i, 2000, 1000, ".png"));
  std::vector<grpc::Status> status(kScans);
  std::vector<std::thread> scans;
  for (int i = 0; i < kScans; ++i) {
    scans.emplace_back([&, i] {
      v1::ScanRequest request;
      request.set_content_id(absl::StrCat("png-", i));
      request.set_image(pictures[i]);
      v1::ScanResponse r;
      status[i] =
          scan->Scan(TestServer::As(server.pipeline).get(), request, &r);
    });
  }
  for (std::thread& t : scans) t.join();
  for (const grpc::Status& s : status) EXPECT_TRUE(s.ok()) << s.error_message();
}

}  // namespace
}  // namespace hashwatch::review_api
