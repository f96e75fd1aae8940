#include "queue/review_queue.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/rocksdb_options.h"
#include "common/rocksdb_status.h"
#include "common/status_macros.h"
#include "queue/internal/combiner.h"
#include "queue/internal/lane_head.h"
#include "queue/internal/lane_scheduler.h"
#include "queue/internal/records.h"
#include "queue/internal/schema.h"
#include "queue/internal/sync_gate.h"
#include "queue/internal/welfare.h"
#include "rocksdb/convenience.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/table_properties_collectors.h"
#include "rocksdb/write_batch.h"

namespace hashwatch::queue {
namespace {

using internal::Cf;
using internal::StoredItem;

constexpr absl::string_view kSystemActor = "system";
constexpr size_t kMaxIdBytes = 256;     // content, moderator ids
constexpr size_t kMaxTextBytes = 4096;  // notes, reasons, categories
constexpr int kMaxAuditRead = 10000;
// Keys of each lane's `ready` range copied in memory (internal/lane_head.h).
constexpr size_t kLaneHeadEntries = 64;
constexpr size_t kModeratorCacheSize = 4096;
constexpr size_t kLeasedCacheSize = 16384;

// Debian's Abseil has its own string_view; these bridge it and rocksdb::Slice.
absl::string_view View(const rocksdb::Slice& s) { return {s.data(), s.size()}; }
rocksdb::Slice Sl(absl::string_view s) { return {s.data(), s.size()}; }

std::string TimeText(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

absl::Status ValidateName(absl::string_view what, absl::string_view name) {
  if (name.empty() || name.size() > 64) {
    return absl::InvalidArgumentError(absl::StrCat(
        "queue: ", what, " '", name, "' must have 1..64 characters"));
  }
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-')) {
      return absl::InvalidArgumentError(absl::StrCat(
          "queue: ", what, " '", name, "' may only contain [a-z0-9_-]"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateOptions(const QueueOptions& o) {
  if (o.path.empty())
    return absl::InvalidArgumentError("queue: options.path is empty");
  if (o.lanes.empty())
    return absl::InvalidArgumentError("queue: options.lanes is empty");
  absl::flat_hash_set<std::string> names;
  bool weighted = false;
  for (const LaneOptions& lane : o.lanes) {
    HW_RETURN_IF_ERROR(ValidateName("lane", lane.name));
    if (!names.insert(lane.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("queue: lane '", lane.name, "' is listed twice"));
    }
    if (!lane.served_first) {
      weighted = true;
      if (lane.weight <= 0 || lane.weight > 1'000'000) {
        return absl::InvalidArgumentError(
            absl::StrCat("queue: lane '", lane.name, "' has weight ",
                         lane.weight, ", want 1..1000000"));
      }
    }
    for (int c = 0; c < kPriorityClassCount; ++c) {
      if (lane.sla[c] <= absl::ZeroDuration() ||
          lane.sla[c] == absl::InfiniteDuration()) {
        return absl::InvalidArgumentError(
            absl::StrCat("queue: lane '", lane.name, "' sla[",
                         PriorityClassName(static_cast<PriorityClass>(c)),
                         "] must be finite and > 0"));
      }
    }
  }
  if (!weighted) {
    return absl::InvalidArgumentError(
        "queue: options.lanes has no weighted lane");
  }
  if (!names.contains(o.escalation_lane)) {
    return absl::InvalidArgumentError(
        absl::StrCat("queue: escalation_lane '", o.escalation_lane,
                     "' is not a configured lane"));
  }
  HW_RETURN_IF_ERROR(ValidatePriorityPolicy(o.priority));
  if (o.lease_duration <= absl::ZeroDuration() ||
      o.lease_duration == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        "queue: lease_duration must be finite and > 0");
  }
  if (o.skip_exclusion < absl::ZeroDuration() ||
      o.skip_exclusion == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        "queue: skip_exclusion must be finite and >= 0");
  }
  if (o.max_lease_items < 1 || o.max_lease_items > 10000) {
    return absl::InvalidArgumentError(absl::StrCat(
        "queue: max_lease_items is ", o.max_lease_items, ", want 1..10000"));
  }
  if (o.max_enqueue_batch < 1 || o.max_enqueue_batch > 100000) {
    return absl::InvalidArgumentError(
        absl::StrCat("queue: max_enqueue_batch is ", o.max_enqueue_batch,
                     ", want 1..100000"));
  }
  if (o.max_expiries_per_call < 1) {
    return absl::InvalidArgumentError(
        "queue: max_expiries_per_call must be >= 1");
  }
  const WelfareOptions& w = o.welfare;
  if (w.max_items_per_hour < 0 || w.max_items_per_shift < 0 ||
      w.break_after_items < 0) {
    return absl::InvalidArgumentError(
        "queue: welfare limits must be >= 0 (0: no limit)");
  }
  if (w.shift_length <= absl::ZeroDuration() ||
      w.shift_length > absl::Hours(24 * 7) ||
      w.break_length <= absl::ZeroDuration() ||
      w.break_length > absl::Hours(24)) {
    return absl::InvalidArgumentError(
        "queue: welfare shift_length must be in (0, 7 days] and break_length "
        "in "
        "(0, 24 hours]");
  }
  return absl::OkStatus();
}

absl::Status ValidateModerator(absl::string_view moderator) {
  if (moderator.empty())
    return absl::InvalidArgumentError("queue: empty moderator id");
  if (moderator.size() > kMaxIdBytes ||
      moderator.find('\0') != moderator.npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "queue: moderator id must be 1..", kMaxIdBytes, " bytes without NUL"));
  }
  if (moderator == kSystemActor) {
    return absl::InvalidArgumentError(
        "queue: moderator id 'system' is reserved");
  }
  return absl::OkStatus();
}

bool IsWaiting(ItemState s) {
  return s == ItemState::kQueued || s == ItemState::kEscalated;
}

// A waiting item found in a lane's indexes.
struct Candidate {
  uint64_t item_id = 0;
  bool overdue = false;
};

}  // namespace

// All mutations run under mu_, which serialises them (so no item is leased
// twice and the audit chain and counters advance in write order) and write
// with sync = false; durability is awaited outside mu_ (internal/sync_gate.h).
class ReviewQueue::Impl {
 public:
  Impl(const QueueOptions& options, Clock* clock)
      : options_(options), clock_(clock), scheduler_(SchedulerLanes(options)) {
    for (int i = 0; i < static_cast<int>(options_.lanes.size()); ++i) {
      lane_index_[options_.lanes[i].name] = i;
      ready_hint_.push_back(internal::LanePrefix(options_.lanes[i].name));
      heads_.emplace_back(kLaneHeadEntries);
      std::array<std::string, kPriorityClassCount> due;
      for (int c = 0; c < kPriorityClassCount; ++c) {
        due[c] = internal::DuePrefix(options_.lanes[i].name,
                                     static_cast<PriorityClass>(c));
      }
      due_hint_.push_back(std::move(due));
    }
    escalation_index_ = lane_index_.at(options_.escalation_lane);
  }

  ~Impl() {
    if (db_ == nullptr) return;
    gate_.reset();  // syncs what is left; must not outlive db_
    for (rocksdb::ColumnFamilyHandle* h : cf_) {
      if (h != nullptr)
        db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    }
    db_->FlushWAL(true)
        .PermitUncheckedError();  // acknowledged writes already were
    db_->Close().PermitUncheckedError();
  }

  absl::Status OpenDb();

  absl::StatusOr<std::vector<EnqueueResult>> EnqueueBatch(
      absl::Span<const EnqueueRequest> requests);
  absl::StatusOr<std::vector<LeasedItem>> Lease(
      absl::string_view moderator, int max_items,
      absl::Span<const std::string> lanes);
  absl::StatusOr<absl::Time> ExtendLease(absl::string_view moderator,
                                         const LeaseRef& lease);
  absl::Status Release(absl::string_view moderator, const LeaseRef& lease);
  absl::StatusOr<Decision> Decide(absl::string_view moderator,
                                  const LeaseRef& lease,
                                  const DecisionRequest& request);
  absl::Status RecordReveal(absl::string_view moderator, uint64_t item_id,
                            absl::string_view reason);
  absl::StatusOr<int> ExpireLeases();

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

  static std::vector<internal::LaneScheduler::Lane> SchedulerLanes(
      const QueueOptions& options) {
    std::vector<internal::LaneScheduler::Lane> lanes;
    for (const LaneOptions& l : options.lanes)
      lanes.push_back({l.weight, l.served_first});
    return lanes;
  }

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

  absl::StatusOr<uint64_t> Commit(Txn& txn) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

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
  // Refills a lane's head from the database.
  absl::Status FillHead(int lane) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

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

