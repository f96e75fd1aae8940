// ReviewQueue: the durable, prioritised queue of items waiting for a human
// moderator, on its own RocksDB database. It knows nothing of gRPC; the
// review service maps its calls and errors onto the API.
//
//   HW_ASSIGN_OR_RETURN(auto q, ReviewQueue::Open(options, Clock::Real()));
//   q->Enqueue({.content_id = "c1", .lane = "proactive", ...});
//   auto leased = q->Lease("mod-7", 5);             // up to 5 items
//   auto d = q->Decide("mod-7", leased->at(0).lease,
//                      {.kind = DecisionKind::kConfirm, .category = "A"});
//
// Semantics in short (details at each method):
//  - Order: lanes are served by weighted shares (stride scheduling; lanes
//    marked served_first, e.g. escalation, before all others); within a
//    lane, overdue items first (earliest SLA deadline), then by effective
//    priority, which rises with waiting time (queue/priority.h).
//  - Leases: an item is leased to one moderator at a time until decided,
//    released, or expired (lease_duration, renewable with ExtendLease).
//    Expired leases return their items at the next Lease or ExpireLeases.
//  - Welfare: per-moderator exposure limits; Lease answers ResourceExhausted
//    "take a break until T" instead of items when one is reached.
//  - Durability: a call that returns OK has its effects, and their audit
//    entries, in the WAL and fsynced (unless sync_writes is off). A crash
//    loses only unacknowledged calls, and always a suffix of them (the
//    audit chain stays intact). Effects of an in-flight call may be visible
//    to concurrent readers shortly before they are durable, and may survive
//    a crash without having been acknowledged (an enqueue retry then finds
//    the item by its content id).
//  - Errors: InvalidArgument (bad argument, unknown lane), NotFound (unknown
//    item), FailedPrecondition (lease not live: not yours, expired, already
//    decided), ResourceExhausted (welfare limit, oversized preview),
//    Unavailable (disk, or locked by another process), DataLoss
//    (corruption, broken audit chain). A call that fails changes nothing
//    (Lease may have returned expired leases to the queue first: that is
//    housekeeping, audited as such, not part of the failed call).
//
// Thread-safety: all methods are thread-safe. Mutations are serialised in
// memory (which also makes leases exclusive) and share fsyncs (group
// commit): concurrent callers wait for one WAL sync together.
#ifndef HASHWATCH_QUEUE_REVIEW_QUEUE_H_
#define HASHWATCH_QUEUE_REVIEW_QUEUE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/clock.h"
#include "queue/audit.h"
#include "queue/priority.h"
#include "queue/review_item.h"

