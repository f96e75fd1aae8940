// Reads: items, previews, Stats and Welfare. None takes the critical
// section for longer than copying the counters and taking a snapshot.
#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "queue/internal/review_queue_impl.h"

namespace hashwatch::queue {

using internal::StoredItem;

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
        status = DueStats(lane.lane, due_hint[l][c], now, snapshot, cs);
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
  if (status.ok())
    status = ModeratorDecisions(now, snapshot, &stats.moderators);
  release();
  if (!status.ok()) return status;
  return stats;
}

absl::Status ReviewQueue::Impl::DueStats(absl::string_view lane,
                                         const std::string& seek,
                                         absl::Time now,
                                         const rocksdb::Snapshot* snapshot,
                                         LaneClassStats& cs) const {
  // The class's `due` range; `seek` is its hint, at or below its first key.
  PrefixBound bound;
  std::unique_ptr<rocksdb::Iterator> it = PrefixIterator(
      internal::kDueCf, internal::DuePrefix(lane, cs.priority_class), bound,
      snapshot);
  it->Seek(seek);
  if (it->Valid()) {
    HW_ASSIGN_OR_RETURN(
        StoredItem item,
        LoadItem(internal::KeyTailItem(ToView(it->key())), snapshot));
    cs.oldest_age = std::max(absl::ZeroDuration(), now - item.item.lane_time);
  }
  for (; it->Valid() && internal::KeyTailTime(ToView(it->key())) <= now;
       it->Next()) {
    ++cs.overdue;
  }
  return FromRocksDb(it->status(), "queue", "read due index");
}

absl::Status ReviewQueue::Impl::ModeratorDecisions(
    absl::Time now, const rocksdb::Snapshot* snapshot,
    std::vector<ModeratorStats>* out) const {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(ro, cf(internal::kDecisionsCf)));
  it->SeekToFirst();
  while (it->Valid()) {
    const std::string moderator(internal::KeyModerator(ToView(it->key())));
    ModeratorStats ms;
    ms.moderator = moderator;
    const std::string next =
        internal::PrefixEnd(internal::ModeratorPrefix(moderator));
    for (it->Seek(
             internal::ModeratorEventKey(moderator, now - absl::Hours(1), 0));
         it->Valid() && ToView(it->key()) < next; it->Next()) {
      if (internal::KeyTailTime(ToView(it->key())) <= now)
        ++ms.decisions_last_hour;
    }
    // The iterator now stands at the next moderator's first key, if any.
    if (ms.decisions_last_hour > 0) out->push_back(std::move(ms));
  }
  return FromRocksDb(it->status(), "queue", "read decisions");
}

absl::StatusOr<WelfareStatus> ReviewQueue::Impl::Welfare(
    absl::string_view moderator) const {
  HW_RETURN_IF_ERROR(internal::ValidateModerator(moderator));
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

}  // namespace hashwatch::queue