  // Returns expired leases (up to `limit`) in one commit; its ticket, or 0.
  absl::StatusOr<uint64_t> ReclaimExpired(absl::Time now, int limit,
                                          int* reclaimed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // The best waiting item of a lane for `moderator`, or nullopt.
  absl::StatusOr<std::optional<Candidate>> FindEligible(
      int lane, absl::string_view moderator, absl::Time now,
      const absl::flat_hash_set<uint64_t>& chosen)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  int64_t WaitingInLane(int lane) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Lease's first and third steps (see Lease).
  struct LeasePlan {
    bool busy = false;  // the moderator's previous Lease is under way
    uint64_t reclaim_ticket = 0;
    absl::Status refusal;  // over a welfare limit
    internal::WelfareVerdict verdict;
    std::vector<std::pair<Candidate, int>> picks;  // item, lane
  };
  absl::Status PlanLease(absl::string_view moderator, int max_items,
                         const std::vector<bool>& allowed, LeasePlan* plan)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Returns the commit's ticket; releases the plan's reservations.
  absl::StatusOr<uint64_t> WriteLeases(
      absl::string_view moderator, const LeasePlan& plan,
      std::vector<absl::StatusOr<StoredItem>>& loaded,
      std::vector<LeasedItem>* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether an item is chosen by this Lease or reserved by another.
  bool Taken(uint64_t id, const absl::flat_hash_set<uint64_t>& chosen) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return chosen.contains(id) || reserved_.contains(id);
  }
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

// ---------------------------------------------------------------------------
// Opening.

absl::Status ReviewQueue::Impl::OpenDb() {
  rocksdb::DBOptions db_options;
  SetCommonDbOptions(&db_options);
  db_options.create_if_missing = options_.create_if_missing;
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  db_options.max_background_jobs = 2;
  db_options.db_write_buffer_size = options_.write_buffer_bytes;
  db_options.keep_log_file_num = 4;
  // Writes (under mu_) only append to RocksDB's WAL buffer; gate_ writes
  // the buffer out and fsyncs it outside mu_, for many commits at once.
  db_options.manual_wal_flush = true;
  db_options.bytes_per_sync = 1 << 20;
  if (!options_.wal_dir.empty()) db_options.wal_dir = options_.wal_dir;

  rocksdb::BlockBasedTableOptions table;
  if (options_.block_cache_bytes > 0) {
    table.block_cache = rocksdb::NewLRUCache(options_.block_cache_bytes);
    // Index and filter blocks count against the cache too, so memory stays
    // bounded however large the database grows. They are partitioned into
    // small blocks: a whole-file filter or index of a large file is bigger
    // than one shard of the cache, so it would be evicted as soon as it was
    // loaded and read back from disk, checksum and all, on every lookup
    // (that was 20% of a lease+decide's CPU at 1,000,000 items). Only the
    // small top-level index of each file stays pinned.
    table.cache_index_and_filter_blocks = true;
    table.cache_index_and_filter_blocks_with_high_priority = true;
    table.pin_l0_filter_and_index_blocks_in_cache = true;
    table.pin_top_level_index_and_filter = true;
    table.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
    table.metadata_block_size = 4096;
  } else {
    table.no_block_cache = true;
  }
  rocksdb::BlockBasedTableOptions point_table = table;
  point_table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  point_table.partition_filters = options_.block_cache_bytes > 0;

  // Index families are deleted from at the head all day: compact files
  // where tombstones pile up (64 in any 128 consecutive entries).
  auto on_deletion = rocksdb::NewCompactOnDeletionCollectorFactory(128, 64);
  // LZ4 where the RocksDB build has it: compaction rewrites items all day,
  // and LZ4 made lease+decide at 1,000,000 items about a third faster than
  // Snappy (RocksDB's default) on this workload.
  const std::vector<rocksdb::CompressionType> supported =
      rocksdb::GetSupportedCompressions();
  const rocksdb::CompressionType compression =
      std::find(supported.begin(), supported.end(), rocksdb::kLZ4Compression) !=
              supported.end()
          ? rocksdb::kLZ4Compression
          : rocksdb::kSnappyCompression;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (int c = 0; c < internal::kCfCount; ++c) {
    rocksdb::ColumnFamilyOptions cf_options;
    cf_options.write_buffer_size =
        std::max<size_t>(1 << 20, options_.write_buffer_bytes / 4);
    // Items are rewritten at random ids all day (each lease and decision).
    // With static level sizes nearly all of them sit in L1, so every
    // L0->L1 compaction rewrote the whole family; with dynamic sizes L0
    // merges into a base level a tenth the size of the last.
    cf_options.level_compaction_dynamic_level_bytes = true;
    // And the base level no larger than what L0 holds before it compacts
    // (RocksDB's default is 256 MB): below that size everything sat in the
    // last level, and each L0 compaction of items rewrote all of them
    // (126 MB, 24 s, at 1,000,000 items).
    cf_options.max_bytes_for_level_base =
        cf_options.write_buffer_size *
        std::max(1, cf_options.level0_file_num_compaction_trigger);
    cf_options.compression = compression;
    const bool index = c == internal::kReadyCf || c == internal::kDueCf ||
                       c == internal::kLeasesCf || c == internal::kExposureCf ||
                       c == internal::kDecisionsCf;
    if (index) {
      cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
      cf_options.table_properties_collector_factories.push_back(on_deletion);
    } else {
      cf_options.table_factory.reset(
          rocksdb::NewBlockBasedTableFactory(point_table));
    }
    descriptors.emplace_back(internal::kCfNames[c], cf_options);
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status s =
      rocksdb::DB::Open(db_options, options_.path, descriptors, &handles, &raw);
  if (!s.ok())
    return FromRocksDb(s, "queue", absl::StrCat("open ", options_.path));
  db_.reset(raw);
  for (int c = 0; c < internal::kCfCount; ++c) cf_[c] = handles[c];
  gate_ = std::make_unique<internal::SyncGate>([this] { return SyncWal(); });

  absl::MutexLock lock(&mu_);
  HW_ASSIGN_OR_RETURN(auto state, Get(internal::kMetaCf, internal::kStateKey));
  if (state) {
    HW_RETURN_IF_ERROR(internal::DecodeQueueState(*state, &state_));
  } else {
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), cf(internal::kItemsCf)));
    it->SeekToFirst();
    if (it->Valid()) {
      return absl::DataLossError(
          "queue: items exist but the queue state record is missing");
    }
    HW_RETURN_IF_ERROR(FromRocksDb(it->status(), "queue", "read items"));
  }
  for (const auto& [name, value] : state_.counters) {
    if (!absl::StartsWith(name, "waiting/") || value == 0) continue;
    const absl::string_view rest = absl::string_view(name).substr(8);
    const absl::string_view lane = rest.substr(0, rest.rfind('/'));
    if (!lane_index_.contains(lane)) {
      return absl::FailedPreconditionError(
          absl::StrCat("queue: lane '", lane, "' has ", value,
                       " waiting items but is not configured; add it back to "
                       "options.lanes"));
    }
  }
  lease_hint_.clear();
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Storage helpers.

absl::StatusOr<std::optional<std::string>> ReviewQueue::Impl::Get(
    Cf c, absl::string_view key, const rocksdb::Snapshot* snapshot) const {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  // Items are read at random (the next item by priority, any decision's
  // item): caching their blocks would only evict the index and filter
  // blocks every read needs. At 1,000,000 items, not caching them made
  // lease+decide 15-20% cheaper.
  ro.fill_cache = c != internal::kItemsCf;
  std::string value;
  const rocksdb::Status s = db_->Get(ro, cf(c), Sl(key), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok())
    return FromRocksDb(s, "queue",
                       absl::StrCat("read ", internal::kCfNames[c]));
  return std::optional<std::string>(std::move(value));
}

absl::StatusOr<StoredItem> ReviewQueue::Impl::LoadItem(
    uint64_t item_id, const rocksdb::Snapshot* snapshot) const {
  HW_ASSIGN_OR_RETURN(
      auto bytes, Get(internal::kItemsCf, internal::U64Key(item_id), snapshot));
  if (!bytes)
    return absl::NotFoundError(absl::StrCat("queue: no item ", item_id));
  StoredItem s;
  HW_RETURN_IF_ERROR(internal::DecodeItem(*bytes, &s));
  return s;
}

absl::StatusOr<internal::ModeratorState> ReviewQueue::Impl::LoadModeratorState(
    absl::string_view moderator) const {
  internal::ModeratorState state;
  HW_ASSIGN_OR_RETURN(auto bytes, Get(internal::kModeratorsCf, moderator));
  if (bytes) HW_RETURN_IF_ERROR(internal::DecodeModeratorState(*bytes, &state));
  return state;
}

absl::StatusOr<StoredItem> ReviewQueue::Impl::LoadLeasedItem(uint64_t item_id) {
  auto it = leased_.find(item_id);
  if (it != leased_.end()) return it->second;
  return LoadItem(item_id);
}

absl::StatusOr<internal::ModeratorState>
ReviewQueue::Impl::CachedModeratorState(absl::string_view moderator) {
  auto it = moderators_.find(moderator);
  if (it != moderators_.end()) return it->second;
  HW_ASSIGN_OR_RETURN(internal::ModeratorState state,
                      LoadModeratorState(moderator));
  RememberModerator(moderator, state);
  return state;
}

void ReviewQueue::Impl::RememberModerator(
    absl::string_view moderator, const internal::ModeratorState& state) {
  if (moderators_.size() >= kModeratorCacheSize &&
      !moderators_.contains(moderator)) {
    moderators_.clear();
  }
  moderators_[moderator] = state;
}

absl::StatusOr<std::vector<absl::Time>> ReviewQueue::Impl::LoadExposures(
    absl::string_view moderator, absl::Time now) const {
  std::vector<absl::Time> times;
  const WelfareOptions& w = options_.welfare;
  if (w.max_items_per_hour == 0 && w.max_items_per_shift == 0) return times;
  const std::string end =
      internal::PrefixEnd(internal::ModeratorPrefix(moderator));
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(ro, cf(internal::kExposureCf)));
  for (it->Seek(internal::ModeratorEventKey(
           moderator, now - internal::WelfareWindow(w), 0));
       it->Valid(); it->Next()) {
    times.push_back(internal::KeyTailTime(View(it->key())));
  }
  HW_RETURN_IF_ERROR(FromRocksDb(it->status(), "queue", "read exposure"));
  return times;
}

void ReviewQueue::Impl::PutItem(const StoredItem& s, Txn& txn) const {
  txn.batch.Put(cf(internal::kItemsCf), internal::U64Key(s.item.id),
                internal::EncodeItem(s));
  txn.items_written.push_back(s.item.id);
}

void ReviewQueue::Impl::PutIndexes(const StoredItem& s, Txn& txn) const {
  const ReviewItem& it = s.item;
  const int lane = lane_index_.at(it.lane);
  const std::string value = internal::EncodeExclusions(s.exclusions);
  std::string ready = internal::ReadyKey(it.lane, s.virtual_enqueue, it.id);
  std::string due =
      internal::DueKey(it.lane, it.priority_class, it.sla_deadline, it.id);
  txn.batch.Put(cf(internal::kReadyCf), ready, value);
  txn.batch.Put(cf(internal::kDueCf), due, value);
  txn.ready_writes.push_back({lane, std::move(ready), value, true});
  txn.due_inserted.emplace_back(lane, static_cast<int>(it.priority_class),
                                std::move(due));
  txn.counter_deltas[internal::WaitingCounter(it.lane, it.priority_class)] += 1;
}

void ReviewQueue::Impl::DeleteIndexes(const StoredItem& s, Txn& txn) const {
  const ReviewItem& it = s.item;
  std::string ready = internal::ReadyKey(it.lane, s.virtual_enqueue, it.id);
  txn.batch.Delete(cf(internal::kReadyCf), ready);
  txn.ready_writes.push_back(
      {lane_index_.at(it.lane), std::move(ready), "", false});
  txn.batch.Delete(
      cf(internal::kDueCf),
      internal::DueKey(it.lane, it.priority_class, it.sla_deadline, it.id));
  txn.counter_deltas[internal::WaitingCounter(it.lane, it.priority_class)] -= 1;
}

void ReviewQueue::Impl::ReturnToLane(StoredItem& s, Txn& txn) const {
  txn.batch.Delete(cf(internal::kLeasesCf),
                   internal::LeaseKey(s.item.lease_expires, s.item.id));
  txn.counter_deltas[internal::kLeasedCounter] -= 1;
  s.item.state = WaitingStateFor(s.item.lane);
  s.item.lease_holder.clear();
  s.item.lease_expires = absl::InfinitePast();
  PutIndexes(s, txn);
}

void ReviewQueue::Impl::AddAudit(Txn& txn, absl::Time now,
                                 absl::string_view actor, AuditEvent event,
                                 uint64_t item_id, std::string details) const {
  AuditEntry e;
  e.time = now;
  e.actor = std::string(actor);
  e.event = event;
  e.item_id = item_id;
  e.details = std::move(details);
  txn.audit.push_back(std::move(e));
}

absl::StatusOr<uint64_t> ReviewQueue::Impl::Commit(Txn& txn) {
  // state_ advances in place, and is put back if the write fails.
  internal::QueueState& next = state_;
  const uint64_t old_entries = next.audit_entries;
  const std::string old_hash = next.audit_hash;
  const uint64_t old_item_id = next.next_item_id;
  const uint64_t old_lease_id = next.next_lease_id;
  for (AuditEntry& e : txn.audit) {
    e.index = next.audit_entries;
    e.prev_hash = next.audit_hash;
    const std::string value = internal::EncodeAuditEntry(e);
    txn.batch.Put(cf(internal::kAuditCf), internal::U64Key(e.index), value);
    next.audit_hash = internal::Sha256(value);
    ++next.audit_entries;
  }
  for (const auto& [name, delta] : txn.counter_deltas) {
    if (delta != 0) next.counters[name] += delta;
  }
  if (txn.next_item_id != 0) next.next_item_id = txn.next_item_id;
  if (txn.next_lease_id != 0) next.next_lease_id = txn.next_lease_id;
  txn.batch.Put(cf(internal::kMetaCf), Sl(internal::kStateKey),
                internal::EncodeQueueState(next));
  rocksdb::WriteOptions wo;
  // No WAL syscall here: with manual_wal_flush the record goes to RocksDB's
  // WAL buffer in commit order; gate_ writes and syncs it (sync_gate.h).
  wo.sync = false;
  const absl::Status written =
      FromRocksDb(db_->Write(wo, &txn.batch), "queue", "write");
  if (!written.ok()) {
    next.audit_entries = old_entries;
    next.audit_hash = old_hash;
    next.next_item_id = old_item_id;
    next.next_lease_id = old_lease_id;
    for (const auto& [name, delta] : txn.counter_deltas) {
      if (delta != 0) next.counters[name] -= delta;
    }
    for (internal::LaneHead& head : heads_) head.Invalidate();
    return written;
  }
  for (uint64_t id : txn.items_written) {
    leased_.erase(id);
    if (reserved_.contains(id)) rewritten_.insert(id);
  }
  for (auto& w : txn.ready_writes) {
    if (!w.put) {
      heads_[w.lane].Delete(w.key);
      continue;
    }
    heads_[w.lane].Put(w.key, w.value);
    if (w.key < ready_hint_[w.lane]) ready_hint_[w.lane] = std::move(w.key);
  }
  for (auto& [lane, c, key] : txn.due_inserted) {
    if (key < due_hint_[lane][c]) due_hint_[lane][c] = std::move(key);
  }
  for (std::string& key : txn.leases_inserted) {
    if (key < lease_hint_) lease_hint_ = std::move(key);
  }
  return gate_->Written();
}

absl::Status ReviewQueue::Impl::CheckLiveLease(const ReviewItem& item,
                                               absl::string_view moderator,
                                               const LeaseRef& lease,
                                               absl::Time now) const {
  if (item.state == ItemState::kDecided) {
    return absl::FailedPreconditionError(absl::StrCat(
        "queue: item ", item.id, " is already decided (",
        item.decision ? DecisionKindName(item.decision->kind) : "", " by ",
        item.decision ? item.decision->moderator : "", ")"));
  }
  if (item.state != ItemState::kLeased || item.lease_id != lease.lease_id) {
    return absl::FailedPreconditionError(absl::StrCat(
        "queue: lease ", lease.lease_id, " on item ", item.id,
        " is not live (the item is ", ItemStateName(item.state),
        item.state == ItemState::kLeased ? " under another lease" : "", ")"));
  }
  if (item.lease_holder != moderator) {
    return absl::FailedPreconditionError(
        absl::StrCat("queue: lease ", lease.lease_id, " on item ", item.id,
                     " is held by another moderator"));
  }
  if (now >= item.lease_expires) {
    return absl::FailedPreconditionError(
        absl::StrCat("queue: lease ", lease.lease_id, " on item ", item.id,
                     " expired at ", TimeText(item.lease_expires)));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Enqueue.

absl::StatusOr<std::vector<EnqueueResult>> ReviewQueue::Impl::EnqueueBatch(
    absl::Span<const EnqueueRequest> requests) {
  if (requests.empty())
    return absl::InvalidArgumentError("queue: empty enqueue batch");
  if (requests.size() > static_cast<size_t>(options_.max_enqueue_batch)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "queue: enqueue batch of ", requests.size(),
        " items exceeds max_enqueue_batch ", options_.max_enqueue_batch));
  }
  for (size_t i = 0; i < requests.size(); ++i) {
    const EnqueueRequest& r = requests[i];
    const std::string where = requests.size() > 1
                                  ? absl::StrCat(" (request ", i, ")")
                                  : std::string();
    if (r.content_id.empty() || r.content_id.size() > kMaxIdBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "queue: content_id must be 1..", kMaxIdBytes, " bytes", where));
    }
    if (!lane_index_.contains(r.lane)) {
      return absl::InvalidArgumentError(
          absl::StrCat("queue: unknown lane '", r.lane, "'", where));
    }
    if (static_cast<int>(r.kind) < 0 || static_cast<int>(r.kind) > 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("queue: bad item kind", where));
    }
    if (!std::isfinite(r.priority_boost) ||
        !std::isfinite(r.context.classifier_score) ||
        r.context.classifier_score > 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "queue: priority_boost must be finite and classifier_score at most 1",
          where));
    }
    for (const matcher::MatchEvidence& m : r.matches) {
      if (m.distance < 0 || m.auto_report_distance < 0 ||
          m.review_distance < 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "queue: negative match distance for bank '", m.bank, "'", where));
      }
    }
    if (r.category.size() > kMaxTextBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("queue: category too long", where));
    }
    if (r.summary.size() > kMaxTextBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "queue: summary longer than ", kMaxTextBytes, " bytes", where));
    }
    if (r.preview.size() > options_.max_preview_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("queue: preview of ", r.preview.size(),
                       " bytes exceeds max_preview_bytes ",
                       options_.max_preview_bytes, where));
    }
  }

  std::vector<EnqueueResult> results(requests.size());
  uint64_t ticket = 0;
  HW_RETURN_IF_ERROR(Serialized([&]() -> absl::Status {
    const absl::Time now = clock_->Now();
    Txn txn;
    uint64_t next_id = state_.next_item_id;
    absl::flat_hash_map<absl::string_view, uint64_t> in_batch;
    for (size_t i = 0; i < requests.size(); ++i) {
      const EnqueueRequest& r = requests[i];
      if (auto it = in_batch.find(r.content_id); it != in_batch.end()) {
        results[i] = {it->second, false};
        continue;
      }
      HW_ASSIGN_OR_RETURN(auto existing,
                          Get(internal::kContentCf, r.content_id));
      if (existing) {
        if (existing->size() != 8)
          return absl::DataLossError("queue: malformed content index");
        results[i] = {internal::ParseU64Key(*existing), false};
        in_batch[r.content_id] = results[i].item_id;
        continue;
      }
      const uint64_t id = next_id++;
      results[i] = {id, true};
      in_batch[r.content_id] = id;

      StoredItem s;
      ReviewItem& it = s.item;
      it.id = id;
      it.content_id = r.content_id;
      it.lane = r.lane;
      it.kind = r.kind;
      it.hashes = r.hashes;
      it.matches = r.matches;
      it.context = r.context;
      it.category = r.category;
      it.priority_boost = r.priority_boost;
      it.has_preview = !r.preview.empty();
      it.summary = r.summary;
      it.enqueue_time = now;
      it.lane_time = now;
      std::vector<PriorityMatch> matches;
      for (const matcher::MatchEvidence& m : r.matches) {
        matches.push_back(
            {m.distance, m.auto_report_distance, m.review_distance});
      }
      const PriorityScore score = ScorePriority(
          options_.priority,
          PriorityInput{.category = r.category,
                        .novel = r.kind == ItemKind::kNovel,
                        .matches = matches,
                        .signals = r.context.signals,
                        .classifier_score = r.context.classifier_score,
                        .priority_boost = r.priority_boost});
      it.base_priority = score.base;
      it.priority_class = score.priority_class;
      it.sla_deadline = now + options_.lanes[lane_index_.at(r.lane)]
                                  .sla[static_cast<int>(score.priority_class)];
      it.state = WaitingStateFor(r.lane);
      s.virtual_enqueue =
          VirtualEnqueueTime(options_.priority, score.base, now);
      const std::string details = absl::StrCat(
          "content=", r.content_id, " lane=", r.lane,
          " kind=", ItemKindName(r.kind), " base=", absl::SixDigits(score.base),
          " class=", PriorityClassName(score.priority_class));
      it.history.push_back(
          {now, std::string(kSystemActor), "enqueue", 0, details});

      PutItem(s, txn);
      txn.batch.Put(cf(internal::kContentCf), Sl(r.content_id),
                    internal::U64Key(id));
      if (it.has_preview) {
        txn.batch.Put(cf(internal::kPreviewsCf), internal::U64Key(id),
                      r.preview);
      }
      PutIndexes(s, txn);
      txn.counter_deltas[internal::kItemsCounter] += 1;
      AddAudit(txn, now, kSystemActor, AuditEvent::kEnqueue, id, details);
    }
    if (next_id == state_.next_item_id) {
      // All existed: nothing to write, but the writes that created them
      // may not be durable yet.
      ticket = gate_->Latest();
      return absl::OkStatus();
    }
    txn.next_item_id = next_id;
    HW_ASSIGN_OR_RETURN(ticket, Commit(txn));
    return absl::OkStatus();
  }));
  HW_RETURN_IF_ERROR(Durable(ticket));
  return results;
}

