// The queue policy of the server configuration (review_api/config.h,
// `queue`) takes effect in the running server: configured lanes exist,
// their SLAs decide what is overdue, and the welfare limits stop leases.
// Through the gRPC API on 127.0.0.1:0, with a fake clock.
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "hashwatch/v1/review.grpc.pb.h"
#include "review_api/auth.h"
#include "review_api/config.h"
#include "review_api/server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch::review_api {
namespace {

std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("authorization", "Bearer " + token);
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::seconds(60));
  return ctx;
}

TEST(QueuePolicyTest, ConfiguredLanesSlasAndWelfareLimitsTakeEffect) {
  hashwatch::testing::TempDir dir;
  FakeClock clock;
  ASSERT_OK_AND_ASSIGN(ServerConfig config, ParseServerConfig(R"({
    "listen": "127.0.0.1:0",
    "plaintext": true,
    "queue": {
      "lanes": [
        {"name": "escalation", "served_first": true},
        {"name": "proactive", "weight": 80},
        {"name": "user_report", "weight": 20},
        {"name": "hotline", "weight": 5,
         "sla_seconds": {"critical": 60, "high": 60, "normal": 60, "low": 60}}
      ],
      "welfare": {"max_items_per_hour": 2}
    }
  })"));
  config.db = dir.Sub("db");
  std::filesystem::create_directories(config.db);
  ASSERT_OK_AND_ASSIGN(auto tokens,
                       TokenStore::Open(config.db + "/tokens.json", &clock));
  ASSERT_OK_AND_ASSIGN(const std::string pipeline,
                       tokens->Create("uploads", Role::kPipeline, {}));
  ASSERT_OK_AND_ASSIGN(const std::string mod,
                       tokens->Create("mod1", Role::kModerator, {}));
  ASSERT_OK_AND_ASSIGN(const std::string lead,
                       tokens->Create("lead", Role::kLead, {}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Server> server,
                       Server::Start(config, &clock));
  auto review = v1::ReviewService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", server->port()),
                          grpc::InsecureChannelCredentials()));

  // "hotline" is not a default lane: the configured list is what the server
  // accepts.
  int n = 0;
  for (const char* lane : {"hotline", "hotline", "user_report"}) {
    v1::EnqueueCaseRequest req;
    req.set_content_id(absl::StrCat("case-", ++n));
    req.set_lane(lane);
    req.set_summary("a case");
    v1::EnqueueCaseResponse resp;
    grpc::Status s = review->EnqueueCase(As(pipeline).get(), req, &resp);
    ASSERT_TRUE(s.ok()) << lane << ": " << s.error_message();
  }

  // Past the hotline's 60 s SLA, not past user_report's default ones.
  clock.Advance(absl::Seconds(61));
  v1::QueueStats stats;
  ASSERT_TRUE(
      review->Stats(As(lead).get(), v1::QueueStatsRequest(), &stats).ok());
  EXPECT_EQ(stats.waiting(), 3);
  EXPECT_EQ(stats.overdue(), 2);
  bool saw_hotline = false;
  for (const v1::LaneStats& lane : stats.lanes()) {
    if (lane.lane() == "hotline") {
      saw_hotline = true;
      EXPECT_EQ(lane.waiting(), 2);
      EXPECT_EQ(lane.overdue(), 2);
    } else {
      EXPECT_EQ(lane.overdue(), 0) << lane.lane();
    }
  }
  EXPECT_TRUE(saw_hotline);

  // Two items an hour: the third lease is refused, whatever is waiting.
  for (int i = 0; i < 2; ++i) {
    v1::LeaseRequest req;
    req.set_max_items(1);
    v1::LeaseResponse resp;
    grpc::Status s = review->Lease(As(mod).get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.items_size(), 1);
  }
  v1::LeaseRequest req;
  req.set_max_items(1);
  v1::LeaseResponse resp;
  grpc::Status third = review->Lease(As(mod).get(), req, &resp);
  EXPECT_EQ(third.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << third.error_message();
  server->Shutdown();
}

}  // namespace
}  // namespace hashwatch::review_api
