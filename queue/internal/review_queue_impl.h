// ReviewQueue::Impl, declared once for the files that define it (private to
// queue/). The implementation is split along the queue's sections, as
// RocksDB splits its DBImpl:
//
//   review_queue.cc          the public class, forwarding to Impl
//   review_queue_open.cc     options validation, RocksDB setup, start-up
//   review_queue_commit.cc   reads, the write batch (Txn) and Commit
//   review_queue_enqueue.cc  Enqueue/EnqueueBatch
//   review_queue_lanes.cc    finding the best waiting item of a lane
//   review_queue_lease.cc    Lease, lease expiry
//   review_queue_decide.cc   ExtendLease, Release, Decide, RecordReveal
//   review_queue_reads.cc    GetItem, FindItem, GetPreview, Stats, Welfare
//   review_queue_audit.cc    ReadAudit, VerifyAudit
//
// Thread-safety: all mutations run under mu_, which serialises them (so no
// item is leased twice and the audit chain and counters advance in write
// order) and write with sync = false; durability is awaited outside mu_
// (internal/sync_gate.h). Reads take no lock, or a snapshot.
#ifndef HASHWATCH_QUEUE_INTERNAL_REVIEW_QUEUE_IMPL_H_
#define HASHWATCH_QUEUE_INTERNAL_REVIEW_QUEUE_IMPL_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/clock.h"
#include "common/rocksdb_slice.h"
#include "common/rocksdb_status.h"
#include "common/time_format.h"
#include "queue/audit.h"
#include "queue/internal/combiner.h"
#include "queue/internal/lane_head.h"
#include "queue/internal/lane_scheduler.h"
#include "queue/internal/records.h"
#include "queue/internal/schema.h"
#include "queue/internal/sync_gate.h"
#include "queue/internal/welfare.h"
#include "queue/review_item.h"
#include "queue/review_queue.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"

namespace hashwatch::queue {
namespace internal {

inline constexpr absl::string_view kSystemActor = "system";
inline constexpr size_t kMaxIdBytes = 256;     // content, moderator ids
inline constexpr size_t kMaxTextBytes = 4096;  // notes, reasons, categories
inline constexpr int kMaxAuditRead = 10000;
// Keys of each lane's `ready` range copied in memory (internal/lane_head.h).
inline constexpr size_t kLaneHeadEntries = 64;
inline constexpr size_t kModeratorCacheSize = 4096;
inline constexpr size_t kLeasedCacheSize = 16384;

// InvalidArgument unless the options are usable (review_queue_open.cc).
absl::Status ValidateOptions(const QueueOptions& options);
// InvalidArgument for an empty, oversized, NUL-holding or reserved id.
absl::Status ValidateModerator(absl::string_view moderator);

inline bool IsWaiting(ItemState s) {
  return s == ItemState::kQueued || s == ItemState::kEscalated;
}

// A waiting item found in a lane's indexes.
struct Candidate {
  uint64_t item_id = 0;
  bool overdue = false;
};

}  // namespace internal

class ReviewQueue::Impl {
 public:
  Impl(const QueueOptions& options, Clock* clock);
  ~Impl();

  absl::Status OpenDb();

  absl::StatusOr<std::vector<EnqueueResult>> EnqueueBatch(
      absl::Span<const EnqueueRequest> requests);
  absl::StatusOr<std::vector<LeasedItem>> Lease(
      absl::string_view moderator, int max_items,
      absl::Span<const std::string> lanes, absl::string_view token);
  absl::StatusOr<absl::Time> ExtendLease(absl::string_view moderator,
                                         const LeaseRef& lease);
  absl::Status Release(absl::string_view moderator, const LeaseRef& lease);
  absl::StatusOr<Decision> Decide(absl::string_view moderator,
                                  const LeaseRef& lease,
                                  const DecisionRequest& request);
  absl::Status RecordReveal(absl::string_view moderator, uint64_t item_id,
                            absl::string_view reason);
  absl::StatusOr<int> ExpireLeases();
  absl::StatusOr<std::vector<uint64_t>> PendingDecisions(int max_items) const;
  absl::Status AcknowledgeDecision(uint64_t item_id);

  absl::StatusOr<ReviewItem> GetItem(uint64_t item_id) const;
  absl::StatusOr<ReviewItem> FindItem(absl::string_view content_id) const;
  absl::StatusOr<std::string> GetPreview(uint64_t item_id) const;
  absl::StatusOr<QueueStats> Stats() const;
  absl::StatusOr<WelfareStatus> Welfare(absl::string_view moderator) const;
  absl::StatusOr<std::vector<AuditEntry>> ReadAudit(uint64_t from,
                                                    int max_entries) const;
  absl::StatusOr<AuditHead> VerifyAudit() const;
  absl::Status WaitForCompactions(absl::Duration timeout) const;