// ---------------------------------------------------------------------------
// Leasing.

int64_t ReviewQueue::Impl::WaitingInLane(int lane) const {
  int64_t n = 0;
  for (int c = 0; c < kPriorityClassCount; ++c) {
    n += Counter(internal::WaitingCounter(options_.lanes[lane].name,
                                          static_cast<PriorityClass>(c)));
  }
  return n;
}

absl::StatusOr<std::optional<Candidate>> ReviewQueue::Impl::FindEligible(
    int lane, absl::string_view moderator, absl::Time now,
    const absl::flat_hash_set<uint64_t>& chosen) {
  if (WaitingInLane(lane) == 0) return std::nullopt;
  const std::string& name = options_.lanes[lane].name;

  // Overdue first: the earliest deadline at or before now, over the classes.
  std::optional<Candidate> best;
  absl::Time best_deadline = absl::InfiniteFuture();
  for (int c = 0; c < kPriorityClassCount; ++c) {
    const auto pc = static_cast<PriorityClass>(c);
    if (Counter(internal::WaitingCounter(name, pc)) == 0) continue;
    // The hint is at or below the class's first key, so a hint deadline
    // after `now` means nothing in the class is overdue: no seek needed.
    const std::string& hint = due_hint_[lane][c];
    if (hint.size() == name.size() + 2 + 16 &&
        internal::KeyTailTime(hint) > now)
      continue;
    const std::string end = internal::PrefixEnd(internal::DuePrefix(name, pc));
    rocksdb::Slice upper(end);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(ro, cf(internal::kDueCf)));
    bool first = true;
    for (it->Seek(due_hint_[lane][c]); it->Valid(); it->Next()) {
      const absl::string_view key = View(it->key());
      if (first) {
        due_hint_[lane][c] = std::string(key);
        first = false;
      }
      const absl::Time deadline = internal::KeyTailTime(key);
      if (deadline > now || deadline >= best_deadline) break;
      const uint64_t id = internal::KeyTailItem(key);
      if (Taken(id, chosen) ||
          internal::Excludes(View(it->value()), moderator, now)) {
        continue;
      }
      best = Candidate{id, true};
      best_deadline = deadline;
      break;
    }
    HW_RETURN_IF_ERROR(FromRocksDb(it->status(), "queue", "read due index"));
  }
  if (best) return best;

  // Then by effective priority: ascending virtual enqueue time, from the
  // lane's head in memory.
  internal::LaneHead& head = heads_[lane];
  if (head.NeedsFill()) HW_RETURN_IF_ERROR(FillHead(lane));
  for (const internal::LaneHead::Entry& e : head.entries()) {
    const uint64_t id = internal::KeyTailItem(e.key);
    if (Taken(id, chosen) || internal::Excludes(e.value, moderator, now))
      continue;
    return std::optional<Candidate>(Candidate{id, false});
  }
  if (head.complete()) return std::nullopt;

  // Every item of the head is excluded for this moderator: read on past it.
  const std::string last = head.entries().back().key;
  const std::string end = internal::PrefixEnd(internal::LanePrefix(name));
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(ro, cf(internal::kReadyCf)));
  for (it->Seek(last); it->Valid(); it->Next()) {
    const absl::string_view key = View(it->key());
    if (key == last) continue;
    const uint64_t id = internal::KeyTailItem(key);
    if (Taken(id, chosen) ||
        internal::Excludes(View(it->value()), moderator, now)) {
      continue;
    }
    return std::optional<Candidate>(Candidate{id, false});
  }
  HW_RETURN_IF_ERROR(FromRocksDb(it->status(), "queue", "read ready index"));
  return std::nullopt;
}

