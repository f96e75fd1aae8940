#include "common/parallel_for.h"

#include <atomic>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace hashwatch {
namespace {

// Long enough never to expire on a loaded machine; a wait that does expire
// means the items did not run at the same time.
constexpr absl::Duration kPatience = absl::Seconds(30);

TEST(ParallelForTest, CallsTheBodyOnceForEveryIndex) {
  for (int threads : {1, 2, 3, 8}) {
    for (size_t n :
         {size_t{0}, size_t{1}, size_t{2}, size_t{7}, size_t{1000}}) {
      std::vector<std::atomic<int>> calls(n);
      ParallelFor(n, {.threads = threads}, [&](size_t i) {
        calls[i].fetch_add(1, std::memory_order_relaxed);
      });
      for (size_t i = 0; i < n; ++i) {
        EXPECT_EQ(calls[i].load(), 1) << "i " << i << ", threads " << threads;
      }
    }
  }
}

TEST(ParallelForTest, WorkerCountIsTheSmallerOfItemsAndThreads) {
  EXPECT_EQ(ParallelWorkerCount(0, {.threads = 4}), 0);
  EXPECT_EQ(ParallelWorkerCount(3, {.threads = 8}), 3);
  EXPECT_EQ(ParallelWorkerCount(100, {.threads = 2}), 2);
  const int hardware = ResolveThreadCount(0);
  EXPECT_GE(hardware, 1);
  EXPECT_EQ(ParallelWorkerCount(100000, {}), hardware);
  EXPECT_EQ(ResolveThreadCount(5), 5);
}

TEST(ParallelForTest, OneThreadRunsEverythingOnTheCallerInOrder) {
  const std::thread::id caller = std::this_thread::get_id();
  std::vector<size_t> order;
  bool elsewhere = false;
  ParallelFor(50, {.threads = 1}, [&](size_t i) {
    order.push_back(i);
    elsewhere |= std::this_thread::get_id() != caller;
  });
  EXPECT_FALSE(elsewhere);
  ASSERT_EQ(order.size(), 50u);
  for (size_t i = 0; i < order.size(); ++i) EXPECT_EQ(order[i], i);
}

TEST(ParallelForTest, NoMoreItemsThanThreadsRunAllAtOnce) {
  // Each item waits until every item has started: this finishes only if
  // the four run at the same time (load generators depend on it).
  constexpr int kItems = 4;
  absl::Mutex mu;
  int started = 0;
  std::atomic<int> met{0};
  std::set<std::thread::id> threads;
  ParallelFor(kItems, {.threads = kItems}, [&](size_t) {
    absl::MutexLock lock(&mu);
    ++started;
    threads.insert(std::this_thread::get_id());
    if (mu.AwaitWithTimeout(absl::Condition(
                                +[](int* s) { return *s == kItems; }, &started),
                            kPatience)) {
      met.fetch_add(1);
    }
  });
  EXPECT_EQ(met.load(), kItems);
  EXPECT_EQ(threads.size(), static_cast<size_t>(kItems));
}

TEST(ParallelForTest, AWorkerRunsOneCallAtATime) {
  constexpr size_t kItems = 2000;
  const ParallelForOptions options{.threads = 4};
  const int workers = ParallelWorkerCount(kItems, options);
  ASSERT_EQ(workers, 4);
  // Plain (unsynchronised) per-worker counters: a worker index shared by
  // two threads at once would show as a busy flag already set.
  std::vector<size_t> count(workers, 0);
  std::vector<std::atomic<bool>> busy(workers);
  std::atomic<bool> overlap{false}, out_of_range{false};
  ParallelForWithWorker(kItems, options, [&](int w, size_t) {
    if (w < 0 || w >= workers) {
      out_of_range = true;
      return;
    }
    if (busy[w].exchange(true)) overlap = true;
    ++count[w];
    busy[w].store(false);
  });
  EXPECT_FALSE(out_of_range.load());
  EXPECT_FALSE(overlap.load());
  size_t total = 0;
  for (size_t c : count) total += c;
  EXPECT_EQ(total, kItems);
}

TEST(ParallelForTest, WorkerStartsWithItsOwnIndex) {
  // With as many items as workers, worker w runs item w (and nothing else).
  std::vector<int> worker_of(6, -1);
  ParallelForWithWorker(6, {.threads = 6},
                        [&](int w, size_t i) { worker_of[i] = w; });
  for (int i = 0; i < 6; ++i) EXPECT_EQ(worker_of[i], i);
}

TEST(ParallelForTest, NestedCallsComplete) {
  std::atomic<int> calls{0};
  ParallelFor(4, {.threads = 2}, [&](size_t) {
    ParallelFor(10, {.threads = 2}, [&](size_t) { calls.fetch_add(1); });
  });
  EXPECT_EQ(calls.load(), 40);
}

TEST(ParallelForOrderedTest, ConsumesInIndexOrderOnTheCaller) {
  const std::thread::id caller = std::this_thread::get_id();
  std::vector<size_t> consumed;
  std::atomic<bool> produced_on_caller{false};
  bool consumed_elsewhere = false;
  ParallelForOrdered<size_t>(
      300, {.threads = 3},
      [&](size_t i) {
        if (std::this_thread::get_id() == caller) produced_on_caller = true;
        return i * i;
      },
      [&](size_t i, size_t square) {
        EXPECT_EQ(square, i * i);
        consumed.push_back(i);
        consumed_elsewhere |= std::this_thread::get_id() != caller;
      });
  EXPECT_FALSE(produced_on_caller.load());
  EXPECT_FALSE(consumed_elsewhere);
  ASSERT_EQ(consumed.size(), 300u);
  for (size_t i = 0; i < consumed.size(); ++i) EXPECT_EQ(consumed[i], i);
}

TEST(ParallelForOrderedTest, ConsumesEachResultBeforeTheLastIsProduced) {
  // The last item waits for the first to be consumed: this passes only if
  // results stream out as they are ready, not after the whole loop.
  constexpr size_t kItems = 3;
  absl::Notification first_consumed;
  bool last_saw_it = false;
  ParallelForOrdered<int>(
      kItems, {.threads = 2},
      [&](size_t i) {
        if (i == kItems - 1) {
          last_saw_it =
              first_consumed.WaitForNotificationWithTimeout(kPatience);
        }
        return static_cast<int>(i);
      },
      [&](size_t i, int) {
        if (i == 0) first_consumed.Notify();
      });
  EXPECT_TRUE(last_saw_it);
}

TEST(ParallelForOrderedTest, MovesResultsThatCannotBeCopied) {
  int sum = 0;
  ParallelForOrdered<std::unique_ptr<int>>(
      10, {.threads = 4},
      [](size_t i) { return std::make_unique<int>(static_cast<int>(i)); },
      [&](size_t, std::unique_ptr<int> p) { sum += *p; });
  EXPECT_EQ(sum, 45);
}

TEST(ParallelForOrderedTest, NoItemsConsumesNothing) {
  int calls = 0;
  ParallelForOrdered<int>(
      0, {}, [&](size_t) { return ++calls; }, [&](size_t, int) { ++calls; });
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace hashwatch
