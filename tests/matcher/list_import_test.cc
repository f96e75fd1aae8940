#include "matcher/list_import.h"

#include "absl/strings/ascii.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hashwatch::matcher {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::SizeIs;

const std::string kMd5 = "d41d8cd98f00b204e9800998ecf8427e";
const std::string kSha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
const std::string kPdq = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22";

TEST(ListImportTest, PlainListInfersMd5AndSha1AndSkipsCommentsAndBlanks) {
  const ParsedList p = ParseHashList(
      "# a hotline list\n\n" + kMd5 + "\n  " + absl::AsciiStrToUpper(kSha1) + "  \r\n", {});
  EXPECT_EQ(p.format, ParsedList::Format::kPlain);
  ASSERT_THAT(p.entries, SizeIs(2));
  EXPECT_THAT(p.errors, SizeIs(0));
  EXPECT_EQ(p.entries[0].signal, SignalType::kMd5);
  EXPECT_EQ(p.entries[0].value, kMd5);
  EXPECT_EQ(p.entries[1].signal, SignalType::kSha1);
  EXPECT_EQ(p.entries[1].value, kSha1);  // lower-cased
}

TEST(ListImportTest, SixtyFourDigitsNeedTheSignalType) {
  const ParsedList ambiguous = ParseHashList(kMd5 + "\n" + kPdq + "\n", {});
  ASSERT_THAT(ambiguous.errors, SizeIs(1));
  EXPECT_EQ(ambiguous.errors[0].line, 2);
  EXPECT_THAT(ambiguous.errors[0].message, HasSubstr("pdq or sha256"));

  ListParseOptions options;
  options.signal = SignalType::kSha256;
  const ParsedList p = ParseHashList(kPdq + "\n", options);
  ASSERT_THAT(p.entries, SizeIs(1));
  EXPECT_EQ(p.entries[0].signal, SignalType::kSha256);
}

TEST(ListImportTest, MalformedLinesAreReportedWithLineNumbers) {
  const ParsedList p = ParseHashList(kMd5 + "\nnot-a-hash\n" + kMd5.substr(1) + "x\n" +
                                         kSha1.substr(0, 39) + "\n",
                                     {});
  ASSERT_THAT(p.entries, SizeIs(1));
  ASSERT_THAT(p.errors, SizeIs(3));
  EXPECT_EQ(p.errors[0].line, 2);
  EXPECT_EQ(p.errors[1].line, 3);
  EXPECT_THAT(p.errors[1].message, HasSubstr("not a hex digit"));
  EXPECT_EQ(p.errors[2].line, 4);
  EXPECT_THAT(p.errors[2].message, HasSubstr("39 characters"));
}

TEST(ListImportTest, CsvWithHeaderReadsNamedColumnsAndKeepsTheRestAsMetadata) {
  const std::string csv =
      "Hash,signal_type,category,source,note,case_ref\n" + kPdq +
      ",pdq,A,iwf-2026-11,\"seen twice, once cropped\",C-17\n" + kMd5 +
      ",,B,iwf-2026-11,,\n" + kPdq + ",sha256,C,,\"say \"\"hi\"\"\",\n";
  const ParsedList p = ParseHashList(csv, {});
  EXPECT_EQ(p.format, ParsedList::Format::kCsv);
  ASSERT_THAT(p.errors, SizeIs(0));
  ASSERT_THAT(p.entries, SizeIs(3));
  EXPECT_EQ(p.entries[0].signal, SignalType::kPdq);
  EXPECT_EQ(p.entries[0].category, "A");
  EXPECT_EQ(p.entries[0].source, "iwf-2026-11");
  EXPECT_EQ(p.entries[0].note, "seen twice, once cropped");
  EXPECT_EQ(p.entries[0].metadata_json, "{\"case_ref\":\"C-17\"}");
  EXPECT_EQ(p.entries[1].signal, SignalType::kMd5);  // inferred
  EXPECT_EQ(p.entries[1].metadata_json, "");
  EXPECT_EQ(p.entries[2].signal, SignalType::kSha256);
  EXPECT_EQ(p.entries[2].note, "say \"hi\"");
}

TEST(ListImportTest, CsvErrorsNameTheLine) {
  const std::string csv = "hash,signal_type\n" + kPdq + ",phash\n" + kPdq + "\n\"" + kMd5 + "\n";
  const ParsedList p = ParseHashList(csv, {});
  EXPECT_THAT(p.entries, SizeIs(0));
  ASSERT_THAT(p.errors, SizeIs(3));
  EXPECT_EQ(p.errors[0].line, 2);
  EXPECT_THAT(p.errors[0].message, HasSubstr("unknown signal type"));
  EXPECT_EQ(p.errors[1].line, 3);
  EXPECT_THAT(p.errors[1].message, HasSubstr("pdq or sha256"));
  EXPECT_EQ(p.errors[2].line, 4);
  EXPECT_THAT(p.errors[2].message, HasSubstr("unterminated"));
}

TEST(ListImportTest, ThreatExchangePdqExportIsPdqWithQuality) {
  const ParsedList p = ParseHashList(kPdq + ",100\n" + kPdq.substr(0, 63) + "0,87,extra\n", {});
  EXPECT_EQ(p.format, ParsedList::Format::kThreatExchangePdq);
  ASSERT_THAT(p.entries, SizeIs(2));
  EXPECT_EQ(p.entries[0].signal, SignalType::kPdq);
  EXPECT_EQ(p.entries[0].metadata_json, "{\"quality\":100}");
  EXPECT_EQ(p.entries[1].metadata_json, "{\"quality\":87}");
}

TEST(ListImportTest, LimitsAreEnforced) {
  ListParseOptions options;
  options.max_entries = 2;
  const ParsedList p = ParseHashList(kMd5 + "\n" + kMd5 + "\n" + kMd5 + "\n", options);
  EXPECT_TRUE(p.too_many_entries);
  EXPECT_THAT(p.entries, SizeIs(2));

  options = {};
  options.max_line_bytes = 40;
  const ParsedList q = ParseHashList(kMd5 + "\n" + kPdq + "\n", options);
  ASSERT_THAT(q.errors, SizeIs(1));
  EXPECT_THAT(q.errors[0].message, HasSubstr("over the limit"));
}

}  // namespace
}  // namespace hashwatch::matcher