absl::Status ReviewQueue::Impl::FillHead(int lane) {
  const std::string end =
      internal::PrefixEnd(internal::LanePrefix(options_.lanes[lane].name));
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(ro, cf(internal::kReadyCf)));
  std::vector<internal::LaneHead::Entry> entries;
  const size_t capacity = heads_[lane].capacity();
  for (it->Seek(ready_hint_[lane]); it->Valid() && entries.size() < capacity;
       it->Next()) {
    entries.push_back(
        {std::string(View(it->key())), std::string(View(it->value()))});
  }
  HW_RETURN_IF_ERROR(FromRocksDb(it->status(), "queue", "read ready index"));
  const bool complete = !it->Valid();
  if (!entries.empty()) ready_hint_[lane] = entries.front().key;
  heads_[lane].Fill(std::move(entries), complete);
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> ReviewQueue::Impl::ReclaimExpired(absl::Time now,
                                                           int limit,
                                                           int* reclaimed) {
  *reclaimed = 0;
  if (Counter(internal::kLeasedCounter) == 0) return 0;
  // The hint is at or below the first live lease key, so a hint expiring
  // after `now` means no lease has expired: no seek needed.
  if (lease_hint_.size() == 16 && internal::KeyTailTime(lease_hint_) > now)
    return 0;
  // Keys below LeaseKey(now + 1us, 0) have expires <= now. The seek has no
  // upper bound, so that the first live key after them becomes the hint.
  const std::string end = internal::LeaseKey(now + absl::Microseconds(1), 0);
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), cf(internal::kLeasesCf)));
  Txn txn;
  bool first = true;
  bool exhausted = true;  // no expired key left after this call
  for (it->Seek(lease_hint_); it->Valid(); it->Next()) {
    const absl::string_view key = View(it->key());
    if (first) {
      lease_hint_ = std::string(key);
      first = false;
    }
    if (key >= absl::string_view(end)) break;
    if (*reclaimed == limit) {
      exhausted = false;
      break;
    }
    const uint64_t id = internal::KeyTailItem(key);
    HW_ASSIGN_OR_RETURN(StoredItem s, LoadLeasedItem(id));
    if (s.item.state != ItemState::kLeased ||
        s.item.lease_expires != internal::KeyTailTime(key)) {
      return absl::InternalError(absl::StrCat("queue: lease index names item ",
                                              id, " which is ",
                                              ItemStateName(s.item.state)));
    }
    const std::string holder = s.item.lease_holder;
    const std::string details =
        absl::StrCat("lease=", s.item.lease_id, " holder=", holder,
                     " expired=", TimeText(s.item.lease_expires));
    ReturnToLane(s, txn);
    s.item.history.push_back(
        {now, std::string(kSystemActor), "expiry", s.item.lease_id, details});
    PutItem(s, txn);
    AddAudit(txn, now, kSystemActor, AuditEvent::kExpiry, id, details);
    ++*reclaimed;
  }
  HW_RETURN_IF_ERROR(FromRocksDb(it->status(), "queue", "read lease index"));
  // Once this batch lands, every key below `end` is dead or deleted, and the
  // first key at or after it (if any) is the first live one; without this,
  // leases decided in time would leave tombstones the next seek from an old
  // hint must step over.
  std::string next_hint = lease_hint_;
  if (exhausted) next_hint = it->Valid() ? std::string(View(it->key())) : end;
  if (*reclaimed == 0) {
    lease_hint_ = std::move(next_hint);
    return 0;
  }
  HW_ASSIGN_OR_RETURN(uint64_t ticket, Commit(txn));
  lease_hint_ = std::move(next_hint);
  return ticket;
}

