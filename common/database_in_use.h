// A database directory that another process holds (RocksDB's LOCK file):
// how the stores mark that error and the one line every command and the
// server print for it. No RocksDB here, so that the CLI and the server can
// tell the error apart without including RocksDB headers.
//
//   absl::StatusOr<std::unique_ptr<Engine>> e = Engine::Open(config, clock);
//   if (IsDatabaseLocked(e.status())) return DatabaseInUseError(config.db);
#ifndef HASHWATCH_COMMON_DATABASE_IN_USE_H_
#define HASHWATCH_COMMON_DATABASE_IN_USE_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace hashwatch {

// Returns `status` marked as "the database is held by another process"
// (FromRocksDb marks RocksDB's lock errors so). An OK status stays OK.
absl::Status MarkDatabaseLocked(absl::Status status);

// Whether `status` carries that mark. Statuses passed up unchanged
// (HW_RETURN_IF_ERROR) keep it.
bool IsDatabaseLocked(const absl::Status& status);

// Unavailable, marked: "the database DIR is in use by another hashwatch
// process".
absl::Status DatabaseInUseError(absl::string_view dir);

}  // namespace hashwatch

#endif  // HASHWATCH_COMMON_DATABASE_IN_USE_H_
