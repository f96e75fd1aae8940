#include "common/database_in_use.h"

#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace hashwatch {
namespace {

// The payload's type URL; its value is empty.
constexpr char kLockedPayload[] = "hashwatch/database-locked";

}  // namespace

absl::Status MarkDatabaseLocked(absl::Status status) {
  if (!status.ok()) status.SetPayload(kLockedPayload, absl::Cord());
  return status;
}

bool IsDatabaseLocked(const absl::Status& status) {
  return status.GetPayload(kLockedPayload).has_value();
}

absl::Status DatabaseInUseError(absl::string_view dir) {
  return MarkDatabaseLocked(absl::UnavailableError(absl::StrCat(
      "the database ", dir, " is in use by another hashwatch process")));
}

}  // namespace hashwatch