absl::StatusOr<int> ReviewQueue::Impl::ExpireLeases() {
  int total = 0;
  uint64_t ticket = 0;
  while (true) {
    int n = 0;
    HW_RETURN_IF_ERROR(Serialized([&]() -> absl::Status {
      HW_ASSIGN_OR_RETURN(
          uint64_t t,
          ReclaimExpired(clock_->Now(), options_.max_expiries_per_call, &n));
      if (t != 0) ticket = t;
      return absl::OkStatus();
    }));
    total += n;
    if (n < options_.max_expiries_per_call) break;
  }
  HW_RETURN_IF_ERROR(Durable(ticket));
  return total;
}

absl::StatusOr<std::vector<LeasedItem>> ReviewQueue::Impl::Lease(
    absl::string_view moderator, int max_items,
    absl::Span<const std::string> lanes) {
  HW_RETURN_IF_ERROR(ValidateModerator(moderator));
  if (max_items < 1 || max_items > options_.max_lease_items) {
    return absl::InvalidArgumentError(absl::StrCat("queue: max_items is ",
                                                   max_items, ", want 1..",
                                                   options_.max_lease_items));
  }
  std::vector<bool> allowed(options_.lanes.size(), lanes.empty());
  for (const std::string& lane : lanes) {
    auto it = lane_index_.find(lane);
    if (it == lane_index_.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("queue: unknown lane '", lane, "'"));
    }
    allowed[it->second] = true;
  }

  // A lease is made in three steps, so that reading the chosen items (a
  // random read at depth, the costliest part) happens outside the mutex:
  // 1. under mu_, return expired leases, check the moderator's welfare
  //    limits and choose the items; the chosen items are reserved, so no
  //    other Lease chooses them, and the moderator is marked as leasing, so
  //    a second Lease of theirs waits and the limits count each item once;
  // 2. without mu_, read the chosen items;
  // 3. under mu_, write the leases (re-reading any item written meanwhile,
  //    which only a reveal can do to a waiting item).
  LeasePlan plan;
  do {
    if (plan.busy) {
      // This moderator's previous Lease is still under way.
      absl::MutexLock lock(&mu_);
      struct Args {
        const Impl* self;
        absl::string_view moderator;
      } args{this, moderator};
      mu_.Await(absl::Condition(
          +[](Args* a) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            return !a->self->leasing_.contains(a->moderator);
          },
          &args));
    }
    plan = LeasePlan();
    HW_RETURN_IF_ERROR(Serialized(
        [&] { return PlanLease(moderator, max_items, allowed, &plan); }));
  } while (plan.busy);
  if (!plan.refusal.ok() || plan.picks.empty()) {
    HW_RETURN_IF_ERROR(Durable(plan.reclaim_ticket));
    if (!plan.refusal.ok()) return plan.refusal;
    return std::vector<LeasedItem>();
  }

  std::vector<absl::StatusOr<StoredItem>> loaded;
  loaded.reserve(plan.picks.size());
  for (const auto& [c, lane] : plan.picks)
    loaded.push_back(LoadItem(c.item_id));

  std::vector<LeasedItem> out;
  uint64_t ticket = 0;
  HW_RETURN_IF_ERROR(Serialized([&]() -> absl::Status {
    HW_ASSIGN_OR_RETURN(ticket, WriteLeases(moderator, plan, loaded, &out));
    return absl::OkStatus();
  }));
  HW_RETURN_IF_ERROR(Durable(std::max(plan.reclaim_ticket, ticket)));
  return out;
}