namespace hashwatch::queue {

struct LaneOptions {
  // 1..64 characters of [a-z0-9_-].
  std::string name = {};
  // Share among the weighted lanes, > 0 (e.g. 80 and 20). Ignored for
  // served_first lanes.
  int weight = 1;
  // Served before every weighted lane whenever it has an item for the
  // moderator (the escalation lane); several are served in listed order.
  bool served_first = false;
  // Time from entering the lane after which a waiting item is overdue, per
  // priority class (critical, high, normal, low). Each > 0.
  std::array<absl::Duration, kPriorityClassCount> sla = {
      absl::Hours(1), absl::Hours(4), absl::Hours(24), absl::Hours(72)};
};

// Per-moderator exposure limits. Exposure counts items leased (an item is
// seen when it is handed out). 0 disables a limit.
struct WelfareOptions {
  int max_items_per_hour = 60;    // in any sliding 60 minutes
  int max_items_per_shift = 300;  // in any sliding shift_length
  absl::Duration shift_length = absl::Hours(8);
  // After this many items with no pause of at least break_length between
  // two of the moderator's calls, a break of break_length is required.
  int break_after_items = 25;
  absl::Duration break_length = absl::Minutes(15);
};

struct QueueOptions {
  std::string path;               // database directory; required
  bool create_if_missing = true;  // create the database if absent
  // fsync the WAL before a mutating call returns. Off, the WAL is still
  // written to the OS first (a process crash loses nothing acknowledged) but
  // a power failure can; off only in benchmarks that measure CPU cost.
  bool sync_writes = true;
  // The lanes. Changing weights and SLAs between runs is fine; removing a
  // lane that still has waiting items makes Open fail.
  std::vector<LaneOptions> lanes = {
      {.name = "escalation", .weight = 1, .served_first = true},
      {.name = "proactive", .weight = 80},
      {.name = "user_report", .weight = 20},
  };
  // Where DecisionKind::kEscalate sends items; must be one of `lanes`.
  std::string escalation_lane = "escalation";
  // Scores are computed once, at enqueue (and escalation); changing the
  // policy affects items enqueued afterwards.
  PriorityPolicy priority;
  absl::Duration lease_duration = absl::Minutes(10);  // > 0; ExtendLease renews
  // A skipped item is not offered to the same moderator again for this long.
  absl::Duration skip_exclusion = absl::Hours(2);
  int max_lease_items = 50;            // cap on Lease's max_items (1..10000)
  int max_enqueue_batch = 1000;        // cap on EnqueueBatch's size
  size_t max_preview_bytes = 1 << 20;  // larger previews: ResourceExhausted
  // Expired leases returned per Lease call (the rest at the next calls or
  // ExpireLeases); bounds Lease latency after an outage.
  int max_expiries_per_call = 256;
  WelfareOptions welfare;
  size_t block_cache_bytes = 32 << 20;  // RocksDB block cache, all families
  // RocksDB memtables, all families: the bound on write buffering in RAM.
  size_t write_buffer_bytes = 64 << 20;
  // Directory for the write-ahead log; empty: with the database in `path`.
  // Every durable call waits for an fsync of this log, and on a disk shared
  // with RocksDB's flushes and compactions some take 10 ms or more; a
  // device of its own keeps them short. Must hold the log across restarts.
  std::string wal_dir;
};

struct LaneClassStats {
  PriorityClass priority_class = PriorityClass::kLow;
  int64_t waiting = 0;  // queued or escalated
  int64_t overdue = 0;  // waiting past the SLA deadline
  absl::Duration oldest_age = absl::ZeroDuration();  // longest in lane
};

struct LaneStats {
  std::string lane;
  int64_t waiting = 0;
  int64_t overdue = 0;
  absl::Duration oldest_age = absl::ZeroDuration();
  std::array<LaneClassStats, kPriorityClassCount> classes;
};

struct ModeratorStats {
  std::string moderator;
  int64_t decisions_last_hour = 0;  // confirm, reject, escalate and skip
};

struct QueueStats {
  absl::Time at;
  std::vector<LaneStats> lanes;  // in configured order
  int64_t waiting = 0;
  int64_t overdue = 0;
  absl::Duration oldest_age = absl::ZeroDuration();
  // Items leased, including expired leases not yet returned to the queue.
  int64_t leases_outstanding = 0;
  int64_t decided = 0;                     // items confirmed or rejected, ever
  int64_t items = 0;                       // items ever enqueued
  std::vector<ModeratorStats> moderators;  // with a decision in the last hour
};

// What a moderator may still lease now.
struct WelfareStatus {
  int allowed_now = 0;  // items Lease would hand out at most (before max_items)
  absl::Time break_until = absl::InfinitePast();  // set when allowed_now == 0
  int items_last_hour = 0;
  int items_this_shift = 0;
  int consecutive_items = 0;
};

class ReviewQueue final {
 public:
  // Opens (or creates) the queue at options.path. InvalidArgument for bad
  // options (the message names the field); Unavailable when the directory
  // cannot be used or another process holds it; DataLoss on corruption;
  // FailedPrecondition when a lane with waiting items is no longer
  // configured. `clock` must outlive the queue.
  static absl::StatusOr<std::unique_ptr<ReviewQueue>> Open(
      const QueueOptions& options, Clock* clock);

  ~ReviewQueue();
  ReviewQueue(const ReviewQueue&) = delete;
  ReviewQueue& operator=(const ReviewQueue&) = delete;

  // Adds one item, or returns the existing one for the same content_id
  // (created = false, nothing written). InvalidArgument: empty content_id,
  // unknown lane, bad numbers; ResourceExhausted: preview too large.
  absl::StatusOr<EnqueueResult> Enqueue(const EnqueueRequest& request);

  // Enqueue for many items with one write batch and one fsync; results in
  // request order. All or nothing: any invalid request fails the whole batch
  // (the message names its index). Duplicate content ids within the batch
  // resolve to the first. InvalidArgument also for an empty batch or one
  // above max_enqueue_batch.
  absl::StatusOr<std::vector<EnqueueResult>> EnqueueBatch(
      absl::Span<const EnqueueRequest> requests);

