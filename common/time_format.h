// RFC 3339 times, always in UTC: the one formatter and parser for logs,
// error messages, exports and JSON files.
//
// Thread-safety: pure functions.
#ifndef HASHWATCH_COMMON_TIME_FORMAT_H_
#define HASHWATCH_COMMON_TIME_FORMAT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hashwatch {

// How many fractional digits a formatted time carries.
enum class TimePrecision {
  kSeconds,  // "2026-12-07T14:45:00+00:00": the CLI's tables
  kMillis,   // "2026-12-07T14:45:00.123Z": logs and error messages
  kFull,     // "2026-12-07T14:45:00.5+00:00": as many digits as the time
             // needs, up to nanoseconds; JSON exports and files
};

// `t` in UTC. InfinitePast and InfiniteFuture come out as "infinite-past"
// and "infinite-future" (Abseil's words).
std::string FormatRfc3339(absl::Time t,
                          TimePrecision precision = TimePrecision::kFull);

// Parses an RFC 3339 time with any offset and any number of fractional
// digits. InvalidArgument naming the text when it is not one.
absl::StatusOr<absl::Time> ParseRfc3339(absl::string_view text);

}  // namespace hashwatch

#endif  // HASHWATCH_COMMON_TIME_FORMAT_H_