absl::Status ReviewQueue::Impl::PlanLease(absl::string_view moderator,
                                          int max_items,
                                          const std::vector<bool>& allowed,
                                          LeasePlan* plan) {
  if (leasing_.contains(moderator)) {
    plan->busy = true;
    return absl::OkStatus();
  }
  const absl::Time now = clock_->Now();
  int reclaimed = 0;
  HW_ASSIGN_OR_RETURN(
      plan->reclaim_ticket,
      ReclaimExpired(now, options_.max_expiries_per_call, &reclaimed));
  HW_ASSIGN_OR_RETURN(internal::ModeratorState state,
                      CachedModeratorState(moderator));
  HW_ASSIGN_OR_RETURN(std::vector<absl::Time> exposures,
                      LoadExposures(moderator, now));
  plan->verdict =
      internal::EvaluateWelfare(options_.welfare, now, state, exposures);
  if (plan->verdict.allowed == 0) {
    plan->refusal = absl::ResourceExhaustedError(absl::StrCat(
        "queue: moderator '", moderator, "' reached an exposure limit (",
        plan->verdict.reason, "); take a break until ",
        TimeText(plan->verdict.break_until)));
  } else {
    const int want = std::min(max_items, plan->verdict.allowed);
    absl::flat_hash_set<uint64_t> chosen;
    std::vector<std::optional<std::optional<Candidate>>> cache(
        options_.lanes.size());
    absl::Status find_status;
    while (static_cast<int>(plan->picks.size()) < want) {
      const int lane = scheduler_.Pick([&](int i) {
        if (!allowed[i] || !find_status.ok()) return false;
        if (!cache[i]) {
          auto found = FindEligible(i, moderator, now, chosen);
          if (!found.ok()) {
            find_status = found.status();
            return false;
          }
          cache[i] = *found;
        }
        return cache[i]->has_value();
      });
      HW_RETURN_IF_ERROR(find_status);
      if (lane < 0) break;
      const Candidate c = **cache[lane];
      cache[lane].reset();
      chosen.insert(c.item_id);
      plan->picks.emplace_back(c, lane);
    }
    if (!plan->picks.empty()) {
      for (const auto& [c, lane] : plan->picks) reserved_.insert(c.item_id);
      leasing_.insert(std::string(moderator));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> ReviewQueue::Impl::WriteLeases(
    absl::string_view moderator, const LeasePlan& plan,
    std::vector<absl::StatusOr<StoredItem>>& loaded,
    std::vector<LeasedItem>* out) {
  absl::Cleanup unreserve = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    for (const auto& [c, lane] : plan.picks) {
      reserved_.erase(c.item_id);
      rewritten_.erase(c.item_id);
    }
    leasing_.erase(moderator);
  };
  const absl::Time now = clock_->Now();
  HW_ASSIGN_OR_RETURN(internal::ModeratorState state,
                      CachedModeratorState(moderator));
  Txn txn;
  std::vector<StoredItem> stored;  // as written, for leased_
  uint64_t lease_id = state_.next_lease_id;
  const absl::Time expires = now + options_.lease_duration;
  const bool track_exposure = options_.welfare.max_items_per_hour > 0 ||
                              options_.welfare.max_items_per_shift > 0;
  for (size_t i = 0; i < plan.picks.size(); ++i) {
    const auto& [c, lane] = plan.picks[i];
    if (rewritten_.contains(c.item_id) || !loaded[i].ok())
      loaded[i] = LoadItem(c.item_id);
    HW_ASSIGN_OR_RETURN(StoredItem s, std::move(loaded[i]));
    if (!IsWaiting(s.item.state) || s.item.lane != options_.lanes[lane].name) {
      return absl::InternalError(
          absl::StrCat("queue: index names item ", c.item_id, " which is ",
                       ItemStateName(s.item.state), " in lane ", s.item.lane));
    }
    DeleteIndexes(s, txn);
    std::erase_if(s.exclusions,
                  [&](const internal::Exclusion& x) { return x.until <= now; });
    ReviewItem& it = s.item;
    it.state = ItemState::kLeased;
    it.lease_holder = std::string(moderator);
    it.lease_id = lease_id++;
    it.lease_expires = expires;
    const std::string details = absl::StrCat(
        "lease=", it.lease_id, " lane=", it.lane,
        " expires=", TimeText(expires), c.overdue ? " overdue=1" : "");
    it.history.push_back(
        {now, std::string(moderator), "lease", it.lease_id, details});
    PutItem(s, txn);
    std::string lease_key = internal::LeaseKey(expires, it.id);
    txn.batch.Put(cf(internal::kLeasesCf), lease_key,
                  internal::U64Key(it.lease_id));
    txn.leases_inserted.push_back(std::move(lease_key));
    txn.counter_deltas[internal::kLeasedCounter] += 1;
    if (track_exposure) {
      txn.batch.Put(cf(internal::kExposureCf),
                    internal::ModeratorEventKey(moderator, now, it.id), "");
    }
    AddAudit(txn, now, moderator, AuditEvent::kLease, it.id, details);
    LeasedItem leased;
    leased.lease = {it.id, it.lease_id};
    leased.expires = expires;
    leased.effective_priority = EffectivePriority(
        options_.priority, it.base_priority, now - it.lane_time);
    leased.overdue = c.overdue;
    stored.push_back(s);
    leased.item = std::move(s.item);
    out->push_back(std::move(leased));
  }
  txn.next_lease_id = lease_id;
  state.consecutive =
      plan.verdict.consecutive + static_cast<int64_t>(plan.picks.size());
  state.last_activity = now;
  if (now - state.last_prune >= absl::Hours(1)) {
    // Exposure and decision keys older than any window: drop them.
    const std::string prefix = internal::ModeratorPrefix(moderator);
    txn.batch.DeleteRange(
        cf(internal::kExposureCf), prefix,
        internal::ModeratorEventKey(
            moderator, now - internal::WelfareWindow(options_.welfare), 0));
    txn.batch.DeleteRange(
        cf(internal::kDecisionsCf), prefix,
        internal::ModeratorEventKey(moderator, now - absl::Hours(1), 0));
    state.last_prune = now;
  }
  txn.batch.Put(cf(internal::kModeratorsCf), Sl(moderator),
                internal::EncodeModeratorState(state));
  HW_ASSIGN_OR_RETURN(const uint64_t ticket, Commit(txn));
  RememberModerator(moderator, state);
  for (StoredItem& s : stored) {
    if (leased_.size() >= kLeasedCacheSize) leased_.clear();
    const uint64_t id = s.item.id;
    leased_.emplace(id, std::move(s));
  }
  return ticket;
}

// ---------------------------------------------------------------------------
// Decisions and other lease operations.

absl::StatusOr<absl::Time> ReviewQueue::Impl::ExtendLease(
    absl::string_view moderator, const LeaseRef& lease) {
  HW_RETURN_IF_ERROR(ValidateModerator(moderator));
  uint64_t ticket = 0;
  absl::Time expires;
  HW_RETURN_IF_ERROR(Serialized([&]() -> absl::Status {
    const absl::Time now = clock_->Now();
    HW_ASSIGN_OR_RETURN(StoredItem s, LoadLeasedItem(lease.item_id));
    HW_RETURN_IF_ERROR(CheckLiveLease(s.item, moderator, lease, now));
    Txn txn;
    txn.batch.Delete(cf(internal::kLeasesCf),
                     internal::LeaseKey(s.item.lease_expires, s.item.id));
    expires = now + options_.lease_duration;
    s.item.lease_expires = expires;
    std::string key = internal::LeaseKey(expires, s.item.id);
    txn.batch.Put(cf(internal::kLeasesCf), key,
                  internal::U64Key(lease.lease_id));
    txn.leases_inserted.push_back(std::move(key));
    const std::string details =
        absl::StrCat("lease=", lease.lease_id, " expires=", TimeText(expires));
    s.item.history.push_back(
        {now, std::string(moderator), "extend", lease.lease_id, details});
    PutItem(s, txn);
    AddAudit(txn, now, moderator, AuditEvent::kExtend, s.item.id, details);
    HW_ASSIGN_OR_RETURN(ticket, Commit(txn));
    return absl::OkStatus();
  }));
  HW_RETURN_IF_ERROR(Durable(ticket));
  return expires;
}

absl::Status ReviewQueue::Impl::Release(absl::string_view moderator,
                                        const LeaseRef& lease) {
  HW_RETURN_IF_ERROR(ValidateModerator(moderator));
  uint64_t ticket = 0;
  HW_RETURN_IF_ERROR(Serialized([&]() -> absl::Status {
    const absl::Time now = clock_->Now();
    HW_ASSIGN_OR_RETURN(StoredItem s, LoadLeasedItem(lease.item_id));
    HW_RETURN_IF_ERROR(CheckLiveLease(s.item, moderator, lease, now));
    Txn txn;
    ReturnToLane(s, txn);
    const std::string details = absl::StrCat("lease=", lease.lease_id);
    s.item.history.push_back(
        {now, std::string(moderator), "release", lease.lease_id, details});
    PutItem(s, txn);
    AddAudit(txn, now, moderator, AuditEvent::kRelease, s.item.id, details);
    HW_ASSIGN_OR_RETURN(ticket, Commit(txn));
    return absl::OkStatus();
  }));
  return Durable(ticket);
}

absl::StatusOr<Decision> ReviewQueue::Impl::Decide(
    absl::string_view moderator, const LeaseRef& lease,
    const DecisionRequest& request) {
  HW_RETURN_IF_ERROR(ValidateModerator(moderator));
  const int kind = static_cast<int>(request.kind);
  if (kind < 0 || kind > 3)
    return absl::InvalidArgumentError("queue: bad decision kind");
  if (request.kind == DecisionKind::kConfirm && request.category.empty()) {
    return absl::InvalidArgumentError("queue: confirm needs a category");
  }
  if (request.category.size() > kMaxTextBytes ||
      request.note.size() > kMaxTextBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "queue: category and note are limited to ", kMaxTextBytes, " bytes"));
  }
  uint64_t ticket = 0;
  Decision decision;
  HW_RETURN_IF_ERROR(Serialized([&]() -> absl::Status {
    const absl::Time now = clock_->Now();
    HW_ASSIGN_OR_RETURN(StoredItem s, LoadLeasedItem(lease.item_id));
    HW_RETURN_IF_ERROR(CheckLiveLease(s.item, moderator, lease, now));
    if (request.kind == DecisionKind::kEscalate &&
        s.item.lane == options_.escalation_lane) {
      return absl::FailedPreconditionError(absl::StrCat(
          "queue: item ", s.item.id, " is already in the escalation lane"));
    }
    HW_ASSIGN_OR_RETURN(internal::ModeratorState state,
                        CachedModeratorState(moderator));

    decision.item_id = s.item.id;
    decision.lease_id = lease.lease_id;
    decision.moderator = std::string(moderator);
    decision.kind = request.kind;
    decision.category = request.category;
    decision.add_to_allow_list =
        request.kind == DecisionKind::kReject && request.add_to_allow_list;
    decision.note = request.note;
    decision.time = now;

    Txn txn;
    std::string details = absl::StrCat(
        "lease=", lease.lease_id, " kind=", DecisionKindName(request.kind));
    if (!decision.category.empty())
      absl::StrAppend(&details, " category=", decision.category);
    if (decision.add_to_allow_list) absl::StrAppend(&details, " allow_list=1");
    ReviewItem& it = s.item;
    it.history.push_back(
        {now, std::string(moderator), "decision", lease.lease_id, details});
    AddAudit(txn, now, moderator, AuditEvent::kDecision, it.id, details);
    switch (request.kind) {
      case DecisionKind::kConfirm:
      case DecisionKind::kReject:
        txn.batch.Delete(cf(internal::kLeasesCf),
                         internal::LeaseKey(it.lease_expires, it.id));
        txn.counter_deltas[internal::kLeasedCounter] -= 1;
        txn.counter_deltas[internal::kDecidedCounter] += 1;
        it.state = ItemState::kDecided;
        it.lease_holder.clear();
        it.lease_expires = absl::InfinitePast();
        it.decision = decision;
        s.exclusions.clear();
        break;
      case DecisionKind::kEscalate: {
        txn.batch.Delete(cf(internal::kLeasesCf),
                         internal::LeaseKey(it.lease_expires, it.id));
        txn.counter_deltas[internal::kLeasedCounter] -= 1;
        const std::string from = it.lane;
        it.lane = options_.escalation_lane;
        it.lane_time = now;
        it.sla_deadline = now + options_.lanes[escalation_index_]
                                    .sla[static_cast<int>(it.priority_class)];
        s.virtual_enqueue =
            VirtualEnqueueTime(options_.priority, it.base_priority, now);
        it.state = ItemState::kEscalated;
        it.lease_holder.clear();
        it.lease_expires = absl::InfinitePast();
        s.exclusions.clear();
        PutIndexes(s, txn);
        const std::string esc = absl::StrCat("from=", from, " to=", it.lane);
        it.history.push_back(
            {now, std::string(moderator), "escalation", lease.lease_id, esc});
        AddAudit(txn, now, moderator, AuditEvent::kEscalation, it.id, esc);
        break;
      }
      case DecisionKind::kSkip:
        std::erase_if(s.exclusions, [&](const internal::Exclusion& x) {
          return x.until <= now || x.moderator == moderator;
        });
        if (options_.skip_exclusion > absl::ZeroDuration()) {
          s.exclusions.push_back(
              {std::string(moderator), now + options_.skip_exclusion});
        }
        ReturnToLane(s, txn);
        break;
    }
    PutItem(s, txn);
    txn.batch.Put(cf(internal::kDecisionsCf),
                  internal::ModeratorEventKey(moderator, now, it.id),
                  std::string(1, static_cast<char>(request.kind)));
    state.last_activity = now;
    txn.batch.Put(cf(internal::kModeratorsCf), Sl(moderator),
                  internal::EncodeModeratorState(state));
    HW_ASSIGN_OR_RETURN(ticket, Commit(txn));
    RememberModerator(moderator, state);
    return absl::OkStatus();
  }));
  HW_RETURN_IF_ERROR(Durable(ticket));
  return decision;
}

