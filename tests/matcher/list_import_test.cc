#include "matcher/list_import.h"

#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/time/time.h"
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
const std::string kPdq =
    "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22";

TEST(ListImportTest, PlainListInfersMd5AndSha1AndSkipsCommentsAndBlanks) {
  const ParsedList p =
      ParseHashList("# a hotline list\n\n" + kMd5 + "\n  " +
                        absl::AsciiStrToUpper(kSha1) + "  \r\n",
                    {});
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
  EXPECT_EQ(ambiguous.errors[0].message,
            "64 hex digits are PDQ or SHA-256; pass --signal pdq or --signal "
            "sha256");

  ListParseOptions options;
  options.signal = SignalType::kSha256;
  const ParsedList p = ParseHashList(kPdq + "\n", options);
  ASSERT_THAT(p.entries, SizeIs(1));
  EXPECT_EQ(p.entries[0].signal, SignalType::kSha256);
}

TEST(ListImportTest, MalformedLinesAreReportedWithLineNumbers) {
  const ParsedList p = ParseHashList(kMd5 + "\nnot-a-hash\n" + kMd5.substr(1) +
                                         "x\n" + kSha1.substr(0, 39) + "\n",
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
  const std::string csv =
      "hash,signal_type\n" + kPdq + ",phash\n" + kPdq + "\n\"" + kMd5 + "\n";
  const ParsedList p = ParseHashList(csv, {});
  EXPECT_THAT(p.entries, SizeIs(0));
  ASSERT_THAT(p.errors, SizeIs(3));
  EXPECT_EQ(p.errors[0].line, 2);
  EXPECT_THAT(p.errors[0].message, HasSubstr("unknown signal type"));
  EXPECT_EQ(p.errors[1].line, 3);
  EXPECT_THAT(p.errors[1].message,
              HasSubstr("PDQ or SHA-256; pass --signal pdq or --signal sha256, "
                        "or give a signal_type column"));
  EXPECT_EQ(p.errors[2].line, 4);
  EXPECT_THAT(p.errors[2].message, HasSubstr("unterminated"));
}

// Errors may quote the line, and lines run to 64 KiB: each kept message is
// cut (at a character boundary) so that a thousand of them stay small, and
// the count still counts them all.
TEST(ListImportTest, KeptErrorsAreBoundedInNumberAndSize) {
  std::string csv = "hash,disabled_until\n";
  for (int i = 0; i < 50; ++i) {
    csv += kMd5 + "," + std::string(20'000, 'x') + "\xc3\xa9\n";
  }
  ListParseOptions options;
  options.max_errors_kept = 10;
  const ParsedList p = ParseHashList(csv, options);
  EXPECT_EQ(p.error_count, 50u);
  ASSERT_THAT(p.errors, SizeIs(10));
  for (const auto& e : p.errors) {
    EXPECT_THAT(e.message, HasSubstr("disabled_until"));
    EXPECT_LE(e.message.size(), 300u);
    EXPECT_TRUE(absl::EndsWith(e.message, "…")) << e.message.substr(0, 80);
  }
}

TEST(ListImportTest, ThreatExchangePdqExportIsPdqWithQuality) {
  const std::string other = kPdq.substr(0, 63) + "0";
  for (const std::string header : {"", "hash,quality\n", "Quality,HASH\n"}) {
    SCOPED_TRACE(header);
    const bool swapped = header == "Quality,HASH\n";
    const std::string list =
        header + (swapped ? "100," + kPdq + "\n87," + other + "\n"
                          : kPdq + ",100\n" + other + ",87\n");
    for (std::optional<SignalType> signal :
         {std::optional<SignalType>(), std::optional(SignalType::kPdq)}) {
      ListParseOptions options;
      options.signal = signal;
      const ParsedList p = ParseHashList(list, options);
      EXPECT_EQ(p.format, ParsedList::Format::kThreatExchangePdq);
      EXPECT_THAT(p.errors, SizeIs(0));
      ASSERT_THAT(p.entries, SizeIs(2));
      EXPECT_EQ(p.entries[0].signal, SignalType::kPdq);
      EXPECT_EQ(p.entries[0].value, kPdq);
      // A number, not the string "100".
      EXPECT_EQ(p.entries[0].metadata_json, "{\"quality\":100}");
      EXPECT_EQ(p.entries[1].metadata_json, "{\"quality\":87}");
      EXPECT_FALSE(p.entries[0].disabled_until.has_value());
    }
  }
}

TEST(ListImportTest, HashQualityLinesMustBeAHashAndAQuality) {
  const ParsedList p =
      ParseHashList(kPdq + ",90\n" + kPdq + ",high\n" + kPdq + ",101\n" + kPdq +
                        ",87,x\n" + kPdq + "\n",
                    {});
  ASSERT_THAT(p.entries, SizeIs(2));
  EXPECT_EQ(p.entries[1].metadata_json, "");  // a hash alone: no quality
  ASSERT_THAT(p.errors, SizeIs(3));
  EXPECT_EQ(p.errors[0].line, 2);
  EXPECT_EQ(p.errors[0].message,
            "quality \"high\" is not a whole number 0..100");
  EXPECT_EQ(p.errors[1].line, 3);
  EXPECT_EQ(p.errors[2].line, 4);
  EXPECT_THAT(p.errors[2].message,
              HasSubstr("3 fields in a hash,quality list"));
}

TEST(ListImportTest,
     HeaderlessColumnsOtherThanHashQualityAreRefusedNotGuessed) {
  // A hotline's CSV without its header line: which column is the category
  // is not guessed, whatever the signal type, and no line is imported.
  const std::string md5_list = kMd5 + ",A,hotline\n" + kMd5 + ",B,hotline\n";
  for (const std::string& list : {kPdq + ",A,hotline\n" + kPdq + ",B,hotline\n",
                                  md5_list, kMd5 + ",A\n" + kMd5 + ",B\n"}) {
    for (std::optional<SignalType> signal :
         {std::optional<SignalType>(), std::optional(SignalType::kSha256)}) {
      if (signal && list != md5_list) continue;
      ListParseOptions options;
      options.signal = signal;
      const ParsedList p = ParseHashList("# a hotline list\n" + list, options);
      SCOPED_TRACE(list);
      EXPECT_THAT(p.entries, SizeIs(0));
      EXPECT_EQ(p.error_count, 2u);      // both lines are bad
      ASSERT_THAT(p.errors, SizeIs(1));  // the first says why
      EXPECT_EQ(p.errors[0].line, 2);
      EXPECT_THAT(p.errors[0].message, HasSubstr("no header"));
      EXPECT_THAT(p.errors[0].message, HasSubstr("\"hash,category,source\""));
    }
  }
  ListParser parser({});
  NewEntry entry;
  EXPECT_FALSE(
      parser.ParseLine(md5_list.substr(0, md5_list.find('\n')), &entry));
  EXPECT_TRUE(parser.format_refused());
  // With the header line it reads as intended.
  const ParsedList named =
      ParseHashList("hash,category,source\n" + md5_list, {});
  ASSERT_THAT(named.entries, SizeIs(2));
  EXPECT_EQ(named.entries[1].category, "B");
  EXPECT_EQ(named.entries[1].source, "hotline");
}

TEST(ListImportTest, AQualityColumnIsANumberInAnyCsv) {
  const ParsedList p =
      ParseHashList("hash,signal_type,quality,case\n" + kPdq + ",pdq,75,C-1\n" +
                        kPdq + ",pdq,,C-2\n" + kPdq + ",pdq,7.5,C-3\n",
                    {});
  ASSERT_THAT(p.entries, SizeIs(2));
  EXPECT_EQ(p.entries[0].metadata_json, "{\"quality\":75,\"case\":\"C-1\"}");
  EXPECT_EQ(p.entries[1].metadata_json, "{\"case\":\"C-2\"}");
  ASSERT_THAT(p.errors, SizeIs(1));
  EXPECT_EQ(p.errors[0].line, 4);
  EXPECT_THAT(p.errors[0].message, HasSubstr("\"7.5\" is not a whole number"));
}

TEST(ListImportTest, DisabledUntilColumnGivesTheState) {
  const ParsedList p = ParseHashList(
      "hash,disabled_until\n" + kMd5 + ",\n" + kSha1 + ",indefinitely\n" +
          std::string(32, 'a') + ",2030-01-02T03:04:05.123456+00:00\n" +
          std::string(32, 'b') + ",2030-01-02T05:04:05+02:00\n" +
          std::string(32, 'c') + ",next week\n",
      {});
  ASSERT_THAT(p.entries, SizeIs(4));
  // Empty says "enabled", which is not the same as not saying.
  EXPECT_EQ(p.entries[0].disabled_until, absl::InfinitePast());
  EXPECT_EQ(p.entries[1].disabled_until, absl::InfiniteFuture());
  const absl::Time t =
      absl::FromUnixSeconds(1893553445);  // 2030-01-02T03:04:05Z
  EXPECT_EQ(p.entries[2].disabled_until, t + absl::Microseconds(123456));
  EXPECT_EQ(p.entries[3].disabled_until, t);
  ASSERT_THAT(p.errors, SizeIs(1));
  EXPECT_EQ(p.errors[0].line, 6);
  EXPECT_THAT(p.errors[0].message, HasSubstr("disabled_until \"next week\""));

  const ParsedList without = ParseHashList("hash\n" + kMd5 + "\n", {});
  ASSERT_THAT(without.entries, SizeIs(1));
  EXPECT_FALSE(without.entries[0].disabled_until.has_value());
}

TEST(ListImportTest, DisabledUntilFormatsAndParsesBackExactly) {
  const absl::Time t = absl::FromUnixMicros(1893553445123456);
  for (absl::Time until : {absl::InfinitePast(), absl::InfiniteFuture(), t,
                           absl::FromUnixSeconds(1893553445)}) {
    absl::StatusOr<absl::Time> back =
        ParseDisabledUntil(FormatDisabledUntil(until));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, until) << FormatDisabledUntil(until);
  }
  EXPECT_EQ(FormatDisabledUntil(absl::InfiniteFuture()), "indefinitely");
  EXPECT_EQ(FormatDisabledUntil(absl::InfinitePast()), "");
  EXPECT_EQ(FormatDisabledUntil(t), "2030-01-02T03:04:05.123456+00:00");
  EXPECT_EQ(ParseDisabledUntil("never").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ListImportTest, QuotedFieldsKeepSpacesAndLineBreaks) {
  const ParsedList p =
      ParseHashList("hash,note,source\n" + kMd5 +
                        ",\"  two\nlines, \"\"quoted\"\"\n\",  x  \n" + kSha1 +
                        ",\"\",\"\"\"\"\n",
                    {});
  ASSERT_THAT(p.errors, SizeIs(0));
  ASSERT_THAT(p.entries, SizeIs(2));
  EXPECT_EQ(p.entries[0].note, "  two\nlines, \"quoted\"\n");
  EXPECT_EQ(p.entries[0].source, "x");  // unquoted: trimmed
  EXPECT_EQ(p.entries[1].note, "");
  EXPECT_EQ(p.entries[1].source, "\"");
}

TEST(ListImportTest, AQuoteLeftOpenCostsItsLinesAndSaysWhich) {
  ListParseOptions options;
  options.max_line_bytes = 200;
  // Line 3 opens a quote that line 5 does not close; the record runs on to
  // the end of the file.
  const ParsedList p =
      ParseHashList("hash,note\n" + kMd5 + ",ok\n" + kMd5 + ",\"open\n" +
                        "more\n" + kSha1 + ",x\n",
                    options);
  ASSERT_THAT(p.entries, SizeIs(1));
  EXPECT_EQ(p.error_count, 3u);
  ASSERT_THAT(p.errors, SizeIs(1));
  EXPECT_EQ(p.errors[0].line, 3);
  EXPECT_EQ(p.errors[0].message, "unterminated quoted field (lines 3-5)");

  // Past max_line_bytes (here on line 8) the record is given up and reading
  // goes on with the next line.
  std::string list = "hash,note\n" + kMd5 + ",\"open\n";
  for (int i = 0; i < 6; ++i) list += std::string(30, 'x') + "\n";
  list += kSha1 + ",after\n";
  const ParsedList q = ParseHashList(list, options);
  EXPECT_EQ(q.error_count, 7u);
  ASSERT_THAT(q.errors, SizeIs(1));
  EXPECT_EQ(q.errors[0].line, 2);
  EXPECT_EQ(q.errors[0].message,
            "a quoted field is still open after 200 bytes (unterminated?) "
            "(lines 2-8)");
  ASSERT_THAT(q.entries, SizeIs(1));
  EXPECT_EQ(q.entries[0].note, "after");
}

TEST(ListImportTest, OneColumnHeaderAndByteOrderMark) {
  const ParsedList p =
      ParseHashList("\xEF\xBB\xBFHash\n" + kMd5 + "\n" + kSha1 + "\n", {});
  EXPECT_EQ(p.format, ParsedList::Format::kCsv);
  EXPECT_THAT(p.errors, SizeIs(0));
  EXPECT_THAT(p.entries, SizeIs(2));
}

TEST(ListImportTest, MoreFieldsThanTheHeaderNamesIsABadLine) {
  const ParsedList p = ParseHashList(
      "hash,category\n" + kMd5 + ",A,stray\n" + kMd5 + ",B,\n", {});
  ASSERT_THAT(p.entries, SizeIs(1));  // an empty trailing field is harmless
  EXPECT_EQ(p.entries[0].category, "B");
  ASSERT_THAT(p.errors, SizeIs(1));
  EXPECT_EQ(p.errors[0].line, 2);
  EXPECT_THAT(p.errors[0].message,
              HasSubstr("3 fields, but the header names 2"));
}

TEST(ListImportTest, LimitsAreEnforced) {
  ListParseOptions options;
  options.max_entries = 2;
  const ParsedList p =
      ParseHashList(kMd5 + "\n" + kMd5 + "\n" + kMd5 + "\n", options);
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