  // Leases up to max_items items to `moderator`, best first under the lane
  // policy, from `lanes` only when given (else from all lanes). First
  // returns expired leases to the queue. Returns fewer items (possibly none)
  // when the queue holds fewer eligible ones or a welfare limit allows fewer.
  // Errors: InvalidArgument (empty moderator, max_items outside
  // 1..max_lease_items, unknown lane); ResourceExhausted "take a break until
  // <time>" when the moderator may lease nothing now.
  // `token` names the credential the moderator called with (e.g. an API
  // token's id): the lease is live only for LeaseRefs carrying the same
  // token. Empty when the caller has none. InvalidArgument above 256 bytes.
  absl::StatusOr<std::vector<LeasedItem>> Lease(
      absl::string_view moderator, int max_items,
      absl::Span<const std::string> lanes = {}, absl::string_view token = {});

  // Renews a live lease for lease_duration from now; returns the new expiry.
  // NotFound: unknown item; FailedPrecondition: lease not live.
  absl::StatusOr<absl::Time> ExtendLease(absl::string_view moderator,
                                         const LeaseRef& lease);

  // Gives a leased item back undecided (no skip exclusion). Errors as
  // ExtendLease.
  absl::Status Release(absl::string_view moderator, const LeaseRef& lease);

  // Records a decision on a live lease and returns it. Confirm and reject
  // are final (and delete the item's preview); escalate moves the item to the
  // escalation lane; skip returns it to its lane, hidden from this moderator
  // for skip_exclusion. InvalidArgument: empty moderator, confirm without
  // category; NotFound: unknown item; FailedPrecondition: no live lease
  // (someone else's, expired, released, already decided), or escalating an item
  // already in the escalation lane.
  //
  // A confirm or reject is also written as pending follow-up, in the same
  // write: the caller acts on it (files the report, banks the hashes,
  // purges what must go) and then calls AcknowledgeDecision. A caller that
  // crashed in between finds it in PendingDecisions when it opens again, so
  // the decision is the commit point and its consequences roll forward.
  absl::StatusOr<Decision> Decide(absl::string_view moderator,
                                  const LeaseRef& lease,
                                  const DecisionRequest& request);

  // Records in the audit log (and the item's history) that `moderator`
  // viewed the unblurred original of an item. The caller has checked the
  // moderator's role; no lease is required (leads reveal for follow-ups).
  // InvalidArgument: empty moderator; NotFound: unknown item.
  absl::Status RecordReveal(absl::string_view moderator, uint64_t item_id,
                            absl::string_view reason);

  // Returns every lease expired by now to its lane; returns how many. For a
  // service timer; Lease does the same for up to max_expiries_per_call.
  absl::StatusOr<int> ExpireLeases();

  // Items with a final decision whose follow-up is not yet acknowledged,
  // oldest first, at most `max_items` (>= 1).
  absl::StatusOr<std::vector<uint64_t>> PendingDecisions(int max_items) const;
  // Marks the decision's follow-up done (synced). Unknown or already
  // acknowledged ids are fine.
  absl::Status AcknowledgeDecision(uint64_t item_id);

  // Reads. NotFound for unknown ids.
  absl::StatusOr<ReviewItem> GetItem(uint64_t item_id) const;
  absl::StatusOr<ReviewItem> FindItem(absl::string_view content_id) const;
  absl::StatusOr<std::string> GetPreview(uint64_t item_id) const;  // "" if none

  // Depth per lane and class, oldest age, overdue count (cost: one key per
  // overdue item), leases outstanding, decisions per moderator in the last
  // hour.
  absl::StatusOr<QueueStats> Stats() const;

  // The moderator's current allowance; InvalidArgument for an empty id.
  absl::StatusOr<WelfareStatus> Welfare(absl::string_view moderator) const;

  // Up to max_entries audit entries from index `from`, in order.
  absl::StatusOr<std::vector<AuditEntry>> ReadAudit(uint64_t from,
                                                    int max_entries) const;

  // Walks the whole audit chain: every index present in order, every entry
  // carrying the hash of the one before, the last matching the stored head.
  // Returns the head; DataLoss naming the index of the first broken link.
  absl::StatusOr<AuditHead> VerifyAudit() const;

  // Waits until the database has no flush or compaction pending or running,
  // or `timeout` passes (DeadlineExceeded). For benchmarks and tools that
  // measure a settled database rather than the backlog of a bulk load.
  absl::Status WaitForCompactions(absl::Duration timeout) const;

 private:
  class Impl;
  explicit ReviewQueue(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hashwatch::queue

#endif  // HASHWATCH_QUEUE_REVIEW_QUEUE_H_
