// Opening the queue: options validation, the RocksDB setup (the settings
// that matter at depth are explained where they are set), and reading the
// queue's state at start-up.
#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/rocksdb_options.h"
#include "common/status_macros.h"
#include "queue/internal/review_queue_impl.h"
#include "rocksdb/convenience.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/table_properties_collectors.h"

namespace hashwatch::queue {
namespace internal {
namespace {

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

// A lane's weight and SLAs (its name is checked first, by ValidateLanes).
absl::Status ValidateLaneLimits(const LaneOptions& lane) {
  if (!lane.served_first && (lane.weight <= 0 || lane.weight > 1'000'000)) {
    return absl::InvalidArgumentError(absl::StrCat("queue: lane '", lane.name,
                                                   "' has weight ", lane.weight,
                                                   ", want 1..1000000"));
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
  return absl::OkStatus();
}

absl::Status ValidateLanes(const QueueOptions& o) {
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
    HW_RETURN_IF_ERROR(ValidateLaneLimits(lane));
    weighted |= !lane.served_first;
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
  return absl::OkStatus();
}

absl::Status ValidateLimits(const QueueOptions& o) {
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
  return absl::OkStatus();
}

absl::Status ValidateWelfare(const WelfareOptions& w) {
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

// Block-based table options for the index families; the point-lookup
// families add a Bloom filter to these.
rocksdb::BlockBasedTableOptions IndexTableOptions(size_t block_cache_bytes) {
  rocksdb::BlockBasedTableOptions table;
  if (block_cache_bytes == 0) {
    table.no_block_cache = true;
    return table;
  }
  table.block_cache = rocksdb::NewLRUCache(block_cache_bytes);
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
  return table;
}

// LZ4 where the RocksDB build has it: compaction rewrites items all day,
// and LZ4 made lease+decide at 1,000,000 items about a third faster than
// Snappy (RocksDB's default) on this workload.
rocksdb::CompressionType Compression() {
  const std::vector<rocksdb::CompressionType> supported =
      rocksdb::GetSupportedCompressions();
  return std::find(supported.begin(), supported.end(),
                   rocksdb::kLZ4Compression) != supported.end()
             ? rocksdb::kLZ4Compression
             : rocksdb::kSnappyCompression;
}

bool IsIndexFamily(int c) {
  return c == kReadyCf || c == kDueCf || c == kLeasesCf || c == kExposureCf ||
         c == kDecisionsCf;
}

}  // namespace

absl::Status ValidateOptions(const QueueOptions& o) {
  if (o.path.empty())
    return absl::InvalidArgumentError("queue: options.path is empty");
  HW_RETURN_IF_ERROR(ValidateLanes(o));
  HW_RETURN_IF_ERROR(ValidatePriorityPolicy(o.priority));
  HW_RETURN_IF_ERROR(ValidateLimits(o));
  return ValidateWelfare(o.welfare);
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

}  // namespace internal

ReviewQueue::Impl::Impl(const QueueOptions& options, Clock* clock)
    : options_(options), clock_(clock), scheduler_(SchedulerLanes(options)) {
  for (int i = 0; i < static_cast<int>(options_.lanes.size()); ++i) {
    lane_index_[options_.lanes[i].name] = i;
    ready_hint_.push_back(internal::LanePrefix(options_.lanes[i].name));
    heads_.emplace_back(internal::kLaneHeadEntries);
    std::array<std::string, kPriorityClassCount> due;
    for (int c = 0; c < kPriorityClassCount; ++c) {
      due[c] = internal::DuePrefix(options_.lanes[i].name,
                                   static_cast<PriorityClass>(c));
    }
    due_hint_.push_back(std::move(due));
  }
  escalation_index_ = lane_index_.at(options_.escalation_lane);
}

ReviewQueue::Impl::~Impl() {
  if (db_ == nullptr) return;
  gate_.reset();  // syncs what is left; must not outlive db_
  for (rocksdb::ColumnFamilyHandle* h : cf_) {
    if (h != nullptr) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  }
  db_->FlushWAL(true)
      .PermitUncheckedError();  // acknowledged writes already were
  db_->Close().PermitUncheckedError();
}

std::vector<internal::LaneScheduler::Lane> ReviewQueue::Impl::SchedulerLanes(
    const QueueOptions& options) {
  std::vector<internal::LaneScheduler::Lane> lanes;
  for (const LaneOptions& l : options.lanes)
    lanes.push_back({l.weight, l.served_first});
  return lanes;
}

rocksdb::DBOptions ReviewQueue::Impl::DbOptions() const {
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
  return db_options;
}

std::vector<rocksdb::ColumnFamilyDescriptor> ReviewQueue::Impl::ColumnFamilies()
    const {
  const rocksdb::BlockBasedTableOptions table =
      internal::IndexTableOptions(options_.block_cache_bytes);
  rocksdb::BlockBasedTableOptions point_table = table;
  point_table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  point_table.partition_filters = options_.block_cache_bytes > 0;
  // Index families are deleted from at the head all day: compact files
  // where tombstones pile up (64 in any 128 consecutive entries).
  auto on_deletion = rocksdb::NewCompactOnDeletionCollectorFactory(128, 64);
  const rocksdb::CompressionType compression = internal::Compression();
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
    if (internal::IsIndexFamily(c)) {
      cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
      cf_options.table_properties_collector_factories.push_back(on_deletion);
    } else {
      cf_options.table_factory.reset(
          rocksdb::NewBlockBasedTableFactory(point_table));
    }
    descriptors.emplace_back(internal::kCfNames[c], cf_options);
  }
  return descriptors;
}

absl::Status ReviewQueue::Impl::OpenDb() {
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status s = rocksdb::DB::Open(DbOptions(), options_.path,
                                              ColumnFamilies(), &handles, &raw);
  if (!s.ok())
    return FromRocksDb(s, "queue", absl::StrCat("open ", options_.path));
  db_.reset(raw);
  for (int c = 0; c < internal::kCfCount; ++c) cf_[c] = handles[c];
  gate_ = std::make_unique<internal::SyncGate>([this] { return SyncWal(); });
  return LoadState();
}

absl::Status ReviewQueue::Impl::LoadState() {
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

}  // namespace hashwatch::queue
