// The head of one lane's `ready` range, copied in memory (private).
//
// Finding the next item of a lane is a seek to the first live key of its
// range; at depth a fresh RocksDB iterator and seek cost tens of
// microseconds under the queue's mutex, on every lease. LaneHead keeps the
// first keys of the range (and their values, the skip exclusions) in
// memory, mirrors every write the queue makes to the range once it has
// landed, and is refilled from the database when it runs dry. Its size is
// bounded (2 x capacity entries), so memory does not follow queue depth.
//
// Invariant, once filled: entries() are exactly the first entries() .size()
// live keys of the range, in order, with their current values; complete()
// says that they are all of them.
//
// Thread-safety: not thread-safe; the queue calls it under its mutex.
#ifndef HASHWATCH_QUEUE_INTERNAL_LANE_HEAD_H_
#define HASHWATCH_QUEUE_INTERNAL_LANE_HEAD_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace hashwatch::queue::internal {

class LaneHead {
 public:
  struct Entry {
    std::string key;
    std::string value;
  };

  // `capacity`: how many entries a fill copies (> 0).
  explicit LaneHead(size_t capacity) : capacity_(capacity) {}

  size_t capacity() const { return capacity_; }

  // Whether the copy must be filled from the database before it is used:
  // never filled, invalidated, or emptied by deletes while more keys exist.
  bool NeedsFill() const {
    return !filled_ || (entries_.empty() && !complete_);
  }

  // Replaces the copy by the first keys of the range, in key order (at most
  // capacity()); `complete` when the range holds no others.
  void Fill(std::vector<Entry> entries, bool complete);

  // Mirrors a put or delete that has landed in the range.
  void Put(absl::string_view key, absl::string_view value);
  void Delete(absl::string_view key);

  // Forgets the copy (after a write whose outcome is unknown).
  void Invalidate() {
    filled_ = false;
    entries_.clear();
  }

  const std::vector<Entry>& entries() const { return entries_; }
  bool complete() const { return complete_; }

 private:
  const size_t capacity_;
  bool filled_ = false;
  bool complete_ = false;
  std::vector<Entry> entries_;  // sorted by key
};

}  // namespace hashwatch::queue::internal

#endif  // HASHWATCH_QUEUE_INTERNAL_LANE_HEAD_H_
