#include "queue/internal/lane_head.h"

#include <algorithm>

namespace hashwatch::queue::internal {
namespace {

std::vector<LaneHead::Entry>::iterator LowerBound(
    std::vector<LaneHead::Entry>& entries, absl::string_view key) {
  return std::lower_bound(
      entries.begin(), entries.end(), key,
      [](const LaneHead::Entry& e, absl::string_view k) { return e.key < k; });
}

}  // namespace

void LaneHead::Fill(std::vector<Entry> entries, bool complete) {
  entries_ = std::move(entries);
  complete_ = complete;
  filled_ = true;
}

void LaneHead::Put(absl::string_view key, absl::string_view value) {
  if (!filled_) return;
  // A key after the last copied one is outside the copy, unless the copy is
  // the whole range.
  if (!complete_ && (entries_.empty() || key > entries_.back().key)) return;
  auto it = LowerBound(entries_, key);
  if (it != entries_.end() && it->key == key) {
    it->value = std::string(value);
    return;
  }
  entries_.insert(it, Entry{std::string(key), std::string(value)});
  if (entries_.size() > 2 * capacity_) {
    entries_.pop_back();
    complete_ = false;
  }
}

void LaneHead::Delete(absl::string_view key) {
  if (!filled_) return;
  auto it = LowerBound(entries_, key);
  if (it != entries_.end() && it->key == key) entries_.erase(it);
}

}  // namespace hashwatch::queue::internal
