#include "matcher/internal/bank_records.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hashwatch::matcher::internal {
namespace {

using ::hashwatch::testing::StatusIs;
using ::testing::HasSubstr;

// Stored records are ours, but a damaged disk or a bad restore can hand back
// anything: every malformed record is DataLoss naming what is wrong, never
// an exception or a crash.
TEST(BankRecordsTest, CorruptEntryRecordsAreDataLossNamingTheField) {
  struct Case {
    std::string record;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"not json", "not valid JSON"},
      {"[1,2]", "not valid JSON"},
      {R"({"s":"pdq","v":"aa"})", "field \"s\""},
      {R"({"s":9,"v":"aa"})", "signal type 9"},
      {R"({"s":-1,"v":"aa"})", "signal type -1"},
      {R"({"s":1,"v":5})", "field \"v\""},
      {R"({"s":1,"v":"aa","c":["A"]})", "field \"c\""},
      {R"({"s":1,"v":"aa","a":"yesterday"})", "field \"a\""},
      {R"({"s":1,"v":"aa","a":1.5})", "field \"a\""},
      {R"({"s":1,"v":"aa","d":18446744073709551615})", "field \"d\""},
      {R"({"s":4294967297,"v":"aa"})", "field \"s\""},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(
        DecodeEntry(42, c.record),
        StatusIs(absl::StatusCode::kDataLoss,
                 ::testing::AllOf(HasSubstr("entry 42"), HasSubstr(c.message))))
        << c.record;
  }
}

TEST(BankRecordsTest, CorruptBankRecordsAreDataLossNamingTheField) {
  EXPECT_THAT(DecodeBank(R"({"id":"1","name":"b"})"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("field \"id\"")));
  EXPECT_THAT(DecodeBank(R"({"id":-1,"name":"b"})"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("field \"id\"")));
  EXPECT_THAT(
      DecodeBank(R"({"id":1,"name":"b","review_distance":"31"})"),
      StatusIs(absl::StatusCode::kDataLoss,
               AllOf(HasSubstr("bank \"b\""), HasSubstr("review_distance"))));
  EXPECT_THAT(
      DecodeBank(R"({"id":1,"name":"b","auto_report_enabled":1})"),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("auto_report_enabled")));
  EXPECT_THAT(DecodeBank(R"({"id":1})"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("lacks")));
  EXPECT_THAT(DecodeBank("{"), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(BankRecordsTest, WellFormedRecordsRoundTrip) {
  BankEntry e;
  e.id = 7;
  e.signal = SignalType::kSha1;
  e.value = std::string(40, 'a');
  e.category = "A1";
  e.source = "hotline";
  e.note = "note";
  e.metadata_json = R"({"k":1})";
  e.added = absl::FromUnixMicros(1'700'000'000'000'000);
  e.disabled_until = absl::InfiniteFuture();
  ASSERT_OK_AND_ASSIGN(BankEntry back, DecodeEntry(7, EncodeEntry(e)));
  EXPECT_EQ(back.signal, e.signal);
  EXPECT_EQ(back.value, e.value);
  EXPECT_EQ(back.category, e.category);
  EXPECT_EQ(back.source, e.source);
  EXPECT_EQ(back.note, e.note);
  EXPECT_EQ(back.metadata_json, e.metadata_json);
  EXPECT_EQ(back.added, e.added);
  EXPECT_EQ(back.disabled_until, e.disabled_until);

  Bank b;
  b.id = 3;
  b.name = "iwf";
  b.kind = BankKind::kAllow;
  b.policy.auto_report_distance = 8;
  b.policy.review_distance = 20;
  b.policy.min_quality = 70;
  b.policy.auto_report_enabled = true;
  b.policy.default_category = "B";
  b.policy.priority_boost = 5;
  ASSERT_OK_AND_ASSIGN(Bank bb, DecodeBank(EncodeBank(b)));
  EXPECT_EQ(bb.id, 3u);
  EXPECT_EQ(bb.name, "iwf");
  EXPECT_EQ(bb.kind, BankKind::kAllow);
  EXPECT_EQ(bb.policy.auto_report_distance, 8);
  EXPECT_EQ(bb.policy.review_distance, 20);
  EXPECT_EQ(bb.policy.min_quality, 70);
  EXPECT_TRUE(bb.policy.auto_report_enabled);
  EXPECT_EQ(bb.policy.default_category, "B");
  EXPECT_EQ(bb.policy.priority_boost, 5);
}

TEST(BankRecordsTest, ThePolicyForRecoveredAndRotatedCopiesRoundTrips) {
  Bank b;
  b.id = 4;
  b.name = "own";
  // Today's default (rotated copies off) is written out: a record without
  // the fields means what it meant when they were added (rotated copies on).
  const std::string today = EncodeBank(b);
  ASSERT_OK_AND_ASSIGN(Bank today_back, DecodeBank(today));
  EXPECT_FALSE(today_back.policy.dihedral);
  EXPECT_TRUE(today_back.policy.unbordered_auto_report);
  EXPECT_EQ(today_back.policy.region_auto_report_distance, -1);
  b.policy.dihedral = true;
  const std::string plain = EncodeBank(b);
  EXPECT_LT(plain.size(), today.size());
  b.policy.unbordered_auto_report = false;
  b.policy.region_auto_report_distance = 4;
  b.policy.dihedral = false;
  const std::string set = EncodeBank(b);
  // The policy of when the fields were added is written as before them.
  EXPECT_LT(plain.size(), set.size());
  ASSERT_OK_AND_ASSIGN(Bank back, DecodeBank(set));
  EXPECT_FALSE(back.policy.unbordered_auto_report);
  EXPECT_EQ(back.policy.region_auto_report_distance, 4);
  EXPECT_FALSE(back.policy.dihedral);
  ASSERT_OK_AND_ASSIGN(Bank old, DecodeBank(plain));
  EXPECT_TRUE(old.policy.unbordered_auto_report);
  EXPECT_EQ(old.policy.region_auto_report_distance, -1);
  EXPECT_TRUE(old.policy.dihedral);
  // Cut inside the new fields: corrupt, not defaults.
  EXPECT_THAT(DecodeBank(set.substr(0, set.size() - 1)),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("corrupt")));
  // Out of range on decode: the policy check names it.
  b.policy.region_auto_report_distance = 30;
  EXPECT_THAT(DecodeBank(EncodeBank(b)),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("region_auto_report_distance")));
}

