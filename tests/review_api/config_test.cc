#include "review_api/config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch::review_api {
namespace {

using ::hashwatch::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ServerConfigTest,
     EmptyObjectGivesTheDefaultsWhichNeedTlsOrPlaintextToServe) {
  // Loading (and printing) needs no TLS settings; serving does.
  ASSERT_OK_AND_ASSIGN(ServerConfig tls, ParseServerConfig("{}"));
  EXPECT_THAT(
      ValidateTlsConfig(tls),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tls.cert_file")));
  tls.tls.cert_file = "cert.pem";
  EXPECT_THAT(
      ValidateTlsConfig(tls),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tls.key_file")));
  tls.tls.key_file = "key.pem";
  EXPECT_OK(ValidateTlsConfig(tls));
  ASSERT_OK_AND_ASSIGN(ServerConfig c, ParseServerConfig(R"({"plaintext": true})"));
  EXPECT_OK(ValidateTlsConfig(c));
  EXPECT_EQ(c.listen, "127.0.0.1:50051");
  EXPECT_EQ(c.db, "./var/hashwatch");
  EXPECT_EQ(c.scan.no_match_record_ttl, absl::Hours(24));
  EXPECT_EQ(c.reports.retention, absl::Hours(24 * 365));
  EXPECT_EQ(c.review.platform_bank, "internal-confirmed");
}

TEST(ServerConfigTest, ReadsNestedKeysAndSeconds) {
  ASSERT_OK_AND_ASSIGN(ServerConfig c, ParseServerConfig(R"({
    "plaintext": true,
    "listen": "0.0.0.0:9000",
    "queue_wal_dir": "/fast/queue-wal",
    "scan": {"dihedral": true, "no_match_record_ttl_seconds": 3600,
             "review_signals": ["grooming"], "novel_classifier_threshold": 0.75},
    "limits": {"max_image_pixels": 50000000},
    "reports": {"retention_seconds": 86400, "platform": "example.net"}
  })"));
  EXPECT_EQ(c.listen, "0.0.0.0:9000");
  EXPECT_EQ(c.queue_wal_dir, "/fast/queue-wal");
  EXPECT_TRUE(c.scan.dihedral);
  EXPECT_EQ(c.scan.no_match_record_ttl, absl::Hours(1));
  EXPECT_THAT(c.scan.review_signals, ::testing::ElementsAre("grooming"));
  EXPECT_DOUBLE_EQ(c.scan.novel_classifier_threshold, 0.75);
  EXPECT_EQ(c.limits.max_image_pixels, 50'000'000);
  EXPECT_EQ(c.reports.retention, absl::Hours(24));
  EXPECT_EQ(c.reports.platform, "example.net");
}

// Plaintext carries tokens and pictures unencrypted: only on loopback.
TEST(ServerConfigTest, PlaintextIsServedOnlyOnLoopback) {
  for (const char* local :
       {"127.0.0.1:50051", "127.1.2.3:0", "localhost:9000", "[::1]:50051",
        "unix:/run/hashwatch.sock"}) {
    ServerConfig c;
    c.plaintext = true;
    c.listen = local;
    EXPECT_OK(ValidateTlsConfig(c)) << local;
  }
  for (const char* open :
       {"0.0.0.0:9000", "[::]:50051", ":50051", "10.0.0.5:50051",
        "scanner.example.net:50051", "128.0.0.1:1", "[::ffff:10.0.0.1]:1"}) {
    ServerConfig c;
    c.plaintext = true;
    c.listen = open;
    EXPECT_THAT(ValidateTlsConfig(c),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         ::testing::AllOf(HasSubstr("loopback"),
                                          HasSubstr(open))))
        << open;
  }
}

TEST(ServerConfigTest, UnknownKeysWrongTypesAndRangesNameTheKey) {
  EXPECT_THAT(ParseServerConfig(R"({"plaintext": true, "scan": {"dihedrall": true}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"scan.dihedrall\"")));
  EXPECT_THAT(ParseServerConfig(R"({"plaintext": true, "listne": "x"})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"listne\"")));
  EXPECT_THAT(ParseServerConfig(R"({"plaintext": "yes"})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("plaintext must be true or false")));
  EXPECT_THAT(ParseServerConfig(R"({"plaintext": true, "limits": {"max_lease_items": 0}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limits.max_lease_items")));
  EXPECT_THAT(
      ParseServerConfig(R"({"plaintext": true, "scan": {"novel_classifier_threshold": 2}})"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("novel_classifier_threshold")));
  EXPECT_THAT(
      ParseServerConfig(R"({"plaintext": true, "scan": {"no_match_record_ttl_seconds": -1}})"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no_match_record_ttl_seconds")));
  EXPECT_THAT(ParseServerConfig(R"({"plaintext": true, "scan": {"default_lane": "Bad Lane"}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Bad Lane")));
  EXPECT_THAT(ParseServerConfig(R"({"plaintext": true, "listen": "nohost"})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("HOST:PORT")));
  EXPECT_THAT(ParseServerConfig("[1]"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseServerConfig("{"), StatusIs(absl::StatusCode::kInvalidArgument,
                                               HasSubstr("not valid JSON")));
  ASSERT_OK_AND_ASSIGN(
      ServerConfig no_ca,
      ParseServerConfig(
          R"({"plaintext": true, "tls": {"require_client_cert": true}})"));
  EXPECT_THAT(ValidateTlsConfig(no_ca),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("client_ca_file")));
}

TEST(ServerConfigTest, PrintedConfigurationReadsBackUnchanged) {
  ServerConfig c;
  c.plaintext = true;
  c.scan.dihedral = true;
  c.scan.flood_window = absl::Minutes(5);
  c.review.lease_duration = absl::Seconds(90);
  c.limits.max_lease_items = 7;
  const std::string json = ServerConfigToJson(c);
  ASSERT_OK_AND_ASSIGN(ServerConfig back, ParseServerConfig(json));
  EXPECT_EQ(ServerConfigToJson(back), json);
  EXPECT_TRUE(back.scan.dihedral);
  EXPECT_EQ(back.scan.flood_window, absl::Minutes(5));
  EXPECT_EQ(back.review.lease_duration, absl::Seconds(90));
  EXPECT_EQ(back.limits.max_lease_items, 7);
}

TEST(ServerConfigTest, LoadNamesTheFile) {
  hashwatch::testing::TempDir dir;
  EXPECT_THAT(LoadServerConfig(dir.Sub("missing.json")), StatusIs(absl::StatusCode::kNotFound));
  const std::string path = dir.Write("bad.json", R"({"threads": -1})");
  EXPECT_THAT(LoadServerConfig(path),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad.json")));
}

}  // namespace
}  // namespace hashwatch::review_api
