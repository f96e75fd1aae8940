#include "review_api/config.h"

#include "absl/strings/str_cat.h"
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
  ASSERT_OK_AND_ASSIGN(ServerConfig c,
                       ParseServerConfig(R"({"plaintext": true})"));
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
  for (const char* local : {"127.0.0.1:50051", "127.1.2.3:0", "localhost:9000",
                            "[::1]:50051", "unix:/run/hashwatch.sock"}) {
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
    EXPECT_THAT(
        ValidateTlsConfig(c),
        StatusIs(absl::StatusCode::kInvalidArgument,
                 ::testing::AllOf(HasSubstr("loopback"), HasSubstr(open))))
        << open;
  }
}

TEST(ServerConfigTest, UnknownKeysWrongTypesAndRangesNameTheKey) {
  EXPECT_THAT(
      ParseServerConfig(R"({"plaintext": true, "scan": {"dihedrall": true}})"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("\"scan.dihedrall\"")));
  EXPECT_THAT(
      ParseServerConfig(R"({"plaintext": true, "listne": "x"})"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"listne\"")));
  EXPECT_THAT(ParseServerConfig(R"({"plaintext": "yes"})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("plaintext must be true or false")));
  EXPECT_THAT(ParseServerConfig(
                  R"({"plaintext": true, "limits": {"max_lease_items": 0}})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("limits.max_lease_items")));
  EXPECT_THAT(
      ParseServerConfig(
          R"({"plaintext": true, "scan": {"novel_classifier_threshold": 2}})"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("novel_classifier_threshold")));
  EXPECT_THAT(
      ParseServerConfig(
          R"({"plaintext": true, "scan": {"no_match_record_ttl_seconds": -1}})"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("no_match_record_ttl_seconds")));
  EXPECT_THAT(
      ParseServerConfig(
          R"({"plaintext": true, "scan": {"default_lane": "Bad Lane"}})"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Bad Lane")));
  EXPECT_THAT(
      ParseServerConfig(R"({"plaintext": true, "listen": "nohost"})"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("HOST:PORT")));
  EXPECT_THAT(ParseServerConfig("[1]"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseServerConfig("{"),
              StatusIs(absl::StatusCode::kInvalidArgument,
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

TEST(ServerConfigTest, QueueDefaultsAreTheQueuesOwn) {
  ASSERT_OK_AND_ASSIGN(ServerConfig c, ParseServerConfig("{}"));
  const queue::QueueOptions defaults;
  ASSERT_EQ(c.queue.lanes.size(), defaults.lanes.size());
  for (size_t i = 0; i < defaults.lanes.size(); ++i) {
    EXPECT_EQ(c.queue.lanes[i].name, defaults.lanes[i].name);
    EXPECT_EQ(c.queue.lanes[i].weight, defaults.lanes[i].weight);
    EXPECT_EQ(c.queue.lanes[i].served_first, defaults.lanes[i].served_first);
    EXPECT_EQ(c.queue.lanes[i].sla, defaults.lanes[i].sla);
  }
  EXPECT_EQ(c.queue.escalation_lane, "escalation");
  EXPECT_EQ(c.queue.welfare.max_items_per_hour,
            defaults.welfare.max_items_per_hour);
  EXPECT_EQ(c.queue.welfare.break_length, defaults.welfare.break_length);
}

TEST(ServerConfigTest, ReadsQueueLanesSlasAndWelfareIntoTheQueueOptions) {
  ASSERT_OK_AND_ASSIGN(ServerConfig c, ParseServerConfig(R"({
    "db": "/srv/hw",
    "queue_wal_dir": "/fast/wal",
    "scan": {"default_lane": "proactive", "user_report_lane": "public"},
    "review": {"case_lane": "public", "lease_duration_seconds": 120},
    "queue": {
      "lanes": [
        {"name": "lead", "served_first": true},
        {"name": "proactive", "weight": 70, "sla_seconds": {"critical": 600, "low": 7200}},
        {"name": "public", "weight": 30}
      ],
      "escalation_lane": "lead",
      "welfare": {"max_items_per_hour": 40, "max_items_per_shift": 0,
                  "shift_length_seconds": 21600, "break_after_items": 10,
                  "break_length_seconds": 600}
    }
  })"));
  const queue::QueueOptions o = QueueOptionsFromConfig(c);
  EXPECT_EQ(o.path, "/srv/hw/queue");
  EXPECT_EQ(o.wal_dir, "/fast/wal");
  EXPECT_EQ(o.lease_duration, absl::Minutes(2));
  ASSERT_EQ(o.lanes.size(), 3u);
  EXPECT_EQ(o.lanes[0].name, "lead");
  EXPECT_TRUE(o.lanes[0].served_first);
  EXPECT_EQ(o.lanes[1].name, "proactive");
  EXPECT_EQ(o.lanes[1].weight, 70);
  EXPECT_FALSE(o.lanes[1].served_first);
  // Classes not given keep the default SLA.
  const queue::LaneOptions defaults;
  EXPECT_EQ(o.lanes[1].sla[0], absl::Minutes(10));
  EXPECT_EQ(o.lanes[1].sla[1], defaults.sla[1]);
  EXPECT_EQ(o.lanes[1].sla[2], defaults.sla[2]);
  EXPECT_EQ(o.lanes[1].sla[3], absl::Hours(2));
  EXPECT_EQ(o.lanes[2].name, "public");
  EXPECT_EQ(o.lanes[2].weight, 30);
  EXPECT_EQ(o.escalation_lane, "lead");
  EXPECT_EQ(o.welfare.max_items_per_hour, 40);
  EXPECT_EQ(o.welfare.max_items_per_shift, 0);
  EXPECT_EQ(o.welfare.shift_length, absl::Hours(6));
  EXPECT_EQ(o.welfare.break_after_items, 10);
  EXPECT_EQ(o.welfare.break_length, absl::Minutes(10));

  // And it prints and reads back as it was read.
  const std::string json = ServerConfigToJson(c);
  ASSERT_OK_AND_ASSIGN(ServerConfig back, ParseServerConfig(json));
  EXPECT_EQ(ServerConfigToJson(back), json);
  EXPECT_EQ(back.queue.lanes[1].sla[0], absl::Minutes(10));
}

TEST(ServerConfigTest, BadQueuePolicyIsRefusedNamingTheKey) {
  struct Case {
    const char* queue;  // the "queue" object
    const char* want;   // in the one-line error
  };
  const Case cases[] = {
      {R"({"lanes": [{"name": "escalation", "served_first": true}, {"name": "proactive", "weight": 0},
                     {"name": "user_report"}]})",
       "queue.lanes[1].weight must be in 1..1000000 (got 0)"},
      {R"({"lanes": [{"name": "escalation", "served_first": true}, {"name": "proactive", "weight": -5},
                     {"name": "user_report"}]})",
       "queue.lanes[1].weight"},
      {R"({"lanes": [{"name": "escalation", "served_first": true}, {"name": "proactive", "weight": 1.5},
                     {"name": "user_report"}]})",
       "queue.lanes[1].weight must be an integer"},
      {R"({"lanes": [{"name": "escalation", "served_first": true}, {"name": "proactive"},
                     {"name": "user_report", "sla_seconds": {"critical": "1h"}}]})",
       "queue.lanes[2].sla_seconds.critical must be a number of seconds"},
      {R"({"lanes": [{"name": "escalation", "served_first": true}, {"name": "proactive"},
                     {"name": "user_report", "sla_seconds": {"high": 0}}]})",
       "queue.lanes[2].sla_seconds.high must be > 0"},
      {R"({"lanes": [{"name": "escalation", "served_first": true}, {"name": "proactive"},
                     {"name": "user_report", "sla_seconds": {"urgent": 60}}]})",
       "unknown key \"queue.lanes[2].sla_seconds.urgent\""},
      {R"({"lanes": [{"name": "escalation", "served_first": true}, {"name": "proactive", "wieght": 3},
                     {"name": "user_report"}]})",
       "unknown key \"queue.lanes[1].wieght\""},
      {R"({"lanes": [{"name": "escalation", "served_first": true}, "proactive"]})",
       "queue.lanes[1] must be an object"},
      {R"({"lanes": {"proactive": 80}})",
       "queue.lanes must be an array of objects"},
      {R"({"lanes": []})", "queue.lanes must list at least one lane"},
      {R"({"lanes": [{"name": "escalation", "served_first": true}, {"name": "Pro active"},
                     {"name": "user_report"}]})",
       "queue.lanes[1].name \"Pro active\""},
      {R"({"lanes": [{"weight": 3}]})", "queue.lanes[0].name \"\""},
      {R"({"lanes": [{"name": "escalation", "served_first": true}, {"name": "proactive"},
                     {"name": "proactive"}]})",
       "queue.lanes[2].name \"proactive\" is listed twice"},
      {R"({"lanes": [{"name": "escalation", "served_first": true},
                     {"name": "proactive", "served_first": true},
                     {"name": "user_report", "served_first": true}]})",
       "queue.lanes needs a lane without served_first"},
      {R"({"escalation_lane": "leads"})",
       "queue.escalation_lane \"leads\" is not a lane of queue.lanes "
       "(escalation, proactive, "
       "user_report)"},
      {R"({"lanes": [{"name": "escalation", "served_first": true}, {"name": "proactive"}]})",
       "scan.user_report_lane \"user_report\" is not a lane of queue.lanes"},
      {R"({"welfare": {"max_items_per_hour": -1}})",
       "queue.welfare.max_items_per_hour"},
      {R"({"welfare": {"shift_length_seconds": 1000000}})",
       "queue.welfare.shift_length_seconds must be at most 604800"},
      {R"({"welfare": {"break_length_seconds": 90000}})",
       "queue.welfare.break_length_seconds must be at most 86400"},
      {R"({"welfare": {"breaks": 3}})", "unknown key \"queue.welfare.breaks\""},
  };
  for (const Case& c : cases) {
    const std::string json =
        absl::StrCat(R"({"plaintext": true, "queue": )", c.queue, "}");
    absl::StatusOr<ServerConfig> config = ParseServerConfig(json);
    EXPECT_THAT(config,
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.want)))
        << json;
    if (!config.ok()) {
      EXPECT_EQ(config.status().message().find('\n'), absl::string_view::npos);
    }
  }
  // A lane the review section names must be a queue lane too.
  EXPECT_THAT(
      ParseServerConfig(R"({"review": {"case_lane": "cases"}})"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr(
                   "review.case_lane \"cases\" is not a lane of queue.lanes")));
}