 private:
  using Cf = internal::Cf;
  using StoredItem = internal::StoredItem;
  using Candidate = internal::Candidate;

  // One write batch with the audit entries and counter changes that go with
  // it; Commit fills in the chain and counters.
  struct Txn {
    rocksdb::WriteBatch batch;
    std::vector<AuditEntry> audit;
    absl::flat_hash_map<std::string, int64_t> counter_deltas;
    struct ReadyWrite {
      int lane;
      std::string key;
      std::string value;
      bool put;  // else a delete
    };
    std::vector<ReadyWrite> ready_writes;  // in batch order
    std::vector<std::tuple<int, int, std::string>>
        due_inserted;  // lane, class, key
    std::vector<std::string> leases_inserted;
    std::vector<uint64_t> items_written;
    uint64_t next_item_id = 0;   // 0: unchanged
    uint64_t next_lease_id = 0;  // 0: unchanged
  };

  // Lease's first and third steps (see Lease).
  struct LeasePlan {
    bool busy = false;  // the moderator's previous Lease is under way
    uint64_t reclaim_ticket = 0;
    absl::Status refusal;  // over a welfare limit
    internal::WelfareVerdict verdict;
    std::vector<std::pair<Candidate, int>> picks;  // item, lane
  };

  // What a Commit changes in state_ before writing, to undo it on failure.
  struct StateUndo {
    uint64_t audit_entries;
    std::string audit_hash;
    uint64_t next_item_id;
    uint64_t next_lease_id;
  };

  // --- Opening (review_queue_open.cc).
  static std::vector<internal::LaneScheduler::Lane> SchedulerLanes(
      const QueueOptions& options);
  rocksdb::DBOptions DbOptions() const;
  std::vector<rocksdb::ColumnFamilyDescriptor> ColumnFamilies() const;
  // Reads the state record and checks that no waiting item is in a lane
  // the options no longer name.
  absl::Status LoadState();

  rocksdb::ColumnFamilyHandle* cf(Cf c) const { return cf_[c]; }

  // Writes RocksDB's WAL buffer to the file, and fsyncs it unless
  // sync_writes is off.
  absl::Status SyncWal() {
    return FromRocksDb(db_->FlushWAL(options_.sync_writes), "queue",
                       "write WAL");
  }

  // Runs `body` in the queue's critical section, with mu_ held, through
  // combiner_ (internal/combiner.h): every mutation goes this way.
  absl::Status Serialized(absl::FunctionRef<absl::Status()> body) {
    absl::Status status;
    combiner_.Run([&] { status = body(); });
    return status;
  }

  absl::Status Durable(uint64_t ticket) {
    if (ticket == 0) return absl::OkStatus();
    return gate_->WaitDurable(ticket);
  }

  // --- Reads and the write batch (review_queue_commit.cc).
  // Writes the batch with the audit chain and counters; returns the ticket
  // to wait on for durability (Durable).
  absl::StatusOr<uint64_t> Commit(Txn& txn) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Commit's steps: chain the audit entries and advance state_ (returning
  // what undoes it); undo; bring memory in step once the write landed.
  StateUndo AdvanceState(Txn& txn) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UndoState(const Txn& txn, const StateUndo& undo)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AfterWrite(Txn& txn) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // The end of a prefix's range, which must outlive the iterator that
  // stops there.
  struct PrefixBound {
    std::string end;
    rocksdb::Slice upper;
  };
  // An iterator over the keys of family `c` that start with `prefix`.
  std::unique_ptr<rocksdb::Iterator> PrefixIterator(
      Cf c, absl::string_view prefix, PrefixBound& bound,
      const rocksdb::Snapshot* snapshot = nullptr) const;

