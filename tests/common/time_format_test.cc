#include "common/time_format.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hashwatch {
namespace {

using ::hashwatch::testing::StatusIs;
using ::testing::HasSubstr;

const absl::Time kT = absl::FromUnixMicros(1'700'000'000'123'456);

TEST(TimeFormatTest, FormatsUtcAtEachPrecision) {
  EXPECT_EQ(FormatRfc3339(kT, TimePrecision::kSeconds),
            "2023-11-14T22:13:20+00:00");
  EXPECT_EQ(FormatRfc3339(kT, TimePrecision::kMillis),
            "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(FormatRfc3339(kT), "2023-11-14T22:13:20.123456+00:00");
  EXPECT_EQ(FormatRfc3339(absl::FromUnixSeconds(0)),
            "1970-01-01T00:00:00+00:00");
  EXPECT_EQ(FormatRfc3339(absl::FromUnixSeconds(0), TimePrecision::kMillis),
            "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339(absl::InfiniteFuture()), "infinite-future");
}

TEST(TimeFormatTest, ParsesWhatItFormatsAndOffsets) {
  ASSERT_OK_AND_ASSIGN(absl::Time back, ParseRfc3339(FormatRfc3339(kT)));
  EXPECT_EQ(back, kT);
  ASSERT_OK_AND_ASSIGN(absl::Time offset,
                       ParseRfc3339("2023-11-14T23:13:20.123456+01:00"));
  EXPECT_EQ(offset, kT);
}

TEST(TimeFormatTest, RejectsWhatIsNotATimeNamingIt) {
  EXPECT_THAT(
      ParseRfc3339("yesterday"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'yesterday'")));
  EXPECT_THAT(ParseRfc3339(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseRfc3339("2023-13-01T00:00:00Z"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace hashwatch