TEST(ServerConfigTest, ResourceLimitsHaveDefaultsAndAreCheckedTogether) {
  ASSERT_OK_AND_ASSIGN(ServerConfig d, ParseServerConfig("{}"));
  EXPECT_EQ(d.limits.max_concurrent_calls, 256);
  EXPECT_EQ(d.limits.max_streams_per_connection, 100);
  EXPECT_EQ(d.limits.memory_quota_bytes, int64_t{2} << 30);
  EXPECT_EQ(d.limits.scan_stream_inflight_bytes, 128 << 20);
  EXPECT_EQ(d.limits.decode_budget_pixels, 150'000'000);
  EXPECT_EQ(d.threads, 300);
  EXPECT_FALSE(d.reflection);
  EXPECT_EQ(d.token_recheck_interval, absl::Seconds(2));
  ASSERT_OK_AND_ASSIGN(ServerConfig c, ParseServerConfig(R"({
    "reflection": true, "token_recheck_seconds": 0.5, "threads": 100,
    "limits": {"max_concurrent_calls": 50, "max_streams_per_connection": 8,
               "memory_quota_bytes": 1073741824,
               "scan_stream_inflight_bytes": 16777216,
               "decode_budget_pixels": 50000000}})"));
  EXPECT_TRUE(c.reflection);
  EXPECT_EQ(c.token_recheck_interval, absl::Milliseconds(500));
  EXPECT_EQ(c.limits.max_streams_per_connection, 8);
  EXPECT_EQ(c.limits.decode_budget_pixels, 50'000'000);
  // Each call holds a thread: the thread bound leaves room for the calls
  // and gRPC's own threads, so the call limit's clear error comes first.
  EXPECT_THAT(ParseServerConfig(R"({"threads": 100,
                            "limits": {"max_concurrent_calls": 90}})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("threads (100) must be at least "
                                 "limits.max_concurrent_calls + 16")));
  EXPECT_THAT(ParseServerConfig(R"({"limits": {"memory_quota_bytes": 1}})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("limits.memory_quota_bytes")));
  EXPECT_THAT(ParseServerConfig(R"({"token_recheck_seconds": 600})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("token_recheck_seconds")));
}

TEST(ServerConfigTest, LoadNamesTheFile) {
  hashwatch::testing::TempDir dir;
  EXPECT_THAT(LoadServerConfig(dir.Sub("missing.json")),
              StatusIs(absl::StatusCode::kNotFound));
  const std::string path = dir.Write("bad.json", R"({"threads": -1})");
  EXPECT_THAT(
      LoadServerConfig(path),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad.json")));
}

}  // namespace
}  // namespace hashwatch::review_api