absl::Status ReviewQueue::Impl::RecordReveal(absl::string_view moderator,
                                             uint64_t item_id,
                                             absl::string_view reason) {
  HW_RETURN_IF_ERROR(ValidateModerator(moderator));
  if (reason.size() > kMaxTextBytes) {
    return absl::InvalidArgumentError("queue: reveal reason too long");
  }
  uint64_t ticket = 0;
  HW_RETURN_IF_ERROR(Serialized([&]() -> absl::Status {
    const absl::Time now = clock_->Now();
    HW_ASSIGN_OR_RETURN(StoredItem s, LoadItem(item_id));
    Txn txn;
    const std::string details = absl::StrCat("reason=", absl::CEscape(reason));
    s.item.history.push_back(
        {now, std::string(moderator), "reveal", 0, details});
    PutItem(s, txn);
    AddAudit(txn, now, moderator, AuditEvent::kReveal, item_id, details);
    HW_ASSIGN_OR_RETURN(ticket, Commit(txn));
    return absl::OkStatus();
  }));
  return Durable(ticket);
}

// ---------------------------------------------------------------------------
// Reads.

absl::StatusOr<ReviewItem> ReviewQueue::Impl::GetItem(uint64_t item_id) const {
  HW_ASSIGN_OR_RETURN(StoredItem s, LoadItem(item_id));
  return std::move(s.item);
}

absl::StatusOr<ReviewItem> ReviewQueue::Impl::FindItem(
    absl::string_view content_id) const {
  HW_ASSIGN_OR_RETURN(auto id, Get(internal::kContentCf, content_id));
  if (!id)
    return absl::NotFoundError(
        absl::StrCat("queue: no item for content '", content_id, "'"));
  if (id->size() != 8)
    return absl::DataLossError("queue: malformed content index");
  return GetItem(internal::ParseU64Key(*id));
}

absl::StatusOr<std::string> ReviewQueue::Impl::GetPreview(
    uint64_t item_id) const {
  HW_ASSIGN_OR_RETURN(StoredItem s, LoadItem(item_id));
  if (!s.item.has_preview) return std::string();
  HW_ASSIGN_OR_RETURN(auto bytes,
                      Get(internal::kPreviewsCf, internal::U64Key(item_id)));
  if (!bytes)
    return absl::DataLossError(
        absl::StrCat("queue: preview of item ", item_id, " is missing"));
  return std::move(*bytes);
}

absl::StatusOr<QueueStats> ReviewQueue::Impl::Stats() const {
  QueueStats stats;
  std::map<std::string, int64_t, std::less<>> counters;
  std::vector<std::array<std::string, kPriorityClassCount>> due_hint;
  const rocksdb::Snapshot* snapshot = nullptr;
  {
    absl::MutexLock lock(&mu_);
    counters = state_.counters;
    due_hint = due_hint_;
    snapshot = db_->GetSnapshot();
    stats.at = clock_->Now();
  }
  auto release = [&] { db_->ReleaseSnapshot(snapshot); };
  const absl::Time now = stats.at;
  auto counter = [&](absl::string_view name) -> int64_t {
    auto it = counters.find(name);
    return it == counters.end() ? 0 : it->second;
  };
  stats.leases_outstanding = counter(internal::kLeasedCounter);
  stats.decided = counter(internal::kDecidedCounter);
  stats.items = counter(internal::kItemsCounter);
  absl::Status status;
  for (size_t l = 0; l < options_.lanes.size() && status.ok(); ++l) {
    LaneStats lane;
    lane.lane = options_.lanes[l].name;
    for (int c = 0; c < kPriorityClassCount && status.ok(); ++c) {
      LaneClassStats& cs = lane.classes[c];
      cs.priority_class = static_cast<PriorityClass>(c);
      cs.waiting =
          counter(internal::WaitingCounter(lane.lane, cs.priority_class));
      if (cs.waiting > 0) {
        const std::string end = internal::PrefixEnd(
            internal::DuePrefix(lane.lane, cs.priority_class));
        rocksdb::Slice upper(end);
        rocksdb::ReadOptions ro;
        ro.iterate_upper_bound = &upper;
        ro.snapshot = snapshot;
        std::unique_ptr<rocksdb::Iterator> it(
            db_->NewIterator(ro, cf(internal::kDueCf)));
        it->Seek(due_hint[l][c]);
        if (it->Valid()) {
          auto item =
              LoadItem(internal::KeyTailItem(View(it->key())), snapshot);
          if (!item.ok()) {
            status = item.status();
            break;
          }
          cs.oldest_age =
              std::max(absl::ZeroDuration(), now - item->item.lane_time);
        }
        for (; it->Valid() && internal::KeyTailTime(View(it->key())) <= now;
             it->Next()) {
          ++cs.overdue;
        }
        if (!it->status().ok())
          status = FromRocksDb(it->status(), "queue", "read due index");
      }
      lane.waiting += cs.waiting;
      lane.overdue += cs.overdue;
      lane.oldest_age = std::max(lane.oldest_age, cs.oldest_age);
    }
    stats.waiting += lane.waiting;
    stats.overdue += lane.overdue;
    stats.oldest_age = std::max(stats.oldest_age, lane.oldest_age);
    stats.lanes.push_back(std::move(lane));
  }
  if (status.ok()) {
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot;
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(ro, cf(internal::kDecisionsCf)));
    it->SeekToFirst();
    while (it->Valid()) {
      const std::string moderator(internal::KeyModerator(View(it->key())));
      ModeratorStats ms;
      ms.moderator = moderator;
      const std::string next =
          internal::PrefixEnd(internal::ModeratorPrefix(moderator));
      for (it->Seek(
               internal::ModeratorEventKey(moderator, now - absl::Hours(1), 0));
           it->Valid() && View(it->key()) < next; it->Next()) {
        if (internal::KeyTailTime(View(it->key())) <= now)
          ++ms.decisions_last_hour;
      }
      // The iterator now stands at the next moderator's first key, if any.
      if (ms.decisions_last_hour > 0) stats.moderators.push_back(std::move(ms));
    }
    if (!it->status().ok())
      status = FromRocksDb(it->status(), "queue", "read decisions");
  }
  release();
  if (!status.ok()) return status;
  return stats;
}

