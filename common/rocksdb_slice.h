// Bridges between absl::string_view and rocksdb::Slice for the storage
// libraries' .cc files. Debian 12's Abseil has its own string_view (not
// std::string_view), so neither converts to the other implicitly.
#ifndef HASHWATCH_COMMON_ROCKSDB_SLICE_H_
#define HASHWATCH_COMMON_ROCKSDB_SLICE_H_

#include "absl/strings/string_view.h"
#include "rocksdb/slice.h"

namespace hashwatch {

inline absl::string_view ToView(const rocksdb::Slice& s) {
  return {s.data(), s.size()};
}

inline rocksdb::Slice ToSlice(absl::string_view s) {
  return {s.data(), s.size()};
}

}  // namespace hashwatch

#endif  // HASHWATCH_COMMON_ROCKSDB_SLICE_H_
