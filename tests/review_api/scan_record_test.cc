// ScanRecord's encoding: round trips, records written as ScanResponse
// messages before it existed, and corrupt bytes.
#include "review_api/scan_record.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hashwatch/v1/scan.pb.h"
#include "tests/testing/status_matchers.h"

namespace hashwatch::review_api {
namespace {

using ::hashwatch::testing::StatusIs;
using ::testing::SizeIs;

ScanRecord Queued() {
  ScanRecord r;
  r.verdict = matcher::Verdict::kReview;
  r.reason = "pdq distance 20 in hotline";
  r.item_id = 12;
  RecordedMatch& m = r.matches.emplace_back();
  m.evidence.bank = "hotline";
  m.evidence.entry_id = 7;
  m.evidence.signal = "pdq";
  m.evidence.hash = std::string(64, 'f');
  m.evidence.distance = 20;
  m.evidence.category = "A";
  m.evidence.source = "list-1";
  m.dihedral_variant = 3;
  m.flooding = true;
  r.hashes = {.pdq = std::string(64, 'e'),
              .pdq_quality = 90,
              .md5 = std::string(32, 'a'),
              .sha1 = std::string(40, 'b'),
              .sha256 = std::string(64, 'c')};
  return r;
}

TEST(ScanRecordTest, RoundTripsEveryField) {
  const ScanRecord r = Queued();
  ASSERT_OK_AND_ASSIGN(ScanRecord back, DecodeScanRecord(EncodeScanRecord(r)));
  EXPECT_EQ(back.verdict, r.verdict);
  EXPECT_EQ(back.reason, r.reason);
  EXPECT_EQ(back.item_id, 12u);
  EXPECT_EQ(back.hashes.sha1, r.hashes.sha1);
  EXPECT_EQ(back.hashes.pdq_quality, 90);
  ASSERT_THAT(back.matches, SizeIs(1));
  EXPECT_EQ(back.matches[0].evidence.entry_id, 7u);
  EXPECT_EQ(back.matches[0].evidence.source, "list-1");
  EXPECT_EQ(back.matches[0].dihedral_variant, 3);
  EXPECT_TRUE(back.matches[0].flooding);
  EXPECT_FALSE(back.matches[0].auto_report);
  EXPECT_EQ(EncodeScanRecord(back), EncodeScanRecord(r));
}

TEST(ScanRecordTest, NoMatchRecordHoldsNoHashes) {
  ScanRecord r;
  r.reason = "no match";
  const std::string bytes = EncodeScanRecord(r);
  EXPECT_EQ(bytes.find("hashes"), std::string::npos);
  ASSERT_OK_AND_ASSIGN(ScanRecord back, DecodeScanRecord(bytes));
  EXPECT_EQ(back.verdict, matcher::Verdict::kNoMatch);
  EXPECT_TRUE(back.hashes.empty());
  EXPECT_EQ(back.hashes.pdq_quality, -1);
}

TEST(ScanRecordTest, ReadsAnswersStoredAsScanResponses) {
  v1::ScanResponse legacy;
  legacy.set_content_id("c-1");
  legacy.set_verdict(v1::AUTO_REPORTED);
  legacy.set_report_id("r-0000000000000001");
  v1::Match* m = legacy.add_matches();
  m->set_bank("hotline");
  m->set_entry_id(9);
  m->set_signal(v1::SIGNAL_TYPE_MD5);
  m->set_hash(std::string(32, 'a'));
  m->set_auto_report(true);
  legacy.mutable_hashes()->set_md5(std::string(32, 'a'));
  ASSERT_OK_AND_ASSIGN(ScanRecord r,
                       DecodeScanRecord(legacy.SerializeAsString()));
  EXPECT_EQ(r.verdict, matcher::Verdict::kAutoReport);
  EXPECT_EQ(r.report_id, "r-0000000000000001");
  ASSERT_THAT(r.matches, SizeIs(1));
  EXPECT_EQ(r.matches[0].evidence.signal, "md5");
  EXPECT_EQ(r.matches[0].evidence.entry_id, 9u);
  EXPECT_TRUE(r.matches[0].auto_report);
  EXPECT_EQ(r.hashes.md5, std::string(32, 'a'));
  EXPECT_EQ(r.hashes.pdq_quality, -1);  // no PDQ hash
}

TEST(ScanRecordTest, CorruptBytesAreDataLoss) {
  for (const std::string& bytes :
       {std::string("{\"v\":1,\"verdict\":"),
        std::string("{\"v\":2,\"verdict\":\"review\"}"),
        std::string("{\"v\":1,\"verdict\":\"maybe\"}"),
        std::string("{\"v\":1,\"verdict\":\"review\",\"item_id\":\"twelve\"}"),
        std::string("\xff\xff\xff", 3)}) {
    EXPECT_THAT(DecodeScanRecord(bytes), StatusIs(absl::StatusCode::kDataLoss))
        << bytes;
  }
}

}  // namespace
}  // namespace hashwatch::review_api
