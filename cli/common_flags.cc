#include "cli/common_flags.h"

#include <filesystem>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/time_format.h"

namespace hashwatch::cli {

absl::Status CheckDatabaseExists(const std::string& db_dir) {
  for (const char* part :
       {"banks", "queue", "reports", "scans", "tokens.json"}) {
    std::error_code ec;
    if (std::filesystem::exists(std::filesystem::path(db_dir) / part, ec)) {
      return absl::OkStatus();
    }
    if (ec && ec != std::errc::not_a_directory) {  // not "absent": e.g. EACCES
      return absl::UnavailableError(absl::StrCat("cannot read the database ",
                                                 db_dir, ": ", ec.message()));
    }
  }
  return absl::NotFoundError(
      absl::StrCat("no database at ", db_dir,
                   " (create one with `hashwatch bank create NAME --db ",
                   db_dir, "` or `hashwatch serve --db ", db_dir, "`)"));
}

int Fail(std::ostream& err, const absl::Status& status) {
  err << "hashwatch: " << status.message() << "\n";
  return 1;
}

absl::StatusOr<absl::Time> ParseTimeOrDuration(const std::string& text,
                                               absl::Time now) {
  if (absl::StatusOr<absl::Time> t = ParseRfc3339(text); t.ok()) return t;
  absl::Duration d;
  if (absl::ParseDuration(text, &d)) return now + d;
  return absl::InvalidArgumentError(absl::StrCat(
      "\"", text,
      "\" is neither an RFC 3339 time (2026-12-01T00:00:00Z) nor a "
      "duration (72h)"));
}

std::string FormatTimestamp(absl::Time t) {
  if (t == absl::InfiniteFuture()) return "never";
  if (t == absl::InfinitePast()) return "";
  return FormatRfc3339(t, TimePrecision::kSeconds);
}

std::string JsonLine(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace hashwatch::cli
