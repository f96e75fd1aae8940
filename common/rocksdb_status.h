// Translation of RocksDB statuses into absl::Status, done once at the
// storage boundary (matcher/ and queue/ internals). Public headers of those
// libraries never include RocksDB; only their .cc files include this.
#ifndef HASHWATCH_COMMON_ROCKSDB_STATUS_H_
#define HASHWATCH_COMMON_ROCKSDB_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/status.h"

namespace hashwatch {

// Maps a RocksDB status to the canonical code: NotFound -> kNotFound,
// Corruption -> kDataLoss, IOError with a lock -> kUnavailable ("database is
// locked by another process", marked for IsDatabaseLocked in
// common/database_in_use.h), other IOError -> kUnavailable, Busy/TimedOut/
// TryAgain -> kUnavailable, InvalidArgument -> kInvalidArgument, the rest
// kInternal. The message is "<component>: <what>: <rocksdb message>".
absl::Status FromRocksDb(const rocksdb::Status& s, absl::string_view component,
                         absl::string_view what);

}  // namespace hashwatch

#endif  // HASHWATCH_COMMON_ROCKSDB_STATUS_H_
