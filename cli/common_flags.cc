#include "cli/common_flags.h"

#include <filesystem>
#include <ostream>

#include "absl/strings/str_cat.h"

namespace hashwatch::cli {

absl::StatusOr<std::unique_ptr<matcher::BankStore>> OpenBankStore(
    const std::string& db_dir, bool load_index) {
  std::error_code ec;
  std::filesystem::create_directories(db_dir, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot create database directory ", db_dir, ": ", ec.message()));
  }
  matcher::BankStoreOptions options;
  options.path = db_dir + "/banks";
  options.load_index = load_index;
  return matcher::BankStore::Open(options, Clock::Real());
}

int Fail(std::ostream& err, const absl::Status& status) {
  err << "hashwatch: " << status.message() << "\n";
  return 1;
}

absl::StatusOr<absl::Time> ParseTimeOrDuration(const std::string& text,
                                               absl::Time now) {
  absl::Time t;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, text, &t, &error)) return t;
  absl::Duration d;
  if (absl::ParseDuration(text, &d)) return now + d;
  return absl::InvalidArgumentError(absl::StrCat(
      "\"", text, "\" is neither an RFC 3339 time (2026-12-01T00:00:00Z) nor a "
      "duration (72h)"));
}

std::string FormatTimestamp(absl::Time t) {
  if (t == absl::InfiniteFuture()) return "never";
  if (t == absl::InfinitePast()) return "";
  return absl::FormatTime(absl::RFC3339_sec, t, absl::UTCTimeZone());
}

std::string JsonLine(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace hashwatch::cli
