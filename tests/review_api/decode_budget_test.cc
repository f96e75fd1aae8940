// The decode budget: pictures being decoded at once stay within it, a
// picture larger than the whole budget runs alone, holds are granted in
// arrival order; and the footprint a picture's header declares.
#include "review_api/decode_budget.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "matcher/decode.h"
#include "tests/bench/pictures.h"

namespace hashwatch::review_api {
namespace {

// Polls until `done` or 30 s.
template <typename Predicate>
bool Eventually(Predicate done) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

TEST(DecodeBudgetTest, ALargePictureWaitsForRoomThenRuns) {
  DecodeBudget budget(100);
  DecodeBudget::Hold a = budget.Acquire(60);
  EXPECT_EQ(budget.in_use(), 60);
  absl::Notification got;
  std::thread waiter([&] {
    DecodeBudget::Hold b = budget.Acquire(50);
    EXPECT_EQ(b.pixels(), 50);
    got.Notify();
  });
  ASSERT_TRUE(Eventually([&] { return budget.waiting() == 1; }));
  EXPECT_FALSE(got.HasBeenNotified());  // 60 + 50 > 100
  a = DecodeBudget::Hold();             // released
  got.WaitForNotification();
  waiter.join();
  EXPECT_EQ(budget.in_use(), 0);
}

TEST(DecodeBudgetTest, APictureOverTheWholeBudgetRunsAlone) {
  DecodeBudget budget(100);
  DecodeBudget::Hold small = budget.Acquire(10);
  absl::Notification got;
  std::thread huge([&] {
    DecodeBudget::Hold h = budget.Acquire(1'000);
    EXPECT_EQ(h.pixels(), 100);  // the whole budget, no more
    EXPECT_EQ(budget.in_use(), 100);
    got.Notify();
  });
  ASSERT_TRUE(Eventually([&] { return budget.waiting() == 1; }));
  EXPECT_FALSE(got.HasBeenNotified());
  small = DecodeBudget::Hold();
  got.WaitForNotification();
  huge.join();
  EXPECT_EQ(budget.in_use(), 0);
}

// A small picture arriving after a waiting large one does not overtake it
// (the large one would starve otherwise).
TEST(DecodeBudgetTest, HoldsAreGrantedInArrivalOrder) {
  DecodeBudget budget(100);
  DecodeBudget::Hold first = budget.Acquire(50);
  std::atomic<int> order{0};
  int large_at = -1, small_at = -1;
  std::thread large([&] {
    DecodeBudget::Hold h = budget.Acquire(80);
    large_at = order++;
  });
  ASSERT_TRUE(Eventually([&] { return budget.waiting() == 1; }));
  std::thread small([&] {
    DecodeBudget::Hold h = budget.Acquire(10);  // would fit now
    small_at = order++;
  });
  ASSERT_TRUE(Eventually([&] { return budget.waiting() == 2; }));
  first = DecodeBudget::Hold();
  large.join();
  small.join();
  EXPECT_EQ(large_at, 0);
  EXPECT_EQ(small_at, 1);
}

TEST(DecodeBudgetTest, JpegNeedsNothingOtherFormatsTheirDeclaredPixels) {
  EXPECT_EQ(DecodeBudget(1).Acquire(0).pixels(), 0);
  EXPECT_EQ(matcher::DecodeFootprintPixels(
                hashwatch::testing::MakePicture(1, 640, 480, ".jpg")),
            0);
  EXPECT_EQ(matcher::DecodeFootprintPixels(
                hashwatch::testing::MakePicture(1, 640, 480, ".png")),
            640 * 480);
  EXPECT_EQ(matcher::DecodeFootprintPixels("not an image"), 0);
}

}  // namespace
}  // namespace hashwatch::review_api
