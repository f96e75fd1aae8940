// Finding the best waiting item of a lane for a moderator: overdue items
// first (earliest SLA deadline, from the `due` index), then by effective
// priority (from the lane's head in memory, internal/lane_head.h, and past
// it when the moderator skipped everything the head holds).
#include <utility>

#include "common/status_macros.h"
#include "queue/internal/review_queue_impl.h"

namespace hashwatch::queue {

using internal::Candidate;

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
  HW_ASSIGN_OR_RETURN(std::optional<Candidate> overdue,
                      FindOverdue(lane, moderator, now, chosen));
  if (overdue) return overdue;

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
  return FindPastHead(lane, moderator, now, chosen);
}

absl::StatusOr<std::optional<Candidate>> ReviewQueue::Impl::FindOverdue(
    int lane, absl::string_view moderator, absl::Time now,
    const absl::flat_hash_set<uint64_t>& chosen) {
  const std::string& name = options_.lanes[lane].name;
  // The earliest deadline at or before now, over the classes.
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
    PrefixBound bound;
    std::unique_ptr<rocksdb::Iterator> it =
        PrefixIterator(internal::kDueCf, internal::DuePrefix(name, pc), bound);
    bool first = true;
    for (it->Seek(due_hint_[lane][c]); it->Valid(); it->Next()) {
      const absl::string_view key = ToView(it->key());
      if (first) {
        due_hint_[lane][c] = std::string(key);
        first = false;
      }
      const absl::Time deadline = internal::KeyTailTime(key);
      if (deadline > now || deadline >= best_deadline) break;
      const uint64_t id = internal::KeyTailItem(key);
      if (Taken(id, chosen) ||
          internal::Excludes(ToView(it->value()), moderator, now)) {
        continue;
      }
      best = Candidate{id, true};
      best_deadline = deadline;
      break;
    }
    HW_RETURN_IF_ERROR(FromRocksDb(it->status(), "queue", "read due index"));
  }
  return best;
}

absl::StatusOr<std::optional<Candidate>> ReviewQueue::Impl::FindPastHead(
    int lane, absl::string_view moderator, absl::Time now,
    const absl::flat_hash_set<uint64_t>& chosen) {
  // Every item of the head is excluded for this moderator: read on past it.
  const std::string last = heads_[lane].entries().back().key;
  PrefixBound bound;
  std::unique_ptr<rocksdb::Iterator> it =
      PrefixIterator(internal::kReadyCf,
                     internal::LanePrefix(options_.lanes[lane].name), bound);
  for (it->Seek(last); it->Valid(); it->Next()) {
    const absl::string_view key = ToView(it->key());
    if (key == last) continue;
    const uint64_t id = internal::KeyTailItem(key);
    if (Taken(id, chosen) ||
        internal::Excludes(ToView(it->value()), moderator, now)) {
      continue;
    }
    return std::optional<Candidate>(Candidate{id, false});
  }
  HW_RETURN_IF_ERROR(FromRocksDb(it->status(), "queue", "read ready index"));
  return std::nullopt;
}

absl::Status ReviewQueue::Impl::FillHead(int lane) {
  PrefixBound bound;
  std::unique_ptr<rocksdb::Iterator> it =
      PrefixIterator(internal::kReadyCf,
                     internal::LanePrefix(options_.lanes[lane].name), bound);
  std::vector<internal::LaneHead::Entry> entries;
  const size_t capacity = heads_[lane].capacity();
  for (it->Seek(ready_hint_[lane]); it->Valid() && entries.size() < capacity;
       it->Next()) {
    entries.push_back(
        {std::string(ToView(it->key())), std::string(ToView(it->value()))});
  }
  HW_RETURN_IF_ERROR(FromRocksDb(it->status(), "queue", "read ready index"));
  const bool complete = !it->Valid();
  if (!entries.empty()) ready_hint_[lane] = entries.front().key;
  heads_[lane].Fill(std::move(entries), complete);
  return absl::OkStatus();
}

}  // namespace hashwatch::queue
