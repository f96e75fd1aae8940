// Concurrent callers: no item is ever leased to two moderators at once.
#include <atomic>
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

// Reveals of waiting items race with leases of them (Lease reads its items
// outside the queue's mutex): no reveal may be lost from an item's history,
// and the history a Lease returns is the one stored.
TEST(ReviewQueueConcurrencyTest, RevealsDuringLeasesAreNeverLost) {
  TempDir dir;
  FakeClock clock;
  constexpr int kItems = 1000;  // one enqueue batch
  auto q = FilledQueue(dir.path(), &clock, kItems);
  std::atomic<bool> leasing_done{false};
  std::vector<int> reveals(kItems + 1, 0);  // by item id; ids are 1..kItems
  std::thread revealer([&] {
    std::mt19937 rng(7);
    while (!leasing_done.load()) {
      const uint64_t id = 1 + rng() % kItems;
      ASSERT_OK(q->RecordReveal("lead-1", id, "check"));
      ++reveals[id];
    }
  });
  std::vector<std::thread> leasers;
  for (int t = 0; t < 4; ++t) {
    leasers.emplace_back([&, t] {
      const std::string me = absl::StrCat("mod-", t);
      for (int round = 0; round < 20; ++round) {
        // Large leases keep many items reserved while they are read.
        auto leased = q->Lease(me, 50);
        ASSERT_OK(leased);
        for (const LeasedItem& l : *leased) {
          ASSERT_OK_AND_ASSIGN(ReviewItem stored, q->GetItem(l.lease.item_id));
          // Nothing but reveals can change a leased item meanwhile, and
          // those only add to its history.
          ASSERT_LE(l.item.history.size(), stored.history.size());
          for (size_t i = 0; i < l.item.history.size(); ++i) {
            EXPECT_EQ(l.item.history[i].event, stored.history[i].event);
          }
          ASSERT_OK(q->Release(me, l.lease));
        }
      }
    });
  }
  for (auto& th : leasers) th.join();
  leasing_done = true;
  revealer.join();
  int total_reveals = 0;
  for (uint64_t id = 1; id <= kItems; ++id) {
    ASSERT_OK_AND_ASSIGN(ReviewItem item, q->GetItem(id));
    int seen = 0;
    for (const auto& h : item.history) seen += h.event == "reveal";
    EXPECT_EQ(seen, reveals[id]) << "item " << id;
    EXPECT_EQ(item.state, ItemState::kQueued) << "item " << id;
    total_reveals += reveals[id];
  }
  EXPECT_GT(total_reveals, 0);
  ASSERT_OK(q->VerifyAudit());
}

// One moderator leasing from several sessions at once still gets exactly
// their hourly allowance: welfare limits count every item once.
TEST(ReviewQueueConcurrencyTest, ConcurrentLeasesOfOneModeratorKeepTheLimit) {
  TempDir dir;
  FakeClock clock;
  QueueOptions o = TestOptions(dir.path());
  o.welfare.max_items_per_hour = 25;
  { auto q = FilledQueue(o.path, &clock, 200); }
  ASSERT_OK_AND_ASSIGN(auto q, ReviewQueue::Open(o, &clock));
  std::atomic<int> leased{0};
  std::vector<std::thread> sessions;
  for (int t = 0; t < 6; ++t) {
    sessions.emplace_back([&] {
      while (true) {
        auto got = q->Lease("alice", 2);
        if (!got.ok()) {
          EXPECT_EQ(got.status().code(), absl::StatusCode::kResourceExhausted);
          return;
        }
        leased += static_cast<int>(got->size());
      }
    });
  }
  for (auto& th : sessions) th.join();
  EXPECT_EQ(leased.load(), 25);
  ASSERT_OK_AND_ASSIGN(WelfareStatus w, q->Welfare("alice"));
  EXPECT_EQ(w.items_last_hour, 25);
}

}  // namespace
}  // namespace hashwatch::queue
