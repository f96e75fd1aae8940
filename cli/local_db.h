// Opening the local database's stores, for the commands that work on
// --db directly (bank, match). Not in the client library: the client
// commands never open a database.
#ifndef HASHWATCH_CLI_LOCAL_DB_H_
#define HASHWATCH_CLI_LOCAL_DB_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "matcher/bank_store.h"

namespace hashwatch::cli {

struct OpenBankStoreOptions {
  // Create the database when `db_dir` holds none (`bank create`). Off: a
  // missing database is CheckDatabaseExists's NotFound.
  bool create_if_missing = false;
  // Build the PDQ index. Only `match` needs it: the bank commands open a
  // 10M-entry store without it, in little memory.
  bool load_index = false;
};

// Opens the bank store under `<db_dir>/banks`. Unavailable, marked
// IsDatabaseLocked (common/database_in_use.h), with the message
// DatabaseInUseError gives, when another process holds the database.
absl::StatusOr<std::unique_ptr<matcher::BankStore>> OpenBankStore(
    const std::string& db_dir, const OpenBankStoreOptions& options);

}  // namespace hashwatch::cli

#endif  // HASHWATCH_CLI_LOCAL_DB_H_
