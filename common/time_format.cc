#include "common/time_format.h"

#include "absl/strings/str_cat.h"

namespace hashwatch {

std::string FormatRfc3339(absl::Time t, TimePrecision precision) {
  const char* format = absl::RFC3339_full;
  if (precision == TimePrecision::kSeconds) format = absl::RFC3339_sec;
  if (precision == TimePrecision::kMillis) format = "%Y-%m-%dT%H:%M:%E3SZ";
  return absl::FormatTime(format, t, absl::UTCTimeZone());
}

absl::StatusOr<absl::Time> ParseRfc3339(absl::string_view text) {
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' is not an RFC 3339 time: ", error));
  }
  return t;
}

}  // namespace hashwatch
