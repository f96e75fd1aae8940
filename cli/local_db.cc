#include "cli/local_db.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "cli/common_flags.h"
#include "common/clock.h"
#include "common/database_in_use.h"
#include "common/status_macros.h"

namespace hashwatch::cli {

absl::StatusOr<std::unique_ptr<matcher::BankStore>> OpenBankStore(
    const std::string& db_dir, const OpenBankStoreOptions& options) {
  if (options.create_if_missing) {
    std::error_code ec;
    std::filesystem::create_directories(db_dir, ec);
    if (ec) {
      return absl::UnavailableError(absl::StrCat(
          "cannot create database directory ", db_dir, ": ", ec.message()));
    }
  } else {
    HW_RETURN_IF_ERROR(CheckDatabaseExists(db_dir));
  }
  matcher::BankStoreOptions store;
  store.path = db_dir + "/banks";
  store.load_index = options.load_index;
  absl::StatusOr<std::unique_ptr<matcher::BankStore>> opened =
      matcher::BankStore::Open(store, Clock::Real());
  if (IsDatabaseLocked(opened.status())) return DatabaseInUseError(db_dir);
  return opened;
}

}  // namespace hashwatch::cli