// Records as the versions that stored JSON wrote them: they still decode.
TEST(BankRecordsTest, ReadsRecordsWrittenAsJsonByEarlierVersions) {
  ASSERT_OK_AND_ASSIGN(
      Bank b, DecodeBank(R"({"id":3,"name":"iwf","kind":"allow",)"
                         R"("auto_report_distance":8,"review_distance":20,)"
                         R"("min_quality":70,"auto_report_enabled":true,)"
                         R"("default_category":"B","priority_boost":5,)"
                         R"("created_us":1700000000000000,)"
                         R"("last_change_us":1700000001000000})"));
  EXPECT_EQ(b.id, 3u);
  EXPECT_EQ(b.name, "iwf");
  EXPECT_EQ(b.kind, BankKind::kAllow);
  EXPECT_EQ(b.policy.auto_report_distance, 8);
  EXPECT_EQ(b.policy.review_distance, 20);
  EXPECT_EQ(b.policy.min_quality, 70);
  EXPECT_TRUE(b.policy.auto_report_enabled);
  EXPECT_EQ(b.policy.default_category, "B");
  EXPECT_EQ(b.policy.priority_boost, 5);
  EXPECT_EQ(b.created, absl::FromUnixSeconds(1'700'000'000));
  EXPECT_EQ(b.last_change, absl::FromUnixSeconds(1'700'000'001));

  ASSERT_OK_AND_ASSIGN(
      BankEntry e,
      DecodeEntry(9, R"({"s":3,"v":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",)"
                     R"("c":"A1","src":"hotline","n":"note","m":"{\"k\":1}",)"
                     R"("a":1700000000000000,"d":9223372036854775807})"));
  EXPECT_EQ(e.id, 9u);
  EXPECT_EQ(e.signal, SignalType::kSha1);
  EXPECT_EQ(e.value, std::string(40, 'a'));
  EXPECT_EQ(e.category, "A1");
  EXPECT_EQ(e.source, "hotline");
  EXPECT_EQ(e.note, "note");
  EXPECT_EQ(e.metadata_json, R"({"k":1})");
  EXPECT_EQ(e.added, absl::FromUnixSeconds(1'700'000'000));
  EXPECT_EQ(e.disabled_until, absl::InfiniteFuture());
  // Optional fields absent: defaults.
  ASSERT_OK_AND_ASSIGN(BankEntry bare, DecodeEntry(10, R"({"s":2,"v":"bb"})"));
  EXPECT_EQ(bare.signal, SignalType::kMd5);
  EXPECT_EQ(bare.category, "");
  EXPECT_EQ(bare.disabled_until, absl::InfinitePast());
}

TEST(BankRecordsTest, NewRecordsAreVersionedAndCorruptOnesAreDataLoss) {
  BankEntry e;
  e.signal = SignalType::kPdq;
  e.value = std::string(64, 'f');
  const std::string entry = EncodeEntry(e);
  EXPECT_EQ(entry[0], '\x01');
  Bank b;
  b.id = 1;
  b.name = "b";
  const std::string bank = EncodeBank(b);
  EXPECT_EQ(bank[0], '\x01');
  for (const std::string& bad :
       {entry.substr(0, entry.size() - 1), entry + "x"}) {
    EXPECT_THAT(DecodeEntry(42, bad),
                StatusIs(absl::StatusCode::kDataLoss,
                         ::testing::AllOf(HasSubstr("entry 42"),
                                          HasSubstr("corrupt"))));
  }
  std::string bad_signal = entry;
  bad_signal[1] = '\x07';
  EXPECT_THAT(
      DecodeEntry(42, bad_signal),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("signal type 7")));
  EXPECT_THAT(DecodeBank(bank.substr(0, bank.size() - 2)),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("corrupt")));
}

}  // namespace
}  // namespace hashwatch::matcher::internal
