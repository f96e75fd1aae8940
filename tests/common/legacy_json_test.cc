#include "common/legacy_json.h"

#include <cstdint>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hashwatch {
namespace {

using ::hashwatch::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(LegacyJsonTest, ParsesObjectsAndRefusesEverythingElse) {
  ASSERT_OK_AND_ASSIGN(nlohmann::json j,
                       ParseJsonRecord(R"({"a":1})", "store: thing 7 record"));
  EXPECT_TRUE(j.is_object());
  for (const char* bad : {"", "{", "[1,2]", "\"s\"", "not json", "\x01\x02"}) {
    EXPECT_THAT(
        ParseJsonRecord(bad, "store: thing 7 record"),
        StatusIs(absl::StatusCode::kDataLoss,
                 AllOf(HasSubstr("thing 7"), HasSubstr("not valid JSON"))))
        << bad;
  }
}

TEST(LegacyJsonTest, ReadsFieldsOfTheRightTypeAndKeepsDefaults) {
  ASSERT_OK_AND_ASSIGN(
      nlohmann::json j,
      ParseJsonRecord(R"({"s":"x","b":true,"n":-5,"u":4000000000})", "r"));
  JsonFieldReader r(j);
  std::string s;
  bool b = false;
  int n = 0;
  uint32_t u = 0;
  std::string absent = "default";
  r.Get("s", &s);
  r.Get("b", &b);
  r.Get("n", &n);
  r.Get("u", &u);
  r.Get("absent", &absent);
  EXPECT_OK(r.status("r"));
  EXPECT_EQ(s, "x");
  EXPECT_TRUE(b);
  EXPECT_EQ(n, -5);
  EXPECT_EQ(u, 4000000000u);
  EXPECT_EQ(absent, "default");
}

TEST(LegacyJsonTest, WrongTypeOrRangeIsDataLossNamingTheFirstBadField) {
  ASSERT_OK_AND_ASSIGN(
      nlohmann::json j,
      ParseJsonRecord(R"({"n":"5","u":-1,"big":4294967296,"f":1.5})", "r"));
  {
    JsonFieldReader r(j);
    int n = 0;
    uint32_t u = 0;
    r.Get("n", &n);
    r.Get("u", &u);
    EXPECT_THAT(r.status("store: x record"),
                StatusIs(absl::StatusCode::kDataLoss,
                         AllOf(HasSubstr("store: x record"),
                               HasSubstr("field \"n\""))));
  }
  for (const char* field : {"u", "big", "f"}) {
    JsonFieldReader r(j);
    uint32_t v = 0;
    r.Get(field, &v);
    EXPECT_THAT(r.status("r"),
                StatusIs(absl::StatusCode::kDataLoss, HasSubstr(field)));
  }
}

}  // namespace
}  // namespace hashwatch