  absl::StatusOr<std::optional<std::string>> Get(
      Cf c, absl::string_view key,
      const rocksdb::Snapshot* snapshot = nullptr) const;
  absl::StatusOr<StoredItem> LoadItem(
      uint64_t item_id, const rocksdb::Snapshot* snapshot = nullptr) const;
  // The same as LoadItem, through leased_.
  absl::StatusOr<StoredItem> LoadLeasedItem(uint64_t item_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<internal::ModeratorState> LoadModeratorState(
      absl::string_view moderator) const;
  absl::StatusOr<std::vector<absl::Time>> LoadExposures(
      absl::string_view moderator, absl::Time now) const;
  // The same as LoadModeratorState, through moderators_.
  absl::StatusOr<internal::ModeratorState> CachedModeratorState(
      absl::string_view moderator) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Records a moderator's state, once the commit that stores it has landed.
  void RememberModerator(absl::string_view moderator,
                         const internal::ModeratorState& state)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Status CheckLiveLease(const ReviewItem& item,
                              absl::string_view moderator,
                              const LeaseRef& lease, absl::Time now) const;

  // Puts the item's `ready` and `due` keys (it must be waiting).
  void PutIndexes(const StoredItem& s, Txn& txn) const;
  void DeleteIndexes(const StoredItem& s, Txn& txn) const;
  // Returns a leased item to its lane, undoing the lease's keys and counts.
  void ReturnToLane(StoredItem& s, Txn& txn) const;
  void PutItem(const StoredItem& s, Txn& txn) const;
  void AddAudit(Txn& txn, absl::Time now, absl::string_view actor,
                AuditEvent event, uint64_t item_id, std::string details) const;

  // --- Enqueue (review_queue_enqueue.cc).
  absl::Status ValidateEnqueue(absl::Span<const EnqueueRequest> requests) const;
  absl::Status ValidateRequest(const EnqueueRequest& r,
                               absl::string_view where) const;
  // Adds the requests not yet queued to one commit; fills `results`.
  absl::StatusOr<uint64_t> EnqueueLocked(
      absl::Span<const EnqueueRequest> requests,
      std::vector<EnqueueResult>& results) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A new waiting item for `r`, scored, with its enqueue history entry.
  StoredItem NewItem(const EnqueueRequest& r, uint64_t id,
                     absl::Time now) const;
  void WriteNewItem(const EnqueueRequest& r, const StoredItem& s,
                    absl::Time now, Txn& txn) const;

  // --- Choosing from lanes (review_queue_lanes.cc).
  // The best waiting item of a lane for `moderator`, or nullopt.
  absl::StatusOr<std::optional<Candidate>> FindEligible(
      int lane, absl::string_view moderator, absl::Time now,
      const absl::flat_hash_set<uint64_t>& chosen)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The overdue item with the earliest deadline of a lane, or nullopt.
  absl::StatusOr<std::optional<Candidate>> FindOverdue(
      int lane, absl::string_view moderator, absl::Time now,
      const absl::flat_hash_set<uint64_t>& chosen)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The first eligible item of a lane's `ready` range past its head.
  absl::StatusOr<std::optional<Candidate>> FindPastHead(
      int lane, absl::string_view moderator, absl::Time now,
      const absl::flat_hash_set<uint64_t>& chosen)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Refills a lane's head from the database.
  absl::Status FillHead(int lane) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int64_t WaitingInLane(int lane) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether an item is chosen by this Lease or reserved by another.
  bool Taken(uint64_t id, const absl::flat_hash_set<uint64_t>& chosen) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return chosen.contains(id) || reserved_.contains(id);
  }

