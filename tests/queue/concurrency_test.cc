// Concurrent callers: no item is ever leased to two moderators at once.
#include <map>
#include <memory>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/barrier.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "queue/review_queue.h"
#include "tests/queue/queue_test_util.h"
#include "tests/testing/status_matchers.h"

namespace hashwatch::queue {
namespace {

using ::hashwatch::queue::testing::Request;
using ::hashwatch::queue::testing::TempDir;
using ::hashwatch::queue::testing::TestOptions;

constexpr int kThreads = 8;

std::unique_ptr<ReviewQueue> FilledQueue(const std::string& path, Clock* clock,
                                         int items) {
  auto q = ReviewQueue::Open(TestOptions(path), clock);
  EXPECT_OK(q);
  std::vector<EnqueueRequest> batch;
  for (int i = 0; i < items; ++i) {
    batch.push_back(Request(absl::StrCat("c", i),
                            i % 4 == 0 ? "user_report" : "proactive",
                            i % 3 == 0 ? "A" : "C"));
  }
  EXPECT_OK((*q)->EnqueueBatch(batch));
  return std::move(*q);
}

TEST(ReviewQueueConcurrencyTest, EightLeasingThreadsNeverShareAnItem) {
  TempDir dir;
  FakeClock clock;
  constexpr int kItems = 600;
  auto q = FilledQueue(dir.path(), &clock, kItems);
  std::vector<std::vector<uint64_t>> got(kThreads);
  absl::Barrier* start = new absl::Barrier(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      if (start->Block()) delete start;
      while (true) {
        auto leased =
            q->Lease(absl::StrCat("mod-", t), 1 + static_cast<int>(rng() % 3));
        ASSERT_OK(leased);
        if (leased->empty()) return;
        for (const LeasedItem& l : *leased) got[t].push_back(l.lease.item_id);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<uint64_t> all;
  size_t total = 0;
  for (const auto& v : got) {
    total += v.size();
    all.insert(v.begin(), v.end());
  }
  EXPECT_EQ(total, static_cast<size_t>(kItems));
  EXPECT_EQ(all.size(), static_cast<size_t>(kItems));
  ASSERT_OK_AND_ASSIGN(QueueStats stats, q->Stats());
  EXPECT_EQ(stats.leases_outstanding, kItems);
  EXPECT_EQ(stats.waiting, 0);
  ASSERT_OK(q->VerifyAudit());
}

// Threads lease, skip, release and decide concurrently; every item ends
// decided exactly once and the counters and audit chain agree.
TEST(ReviewQueueConcurrencyTest, MixedOperationsKeepEveryItemWithOneOwner) {
  TempDir dir;
  FakeClock clock;
  constexpr int kItems = 300;
  auto q = FilledQueue(dir.path(), &clock, kItems);
  std::vector<std::map<uint64_t, int>> decided(kThreads);
  absl::Barrier* start = new absl::Barrier(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(100 + t);
      const std::string me = absl::StrCat("mod-", t);
      if (start->Block()) delete start;
      int empty_rounds = 0;
      while (empty_rounds < 3) {
        auto leased = q->Lease(me, 2);
        ASSERT_OK(leased);
        if (leased->empty()) {
          ++empty_rounds;  // others may still release or skip items
          continue;
        }
        empty_rounds = 0;
        for (const LeasedItem& l : *leased) {
          switch (rng() % 4) {
            case 0:
              ASSERT_OK(q->Release(me, l.lease));
              break;
            case 1:
              ASSERT_OK(q->Decide(me, l.lease, {.kind = DecisionKind::kSkip}));
              break;
            default:
              ASSERT_OK(
                  q->Decide(me, l.lease,
                            {.kind = DecisionKind::kConfirm, .category = "A"}));
              ++decided[t][l.lease.item_id];
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  // Items skipped by every thread may remain; lease them as a fresh moderator.
  while (true) {
    ASSERT_OK_AND_ASSIGN(auto leased, q->Lease("sweeper", 50));
    if (leased.empty()) break;
    for (const LeasedItem& l : leased) {
      ASSERT_OK(q->Decide("sweeper", l.lease, {.kind = DecisionKind::kReject}));
      ++decided[0][l.lease.item_id];
    }
  }
  std::map<uint64_t, int> per_item;
  for (const auto& m : decided) {
    for (const auto& [id, n] : m) per_item[id] += n;
  }
  EXPECT_EQ(per_item.size(), static_cast<size_t>(kItems));
  for (const auto& [id, n] : per_item) EXPECT_EQ(n, 1) << "item " << id;
  ASSERT_OK_AND_ASSIGN(QueueStats stats, q->Stats());
  EXPECT_EQ(stats.decided, kItems);
  EXPECT_EQ(stats.waiting, 0);
  EXPECT_EQ(stats.leases_outstanding, 0);
  ASSERT_OK(q->VerifyAudit());
}

}  // namespace
}  // namespace hashwatch::queue
