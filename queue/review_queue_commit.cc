// The queue's storage primitives: reads (with the leased-item and
// moderator caches), the write batch of one mutation (Txn) and Commit,
// which chains its audit entries, advances the counters and brings the
// in-memory lane heads and seek hints in step.
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "queue/internal/review_queue_impl.h"

namespace hashwatch::queue {

using internal::kModeratorCacheSize;
using internal::StoredItem;

std::unique_ptr<rocksdb::Iterator> ReviewQueue::Impl::PrefixIterator(
    Cf c, absl::string_view prefix, PrefixBound& bound,
    const rocksdb::Snapshot* snapshot) const {
  bound.end = internal::PrefixEnd(prefix);
  bound.upper = rocksdb::Slice(bound.end);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &bound.upper;
  ro.snapshot = snapshot;
  return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(ro, cf(c)));
}

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
  const rocksdb::Status s = db_->Get(ro, cf(c), ToSlice(key), &value);
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
  // The error names the record: "queue: item 12: queue: malformed item ...".
  if (absl::Status decoded = internal::DecodeItem(*bytes, &s); !decoded.ok()) {
    return absl::DataLossError(
        absl::StrCat("queue: item ", item_id, ": ", decoded.message()));
  }
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
  PrefixBound bound;
  std::unique_ptr<rocksdb::Iterator> it = PrefixIterator(
      internal::kExposureCf, internal::ModeratorPrefix(moderator), bound);
  for (it->Seek(internal::ModeratorEventKey(
           moderator, now - internal::WelfareWindow(w), 0));
       it->Valid(); it->Next()) {
    times.push_back(internal::KeyTailTime(ToView(it->key())));
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
  const StateUndo undo = AdvanceState(txn);
  txn.batch.Put(cf(internal::kMetaCf), ToSlice(internal::kStateKey),
                internal::EncodeQueueState(state_));
  rocksdb::WriteOptions wo;
  // No WAL syscall here: with manual_wal_flush the record goes to RocksDB's
  // WAL buffer in commit order; gate_ writes and syncs it (sync_gate.h).
  wo.sync = false;
  const absl::Status written =
      FromRocksDb(db_->Write(wo, &txn.batch), "queue", "write");
  if (!written.ok()) {
    UndoState(txn, undo);
    return written;
  }
  AfterWrite(txn);
  return gate_->Written();
}

ReviewQueue::Impl::StateUndo ReviewQueue::Impl::AdvanceState(Txn& txn) {
  // state_ advances in place, and is put back if the write fails.
  internal::QueueState& next = state_;
  StateUndo undo{next.audit_entries, next.audit_hash, next.next_item_id,
                 next.next_lease_id};
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
  return undo;
}

void ReviewQueue::Impl::UndoState(const Txn& txn, const StateUndo& undo) {
  internal::QueueState& next = state_;
  next.audit_entries = undo.audit_entries;
  next.audit_hash = undo.audit_hash;
  next.next_item_id = undo.next_item_id;
  next.next_lease_id = undo.next_lease_id;
  for (const auto& [name, delta] : txn.counter_deltas) {
    if (delta != 0) next.counters[name] -= delta;
  }
  for (internal::LaneHead& head : heads_) head.Invalidate();
}

void ReviewQueue::Impl::AfterWrite(Txn& txn) {
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
  if (item.lease_holder != moderator || item.lease_token != lease.token) {
    return absl::FailedPreconditionError(
        absl::StrCat("queue: lease ", lease.lease_id, " on item ", item.id,
                     " is held by another moderator (or under another token)"));
  }
  if (now >= item.lease_expires) {
    return absl::FailedPreconditionError(absl::StrCat(
        "queue: lease ", lease.lease_id, " on item ", item.id, " expired at ",
        FormatRfc3339(item.lease_expires, TimePrecision::kMillis)));
  }
  return absl::OkStatus();
}

}  // namespace hashwatch::queue
