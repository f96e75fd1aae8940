// queue_crash_child: the process the crash test kills. It opens the queue
// and loops forever over enqueue (batches of 1-3), lease and decide, and
// after each call has returned OK writes one acknowledgement line per
// effect to standard output (one write(2) per line: a line in the pipe was
// acknowledged in full):
//
//   E <content_id> <item_id> <created 0|1>
//   L <item_id> <lease_id>
//   D <item_id> <lease_id> <confirm|reject|escalate|skip>
//
// Usage: queue_crash_child <db dir> <start unix seconds> <seed> <first content
// index> Time is a FakeClock starting at the given second, advanced 1 s per
// call. Any unexpected error: "X <status>" on stdout and exit code 2.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "queue/review_queue.h"

namespace {

using namespace hashwatch::queue;

void Ack(const std::string& line) {
  const std::string out = line + "\n";
  if (write(STDOUT_FILENO, out.data(), out.size()) !=
      static_cast<ssize_t>(out.size())) {
    std::_Exit(3);
  }
}

[[noreturn]] void Fail(const absl::Status& s) {
  Ack(absl::StrCat("X ", s.ToString()));
  std::_Exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr,
                 "usage: %s <dir> <start unix seconds> <seed> <first index>\n",
                 argv[0]);
    return 1;
  }
  hashwatch::FakeClock clock(absl::FromUnixSeconds(std::atoll(argv[2])));
  std::mt19937 rng(static_cast<uint32_t>(std::atoll(argv[3])));
  long next = std::atol(argv[4]);
  QueueOptions options;
  options.path = argv[1];
  options.welfare.max_items_per_hour = 0;
  options.welfare.max_items_per_shift = 0;
  options.welfare.break_after_items = 0;
  options.block_cache_bytes = 1 << 20;
  options.write_buffer_bytes = 4 << 20;
  auto q = ReviewQueue::Open(options, &clock);
  if (!q.ok()) Fail(q.status());
  const std::string moderator = absl::StrCat("mod-", rng() % 3);
  std::deque<LeaseRef> held;
  const char* lanes[] = {"proactive", "user_report"};
  const char* categories[] = {"A", "B", "C", ""};
  while (true) {
    clock.Advance(absl::Seconds(1));
    const int op = static_cast<int>(rng() % 3);
    if (op == 0 || held.size() > 6) {
      if (!held.empty()) {
        const LeaseRef lease = held.front();
        DecisionRequest d;
        d.kind = static_cast<DecisionKind>(rng() % 4);
        if (d.kind == DecisionKind::kConfirm) d.category = "A";
        auto r = (*q)->Decide(moderator, lease, d);
        if (!r.ok()) {
          // Escalating an item already in the escalation lane is refused;
          // anything else is a bug.
          if (d.kind != DecisionKind::kEscalate) Fail(r.status());
          continue;
        }
        held.pop_front();
        Ack(absl::StrCat("D ", lease.item_id, " ", lease.lease_id, " ",
                         DecisionKindName(d.kind)));
        continue;
      }
    }
    if (op == 1) {
      std::vector<EnqueueRequest> batch;
      const int n = 1 + static_cast<int>(rng() % 3);
      for (int i = 0; i < n; ++i) {
        EnqueueRequest r;
        r.content_id = absl::StrCat("c", next++);
        r.lane = lanes[rng() % 2];
        r.category = categories[rng() % 4];
        r.kind = rng() % 3 == 0 ? ItemKind::kNovel : ItemKind::kHashMatch;
        batch.push_back(std::move(r));
      }
      auto r = (*q)->EnqueueBatch(batch);
      if (!r.ok()) Fail(r.status());
      for (int i = 0; i < n; ++i) {
        Ack(absl::StrCat("E ", batch[i].content_id, " ", (*r)[i].item_id, " ",
                         (*r)[i].created ? 1 : 0));
      }
      continue;
    }
    auto r = (*q)->Lease(moderator, 1 + static_cast<int>(rng() % 2));
    if (!r.ok()) Fail(r.status());
    for (const LeasedItem& l : *r) {
      held.push_back(l.lease);
      Ack(absl::StrCat("L ", l.lease.item_id, " ", l.lease.lease_id));
    }
  }
}
