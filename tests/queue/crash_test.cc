// The crash test: a child process (queue_crash_child) enqueues, leases and
// decides in a loop and is killed with SIGKILL after a random number of
// acknowledged operations, 25 times over one database. After each kill the
// test reopens the queue and checks that every acknowledged operation is
// there exactly once and that the audit chain verifies.
#include <signal.h>

#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "queue/review_queue.h"
#include "tests/queue/queue_test_util.h"
#include "tests/testing/child_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace hashwatch::queue {
namespace {

using ::hashwatch::queue::testing::TempDir;
using ::hashwatch::testing::BinaryPath;
using ::hashwatch::testing::ChildProcess;

constexpr int kRounds = 25;
constexpr int64_t kStart = 1'700'000'000;

struct Acks {
  std::map<std::string, uint64_t> enqueued;        // content id -> item id
  std::set<std::pair<uint64_t, uint64_t>> leases;  // item, lease
  std::map<std::pair<uint64_t, uint64_t>, std::string> decisions;  // -> kind
  long max_index = -1;
};

// Parses one acknowledgement line into `acks`; false on a malformed line.
bool Parse(const std::string& line, Acks* acks) {
  std::vector<std::string> f = absl::StrSplit(line, ' ');
  if (f.empty()) return false;
  if (f[0] == "E" && f.size() == 4) {
    const uint64_t id = std::stoull(f[2]);
    auto [it, inserted] = acks->enqueued.emplace(f[1], id);
    EXPECT_EQ(it->second, id)
        << "content " << f[1] << " acknowledged with two ids";
    acks->max_index = std::max(acks->max_index, std::stol(f[1].substr(1)));
    return true;
  }
  if (f[0] == "L" && f.size() == 3) {
    EXPECT_TRUE(
        acks->leases.emplace(std::stoull(f[1]), std::stoull(f[2])).second)
        << "lease acknowledged twice: " << line;
    return true;
  }
  if (f[0] == "D" && f.size() == 4) {
    EXPECT_TRUE(
        acks->decisions
            .emplace(std::make_pair(std::stoull(f[1]), std::stoull(f[2])), f[3])
            .second)
        << "decision acknowledged twice: " << line;
    return true;
  }
  return false;
}

// Every acknowledged operation is present exactly once; no item is
// duplicated; the audit chain verifies.
void Verify(const std::string& path, int round, const Acks& acks) {
  FakeClock clock(absl::FromUnixSeconds(kStart + 86400 * round + 43200));
  auto opened = ReviewQueue::Open(testing::TestOptions(path), &clock);
  ASSERT_OK(opened);
  ReviewQueue& q = **opened;
  ASSERT_OK_AND_ASSIGN(AuditHead head, q.VerifyAudit());
  ASSERT_OK_AND_ASSIGN(QueueStats stats, q.Stats());
  EXPECT_GE(head.entries,
            acks.enqueued.size() + acks.leases.size() + acks.decisions.size());

  // No duplicates: item ids 1..items each hold a distinct content id.
  std::set<std::string> contents;
  std::map<uint64_t, ReviewItem> items;
  for (uint64_t id = 1; id <= static_cast<uint64_t>(stats.items); ++id) {
    ASSERT_OK_AND_ASSIGN(ReviewItem item, q.GetItem(id));
    EXPECT_TRUE(contents.insert(item.content_id).second)
        << "content " << item.content_id << " enqueued twice";
    items.emplace(id, std::move(item));
  }
  EXPECT_THAT(q.GetItem(stats.items + 1),
              hashwatch::testing::StatusIs(absl::StatusCode::kNotFound));

  for (const auto& [content, id] : acks.enqueued) {
    ASSERT_TRUE(items.contains(id)) << "acknowledged item " << id << " lost";
    EXPECT_EQ(items[id].content_id, content);
  }
  auto count_events = [&](uint64_t item, uint64_t lease,
                          absl::string_view event) {
    int n = 0;
    for (const HistoryEntry& h : items[item].history) {
      if (h.lease_id == lease && h.event == event) ++n;
    }
    return n;
  };
  for (const auto& [item, lease] : acks.leases) {
    ASSERT_TRUE(items.contains(item));
    EXPECT_EQ(count_events(item, lease, "lease"), 1)
        << "lease " << lease << " of " << item;
  }
  for (const auto& [key, kind] : acks.decisions) {
    const auto [item, lease] = key;
    ASSERT_TRUE(items.contains(item));
    EXPECT_EQ(count_events(item, lease, "decision"), 1)
        << "decision on lease " << lease;
    bool found = false;
    for (const HistoryEntry& h : items[item].history) {
      if (h.lease_id == lease && h.event == "decision") {
        found = h.details.find("kind=" + kind) != std::string::npos;
      }
    }
    EXPECT_TRUE(found) << "decision " << kind << " on lease " << lease << " of "
                       << item;
  }
  // Counters agree with the items.
  int64_t waiting = 0, leased = 0, decided = 0;
  for (const auto& [id, item] : items) {
    waiting +=
        item.state == ItemState::kQueued || item.state == ItemState::kEscalated;
    leased += item.state == ItemState::kLeased;
    decided += item.state == ItemState::kDecided;
  }
  EXPECT_EQ(stats.waiting, waiting);
  EXPECT_EQ(stats.leases_outstanding, leased);
  EXPECT_EQ(stats.decided, decided);
}

TEST(ReviewQueueCrashTest, AcknowledgedOperationsSurviveSigkill) {
  TempDir dir;
  const std::string path = dir.path();
  std::mt19937 rng(20240601);
  Acks acks;
  int total_acks = 0;
  for (int round = 0; round < kRounds; ++round) {
    // Restart a little before the last acknowledged content index, so some
    // enqueues repeat (and must be answered idempotently).
    const long first =
        std::max(0L, acks.max_index - static_cast<long>(rng() % 3));
    ChildProcess child({BinaryPath("queue_crash_child"), path,
                        std::to_string(kStart + 86400 * round),
                        std::to_string(rng()), std::to_string(first)});
    ASSERT_TRUE(child.started()) << BinaryPath("queue_crash_child");
    const int kill_after = 1 + static_cast<int>(rng() % 40);
    int seen = 0;
    std::string line;
    while (seen < kill_after && child.ReadLine(&line)) {
      ASSERT_TRUE(Parse(line, &acks)) << "child said: " << line;
      ++seen;
    }
    ASSERT_EQ(seen, kill_after) << "child ended early in round " << round;
    child.Kill(SIGKILL);
    // Lines already in the pipe were acknowledged before the kill.
    while (child.ReadLine(&line)) {
      ASSERT_TRUE(Parse(line, &acks)) << "child said: " << line;
      ++seen;
    }
    EXPECT_EQ(child.Wait(), -SIGKILL);
    total_acks += seen;
    SCOPED_TRACE(absl::StrCat("after round ", round));
    Verify(path, round, acks);
    if (HasFatalFailure()) return;
  }
  // The run exercised all three kinds of operation.
  EXPECT_GT(acks.enqueued.size(), 50u);
  EXPECT_GT(acks.leases.size(), 20u);
  EXPECT_GT(acks.decisions.size(), 10u);
  RecordProperty("acknowledged_operations", total_acks);
  RecordProperty("enqueued", static_cast<int>(acks.enqueued.size()));
  RecordProperty("leases", static_cast<int>(acks.leases.size()));
  RecordProperty("decisions", static_cast<int>(acks.decisions.size()));
}

}  // namespace
}  // namespace hashwatch::queue
