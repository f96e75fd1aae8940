#include "common/rocksdb_status.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/database_in_use.h"

namespace hashwatch {

absl::Status FromRocksDb(const rocksdb::Status& s, absl::string_view component,
                         absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  const std::string text = s.ToString();
  std::string message = absl::StrCat(component, ": ", what, ": ", text);
  if (s.IsNotFound()) return absl::NotFoundError(message);
  if (s.IsCorruption()) return absl::DataLossError(message);
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(message);
  if (s.IsIOError()) {
    // RocksDB's words when its LOCK file is held by another process, or by
    // another open of the same database in this one ("lock" alone would
    // also match a path such as /srv/blockstore).
    if (absl::StrContains(text, "While lock file") ||
        absl::StrContains(text, "lock hold by current process")) {
      message =
          absl::StrCat(component, ": ", what,
                       ": database is locked by another process (", text, ")");
      return MarkDatabaseLocked(absl::UnavailableError(message));
    }
    return absl::UnavailableError(message);
  }
  if (s.IsBusy() || s.IsTimedOut() || s.IsTryAgain()) {
    return absl::UnavailableError(message);
  }
  return absl::InternalError(message);
}

}  // namespace hashwatch