absl::StatusOr<WelfareStatus> ReviewQueue::Impl::Welfare(
    absl::string_view moderator) const {
  HW_RETURN_IF_ERROR(ValidateModerator(moderator));
  const absl::Time now = clock_->Now();
  HW_ASSIGN_OR_RETURN(internal::ModeratorState state,
                      LoadModeratorState(moderator));
  HW_ASSIGN_OR_RETURN(std::vector<absl::Time> exposures,
                      LoadExposures(moderator, now));
  const internal::WelfareVerdict v =
      internal::EvaluateWelfare(options_.welfare, now, state, exposures);
  WelfareStatus out;
  out.allowed_now = v.allowed;
  out.break_until = v.break_until;
  out.items_last_hour = v.items_last_hour;
  out.items_this_shift = v.items_this_shift;
  out.consecutive_items = v.consecutive;
  return out;
}

absl::StatusOr<std::vector<AuditEntry>> ReviewQueue::Impl::ReadAudit(
    uint64_t from, int max_entries) const {
  if (max_entries < 1 || max_entries > kMaxAuditRead) {
    return absl::InvalidArgumentError(absl::StrCat(
        "queue: max_entries is ", max_entries, ", want 1..", kMaxAuditRead));
  }
  std::vector<AuditEntry> out;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), cf(internal::kAuditCf)));
  for (it->Seek(internal::U64Key(from));
       it->Valid() && static_cast<int>(out.size()) < max_entries; it->Next()) {
    AuditEntry e;
    HW_RETURN_IF_ERROR(internal::DecodeAuditEntry(View(it->value()), &e));
    out.push_back(std::move(e));
  }
  HW_RETURN_IF_ERROR(FromRocksDb(it->status(), "queue", "read audit"));
  return out;
}

absl::StatusOr<AuditHead> ReviewQueue::Impl::VerifyAudit() const {
  const rocksdb::Snapshot* snapshot = db_->GetSnapshot();
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  auto verify = [&]() -> absl::StatusOr<AuditHead> {
    internal::QueueState state;
    HW_ASSIGN_OR_RETURN(auto bytes,
                        Get(internal::kMetaCf, internal::kStateKey, snapshot));
    if (bytes) HW_RETURN_IF_ERROR(internal::DecodeQueueState(*bytes, &state));
    const uint64_t head_count = state.audit_entries;
    const std::string& head_hash = state.audit_hash;
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(ro, cf(internal::kAuditCf)));
    uint64_t index = 0;
    std::string prev(32, '\0');
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++index) {
      const absl::string_view key = View(it->key());
      if (key.size() != 8 || internal::ParseU64Key(key) != index) {
        return absl::DataLossError(absl::StrCat(
            "queue: audit chain broken at entry ", index,
            ": entry missing (next stored key is ",
            key.size() == 8 ? absl::StrCat(internal::ParseU64Key(key))
                            : "malformed",
            ")"));
      }
      AuditEntry e;
      if (!internal::DecodeAuditEntry(View(it->value()), &e).ok() ||
          e.index != index) {
        return absl::DataLossError(absl::StrCat(
            "queue: audit chain broken at entry ", index, ": malformed entry"));
      }
      if (e.prev_hash != prev) {
        return absl::DataLossError(absl::StrCat(
            "queue: audit chain broken at entry ", index,
            ": its previous-entry hash is not the SHA-256 of entry ", index - 1,
            " (one of the two was altered)"));
      }
      prev = internal::Sha256(View(it->value()));
    }
    HW_RETURN_IF_ERROR(FromRocksDb(it->status(), "queue", "read audit"));
    if (index != head_count) {
      return absl::DataLossError(
          absl::StrCat("queue: audit chain broken at entry ",
                       std::min(index, head_count), ": the log has ", index,
                       " entries but the head records ", head_count));
    }
    if (prev != head_hash) {
      return absl::DataLossError(absl::StrCat(
          "queue: audit chain broken at entry ", index == 0 ? 0 : index - 1,
          ": the last entry does not match the recorded head"));
    }
    return AuditHead{index, absl::BytesToHexString(prev)};
  };
  absl::StatusOr<AuditHead> result = verify();
  db_->ReleaseSnapshot(snapshot);
  return result;
}

// ---------------------------------------------------------------------------
// The public class forwards to Impl.

absl::Status ReviewQueue::Impl::WaitForCompactions(
    absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    uint64_t busy = 0;
    for (const char* property :
         {"rocksdb.compaction-pending", "rocksdb.mem-table-flush-pending",
          "rocksdb.num-running-compactions", "rocksdb.num-running-flushes"}) {
      uint64_t n = 0;
      if (!db_->GetAggregatedIntProperty(property, &n)) {
        return absl::InternalError(
            absl::StrCat("queue: cannot read RocksDB property ", property));
      }
      busy += n;
    }
    if (busy == 0) return absl::OkStatus();
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          "queue: background compaction still running");
    }
    // Polling: RocksDB 7.8 has no call that waits for compactions.
    absl::SleepFor(absl::Milliseconds(20));
  }
}

ReviewQueue::ReviewQueue(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ReviewQueue::~ReviewQueue() = default;

absl::StatusOr<std::unique_ptr<ReviewQueue>> ReviewQueue::Open(
    const QueueOptions& options, Clock* clock) {
  if (clock == nullptr)
    return absl::InvalidArgumentError("queue: clock is null");
  HW_RETURN_IF_ERROR(ValidateOptions(options));
  auto impl = std::make_unique<Impl>(options, clock);
  HW_RETURN_IF_ERROR(impl->OpenDb());
  return std::unique_ptr<ReviewQueue>(new ReviewQueue(std::move(impl)));
}

absl::StatusOr<EnqueueResult> ReviewQueue::Enqueue(
    const EnqueueRequest& request) {
  HW_ASSIGN_OR_RETURN(std::vector<EnqueueResult> r,
                      impl_->EnqueueBatch(absl::MakeConstSpan(&request, 1)));
  return r[0];
}

absl::StatusOr<std::vector<EnqueueResult>> ReviewQueue::EnqueueBatch(
    absl::Span<const EnqueueRequest> requests) {
  return impl_->EnqueueBatch(requests);
}

absl::StatusOr<std::vector<LeasedItem>> ReviewQueue::Lease(
    absl::string_view moderator, int max_items,
    absl::Span<const std::string> lanes) {
  return impl_->Lease(moderator, max_items, lanes);
}

absl::StatusOr<absl::Time> ReviewQueue::ExtendLease(absl::string_view moderator,
                                                    const LeaseRef& lease) {
  return impl_->ExtendLease(moderator, lease);
}

absl::Status ReviewQueue::Release(absl::string_view moderator,
                                  const LeaseRef& lease) {
  return impl_->Release(moderator, lease);
}

absl::StatusOr<Decision> ReviewQueue::Decide(absl::string_view moderator,
                                             const LeaseRef& lease,
                                             const DecisionRequest& request) {
  return impl_->Decide(moderator, lease, request);
}

absl::Status ReviewQueue::RecordReveal(absl::string_view moderator,
                                       uint64_t item_id,
                                       absl::string_view reason) {
  return impl_->RecordReveal(moderator, item_id, reason);
}

absl::StatusOr<int> ReviewQueue::ExpireLeases() {
  return impl_->ExpireLeases();
}

absl::StatusOr<ReviewItem> ReviewQueue::GetItem(uint64_t item_id) const {
  return impl_->GetItem(item_id);
}

absl::StatusOr<ReviewItem> ReviewQueue::FindItem(
    absl::string_view content_id) const {
  return impl_->FindItem(content_id);
}

absl::StatusOr<std::string> ReviewQueue::GetPreview(uint64_t item_id) const {
  return impl_->GetPreview(item_id);
}

absl::StatusOr<QueueStats> ReviewQueue::Stats() const { return impl_->Stats(); }

absl::StatusOr<WelfareStatus> ReviewQueue::Welfare(
    absl::string_view moderator) const {
  return impl_->Welfare(moderator);
}

absl::StatusOr<std::vector<AuditEntry>> ReviewQueue::ReadAudit(
    uint64_t from, int max_entries) const {
  return impl_->ReadAudit(from, max_entries);
}

absl::StatusOr<AuditHead> ReviewQueue::VerifyAudit() const {
  return impl_->VerifyAudit();
}

absl::Status ReviewQueue::WaitForCompactions(absl::Duration timeout) const {
  return impl_->WaitForCompactions(timeout);
}

}  // namespace hashwatch::queue
