// Authentication before the body, the open health service and reflection
// only when configured, against an in-process server.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hashwatch/v1/scan.grpc.pb.h"
#include "tests/review_api/test_server.h"

namespace hashwatch::review_api {
namespace {

using ::hashwatch::review_api::testing::RawCall;
using ::hashwatch::review_api::testing::TestServer;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr char kScan[] = "/hashwatch.v1.ScanService/Scan";
constexpr char kHealthCheck[] = "/grpc.health.v1.Health/Check";
constexpr char kReflection[] =
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";
const std::string kUnknownToken = "hwt_" + std::string(64, '0');

// A ScanRequest whose image field is `image_bytes` bytes long.
std::string ScanRequestBytes(size_t image_bytes) {
  v1::ScanRequest request;
  request.set_content_id("big");
  request.set_image(std::string(image_bytes, 'x'));
  return request.SerializeAsString();
}

// A call whose body never comes is answered from its metadata alone: a
// handler (which gRPC starts only once a unary call's message is in) could
// not answer it, so it would run into its deadline.
TEST(TransportTest, TokensAreCheckedBeforeTheBodyIsRead) {
  TestServer server({});
  ASSERT_TRUE(server.started());
  for (const std::string& token : {std::string(), kUnknownToken}) {
    auto ctx = TestServer::As(token, std::chrono::seconds(20));
    const auto r = RawCall(server.Channel(), kScan, ctx.get(), {},
                           /*half_close=*/false);
    EXPECT_EQ(r.status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << "token \"" << token << "\": " << r.status.error_message();
  }
  auto bad_scheme = TestServer::As("");
  bad_scheme->AddMetadata("authorization", "Basic " + server.pipeline);
  const auto r = RawCall(server.Channel(), kScan, bad_scheme.get(), {},
                         /*half_close=*/false);
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(r.status.error_message(), HasSubstr("Bearer"));
}

TEST(TransportTest, AnUnknownTokensLargeBodyIsRefusedUnauthenticated) {
  TestServer server({});
  ASSERT_TRUE(server.started());
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(-1);
  const std::string big = ScanRequestBytes(60 << 20);  // within the limit
  for (const std::string& token : {std::string(), kUnknownToken}) {
    auto ctx = TestServer::As(token);
    const auto r = RawCall(server.Channel(args), kScan, ctx.get(), {big});
    EXPECT_EQ(r.status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << r.status.error_message();
    EXPECT_THAT(r.status.error_message(),
                token.empty() ? HasSubstr("missing token")
                              : HasSubstr("unknown or revoked token"));
  }
  // A body with a valid token reaches the handler.
  auto ctx = TestServer::As(server.pipeline);
  const auto r = RawCall(server.Channel(args), kScan, ctx.get(),
                         {ScanRequestBytes(1 << 20)});
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << r.status.error_message();
  EXPECT_THAT(r.status.error_message(), HasSubstr("image"));
}

TEST(TransportTest, HealthChecksNeedNoToken) {
  TestServer server({});
  ASSERT_TRUE(server.started());
  auto ctx = TestServer::As("");
  // HealthCheckRequest{service: ""} is empty; the answer is {status: SERVING}.
  const auto r = RawCall(server.Channel(), kHealthCheck, ctx.get(), {""});
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  ASSERT_THAT(r.responses, SizeIs(1));
  EXPECT_EQ(r.responses[0], std::string("\x08\x01", 2));
}

// ServerReflectionRequest{list_services: ""}.
const std::string kListServices("\x3a\x00", 2);

TEST(TransportTest, ReflectionIsOffByDefault) {
  TestServer server({});
  ASSERT_TRUE(server.started());
  auto ctx = TestServer::As(server.admin);
  const auto r =
      RawCall(server.Channel(), kReflection, ctx.get(), {kListServices});
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::UNIMPLEMENTED)
      << r.status.error_message();
}

TEST(TransportTest, ReflectionWhenConfiguredStillNeedsAToken) {
  ServerConfig config;
  config.reflection = true;
  TestServer server(config);
  ASSERT_TRUE(server.started());
  auto anonymous = TestServer::As("");
  const auto refused =
      RawCall(server.Channel(), kReflection, anonymous.get(), {kListServices});
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  auto ctx = TestServer::As(server.pipeline);
  const auto r =
      RawCall(server.Channel(), kReflection, ctx.get(), {kListServices});
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  ASSERT_THAT(r.responses, SizeIs(1));
  EXPECT_THAT(r.responses[0], HasSubstr("hashwatch.v1.ScanService"));
}

}  // namespace
}  // namespace hashwatch::review_api