  // --- Leasing and expiry (review_queue_lease.cc).
  // Which lanes a Lease may take from (all when `lanes` is empty).
  absl::StatusOr<std::vector<bool>> AllowedLanes(
      absl::Span<const std::string> lanes) const;
  // Lease's first step, waiting while the moderator's previous Lease runs.
  absl::StatusOr<LeasePlan> MakePlan(absl::string_view moderator, int max_items,
                                     const std::vector<bool>& allowed);
  absl::Status PlanLease(absl::string_view moderator, int max_items,
                         const std::vector<bool>& allowed, LeasePlan* plan)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Picks up to `want` items by the lane scheduler into plan->picks.
  absl::Status ChooseItems(absl::string_view moderator, int want,
                           const std::vector<bool>& allowed, absl::Time now,
                           LeasePlan* plan) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Returns the commit's ticket; releases the plan's reservations.
  absl::StatusOr<uint64_t> WriteLeases(
      absl::string_view moderator, absl::string_view token,
      const LeasePlan& plan, std::vector<absl::StatusOr<StoredItem>>& loaded,
      std::vector<LeasedItem>* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Writes one item's lease into `txn`; returns what the caller gets.
  LeasedItem LeaseItem(absl::string_view moderator, absl::string_view token,
                       const Candidate& c, uint64_t lease_id, absl::Time now,
                       StoredItem& s, Txn& txn) const;
  // Counts the leased items against the moderator's welfare state, pruning
  // old exposure and decision keys once an hour.
  void UpdateModeratorAfterLease(absl::string_view moderator,
                                 const LeasePlan& plan, absl::Time now,
                                 internal::ModeratorState& state,
                                 Txn& txn) const;
  // Returns expired leases (up to `limit`) in one commit; its ticket, or 0.
  absl::StatusOr<uint64_t> ReclaimExpired(absl::Time now, int limit,
                                          int* reclaimed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Returns the item of an expired lease key to its lane, into `txn`.
  absl::Status ExpireOne(absl::string_view key, absl::Time now, Txn& txn)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // --- Decisions (review_queue_decide.cc).
  static absl::Status ValidateDecision(const DecisionRequest& request);
  absl::StatusOr<uint64_t> DecideLocked(absl::string_view moderator,
                                        const LeaseRef& lease,
                                        const DecisionRequest& request,
                                        Decision* decision)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Applies the decision's kind to the leased item, into `txn`.
  void ApplyDecision(const Decision& decision, StoredItem& s, Txn& txn) const;
  void Escalate(const Decision& decision, StoredItem& s, Txn& txn) const;

  // --- Reads (review_queue_reads.cc).
  // Fills one (lane, class)'s oldest age and overdue count from `due`.
  absl::Status DueStats(absl::string_view lane, const std::string& seek,
                        absl::Time now, const rocksdb::Snapshot* snapshot,
                        LaneClassStats& cs) const;
  // Decisions per moderator in the hour before `now`.
  absl::Status ModeratorDecisions(absl::Time now,
                                  const rocksdb::Snapshot* snapshot,
                                  std::vector<ModeratorStats>* out) const;

  // --- Audit (review_queue_audit.cc).
  absl::StatusOr<AuditHead> VerifyChain(
      const rocksdb::Snapshot* snapshot) const;

  int64_t Counter(absl::string_view name) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = state_.counters.find(name);
    return it == state_.counters.end() ? 0 : it->second;
  }

  ItemState WaitingStateFor(absl::string_view lane) const {
    return lane == options_.escalation_lane ? ItemState::kEscalated
                                            : ItemState::kQueued;
  }

  const QueueOptions options_;
  Clock* const clock_;
  std::unique_ptr<rocksdb::DB> db_;
  std::array<rocksdb::ColumnFamilyHandle*, internal::kCfCount> cf_{};
  std::unique_ptr<internal::SyncGate> gate_;  // set once db_ is open
  absl::flat_hash_map<std::string, int> lane_index_;
  int escalation_index_ = 0;

  mutable absl::Mutex mu_;
  internal::Combiner combiner_{&mu_};
  internal::LaneScheduler scheduler_ ABSL_GUARDED_BY(mu_);
  internal::QueueState state_ ABSL_GUARDED_BY(mu_);
  // Seek hints: a key at or below the first live key of each lane's `ready`
  // range, each (lane, class) `due` range, and the `leases` family. A queue
  // on an LSM tree deletes at the head of its ranges, and a seek from the
  // range start would step over every tombstone not yet compacted; seeking
  // from the hint skips them. Inserts lower a hint; finding the first live
  // key raises it.
  std::vector<std::string> ready_hint_ ABSL_GUARDED_BY(mu_);
  std::vector<std::array<std::string, kPriorityClassCount>> due_hint_
      ABSL_GUARDED_BY(mu_);
  std::string lease_hint_ ABSL_GUARDED_BY(mu_);
  // The head of each lane's `ready` range (internal/lane_head.h).
  std::vector<internal::LaneHead> heads_ ABSL_GUARDED_BY(mu_);
  // Welfare state of recently active moderators, as stored; at most
  // kModeratorCacheSize, so memory follows the team, not the queue.
  absl::flat_hash_map<std::string, internal::ModeratorState> moderators_
      ABSL_GUARDED_BY(mu_);
  // Items as their Lease stored them, until anything else writes them (at
  // most kLeasedCacheSize): the decision on an item needs no read.
  absl::flat_hash_map<uint64_t, StoredItem> leased_ ABSL_GUARDED_BY(mu_);
  // Lease's three steps: the items chosen and being read outside mu_, those
  // of them written meanwhile, and the moderators whose Lease is under way.
  absl::flat_hash_set<uint64_t> reserved_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<uint64_t> rewritten_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> leasing_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hashwatch::queue

#endif  // HASHWATCH_QUEUE_INTERNAL_REVIEW_QUEUE_IMPL_H_
