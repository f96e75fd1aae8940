// The report store's records: the versioned encoding round-trips, records
// written as JSON by earlier versions still decode, and malformed records
// of either kind are DataLoss naming the report's key, never an exception.
#include "report/internal/report_record.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hashwatch::report::internal {
namespace {

using ::hashwatch::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

Report Full() {
  Report r;
  r.sequence = 7;
  r.id = "r-0000000000000007";
  r.created = absl::FromUnixMicros(1'700'000'000'123'456);
  r.origin = ReportOrigin::kModeratorConfirm;
  r.state = ReportState::kSubmitted;
  r.submission_ref = "ctip-1";
  r.platform = "example";
  r.incident_type = "child_sexual_abuse_material";
  r.content_id = "upload-7";
  r.hashes.md5 = std::string(32, 'a');
  r.hashes.sha1 = std::string(40, 'd');
  r.hashes.sha256 = std::string(64, 'b');
  r.hashes.pdq = std::string(64, 'c');
  r.hashes.pdq_quality = 90;
  r.category = "A";
  r.evidence.push_back({.bank = "iwf",
                        .entry_id = 42,
                        .signal = "pdq",
                        .hash = std::string(64, 'c'),
                        .distance = 3,
                        .category = "A",
                        .source = "l"});
  r.evidence.push_back({.bank = "ncmec",
                        .entry_id = 9,
                        .signal = "md5",
                        .hash = std::string(32, 'a'),
                        .distance = 0,
                        .category = "B",
                        .source = ""});
  r.viewed_by_platform = true;
  r.viewed_by = "mod-1";
  r.viewed_at = absl::FromUnixSeconds(1'700'000'100);
  r.review_item_id = "17";
  r.uploader_account = "user-9";
  r.uploader_ip = "198.51.100.7";
  r.upload_time = absl::InfinitePast();
  r.preservation_deadline = absl::FromUnixSeconds(1'731'536'000);
  return r;
}

void ExpectSame(const Report& a, const Report& b) {
  EXPECT_EQ(a.sequence, b.sequence);
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.created, b.created);
  EXPECT_EQ(a.origin, b.origin);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.submission_ref, b.submission_ref);
  EXPECT_EQ(a.platform, b.platform);
  EXPECT_EQ(a.incident_type, b.incident_type);
  EXPECT_EQ(a.content_id, b.content_id);
  EXPECT_EQ(a.hashes.md5, b.hashes.md5);
  EXPECT_EQ(a.hashes.sha1, b.hashes.sha1);
  EXPECT_EQ(a.hashes.sha256, b.hashes.sha256);
  EXPECT_EQ(a.hashes.pdq, b.hashes.pdq);
  EXPECT_EQ(a.hashes.pdq_quality, b.hashes.pdq_quality);
  EXPECT_EQ(a.category, b.category);
  ASSERT_EQ(a.evidence.size(), b.evidence.size());
  for (size_t i = 0; i < a.evidence.size(); ++i) {
    EXPECT_EQ(a.evidence[i].bank, b.evidence[i].bank);
    EXPECT_EQ(a.evidence[i].entry_id, b.evidence[i].entry_id);
    EXPECT_EQ(a.evidence[i].signal, b.evidence[i].signal);
    EXPECT_EQ(a.evidence[i].hash, b.evidence[i].hash);
    EXPECT_EQ(a.evidence[i].source, b.evidence[i].source);
    EXPECT_EQ(a.evidence[i].category, b.evidence[i].category);
    EXPECT_EQ(a.evidence[i].distance, b.evidence[i].distance);
    EXPECT_EQ(a.evidence[i].path, b.evidence[i].path);
  }
  EXPECT_EQ(a.viewed_by_platform, b.viewed_by_platform);
  EXPECT_EQ(a.viewed_by, b.viewed_by);
  EXPECT_EQ(a.viewed_at, b.viewed_at);
  EXPECT_EQ(a.review_item_id, b.review_item_id);
  EXPECT_EQ(a.uploader_account, b.uploader_account);
  EXPECT_EQ(a.uploader_ip, b.uploader_ip);
  EXPECT_EQ(a.upload_time, b.upload_time);
  EXPECT_EQ(a.preservation_deadline, b.preservation_deadline);
}

TEST(ReportRecordTest, RoundTripsEveryField) {
  const Report r = Full();
  const std::string bytes = EncodeReport(r);
  EXPECT_EQ(bytes[0], '\x01');  // format version 1
  ASSERT_OK_AND_ASSIGN(Report back, DecodeReport(7, bytes));
  ExpectSame(back, r);
}

TEST(ReportRecordTest, EvidencePathsRoundTripAndCostOldRecordsNothing) {
  Report r = Full();
  for (matcher::MatchEvidence& e : r.evidence) e.path = "";
  const std::string without = EncodeReport(r);
  r.evidence[0].path = "unbordered";
  const std::string with = EncodeReport(r);
  EXPECT_EQ(with.substr(0, without.size()), without);
  ASSERT_OK_AND_ASSIGN(Report back, DecodeReport(7, with));
  ExpectSame(back, r);
  ASSERT_OK_AND_ASSIGN(Report old, DecodeReport(7, without));
  EXPECT_EQ(old.evidence[0].path, "");
  EXPECT_THAT(DecodeReport(7, with.substr(0, with.size() - 1)),
              StatusIs(absl::StatusCode::kDataLoss));
}

// A record as the JSON-storing versions wrote it (ReportStore::ToJson).
TEST(ReportRecordTest, ReadsRecordsWrittenAsJsonByEarlierVersions) {
  const std::string old =
      R"({"id":"r-0000000000000007","sequence":7,)"
      R"("created":"2023-11-14T22:13:20.123456Z","origin":"moderator_confirm",)"
      R"("state":"submitted","submission_ref":"ctip-1","platform":"example",)"
      R"("incident_type":"child_sexual_abuse_material","content_id":"upload-7",)"
      R"("md5":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",)"
      R"("sha1":"dddddddddddddddddddddddddddddddddddddddd",)"
      R"("sha256":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",)"
      R"("pdq":"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",)"
      R"("pdq_quality":90,"category":"A","evidence":[)"
      R"({"bank":"iwf","entry_id":42,"signal":"pdq",)"
      R"("value":"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",)"
      R"("source":"l","category":"A","distance":3},)"
      R"({"bank":"ncmec","entry_id":9,"signal":"md5",)"
      R"("value":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","source":"","category":"B",)"
      R"("distance":0}],"viewed_by_platform":true,"viewed_by":"mod-1",)"
      R"("viewed_at":"2023-11-14T22:15:00Z","review_item_id":"17",)"
      R"("uploader_account":"user-9","uploader_ip":"198.51.100.7",)"
      R"("upload_time":"","preservation_deadline":"2024-11-13T22:13:20Z"})";
  ASSERT_OK_AND_ASSIGN(Report back, DecodeReport(7, old));
  ExpectSame(back, Full());
}

TEST(ReportRecordTest, MalformedRecordsAreDataLossNamingTheKey) {
  const std::string good = EncodeReport(Full());
  const std::string cases[] = {
      "",
      "not json",
      "{",
      "[1]",
      good.substr(0, good.size() / 2),         // truncated
      good + "x",                              // trailing bytes
      R"({"sequence":"7"})",                   // wrong type
      R"({"created":"yesterday"})",            // not a time
      R"({"evidence":{"bank":"iwf"}})",        // not a list
      R"({"evidence":[{"distance":"far"}]})",  // wrong type inside
  };
  for (const std::string& bytes : cases) {
    EXPECT_THAT(DecodeReport(12, bytes),
                StatusIs(absl::StatusCode::kDataLoss,
                         AllOf(HasSubstr("report 12"), HasSubstr("corrupt"))))
        << bytes;
  }
}

}  // namespace
}  // namespace hashwatch::report::internal
