#include "review_api/scan_records.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch::review_api {
namespace {

using ::hashwatch::testing::IsOkAndHolds;
using ::hashwatch::testing::StatusIs;
using ::testing::Optional;

TEST(ScanRecordsTest, ExpiredRecordsVanishAtOnceAndArePurgedFromDisk) {
  hashwatch::testing::TempDir dir;
  FakeClock clock;
  {
    ASSERT_OK_AND_ASSIGN(auto records, ScanRecords::Open({.path = dir.Sub("scans")}, &clock));
    ASSERT_OK(records->Put("short", "no-match answer", clock.Now() + absl::Hours(24), false));
    ASSERT_OK(records->Put("kept", "report answer", absl::InfiniteFuture(), true));
    EXPECT_THAT(records->Get("short"), IsOkAndHolds(Optional(std::string("no-match answer"))));
    EXPECT_THAT(records->Get("unknown"), IsOkAndHolds(std::nullopt));
    clock.Advance(absl::Hours(24));
    EXPECT_THAT(records->Get("short"), IsOkAndHolds(std::nullopt));
    EXPECT_THAT(records->Get("kept"), IsOkAndHolds(Optional(std::string("report answer"))));
    EXPECT_THAT(records->PurgeExpired(), IsOkAndHolds(1));
    EXPECT_THAT(records->PurgeExpired(), IsOkAndHolds(0));
  }
  // Reopened: the purge was durable, the kept record is there.
  clock.Set(absl::FromUnixSeconds(1'600'000'000));  // even with the clock moved back
  ASSERT_OK_AND_ASSIGN(auto records, ScanRecords::Open({.path = dir.Sub("scans")}, &clock));
  EXPECT_THAT(records->Get("short"), IsOkAndHolds(std::nullopt));
  EXPECT_THAT(records->Get("kept"), IsOkAndHolds(Optional(std::string("report answer"))));
}

TEST(ScanRecordsTest, RevealPreviewsByItemAndASecondOpenerIsRefused) {
  hashwatch::testing::TempDir dir;
  FakeClock clock;
  ASSERT_OK_AND_ASSIGN(auto records, ScanRecords::Open({.path = dir.Sub("scans")}, &clock));
  EXPECT_THAT(records->GetRevealPreview(7), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(records->PutRevealPreview(7, std::string("\xff\xd8jpeg", 6)));
  EXPECT_THAT(records->GetRevealPreview(7), IsOkAndHolds(std::string("\xff\xd8jpeg", 6)));
  EXPECT_THAT(records->GetRevealPreview(8), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ScanRecords::Open({.path = dir.Sub("scans")}, &clock),
              StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace hashwatch::review_api
