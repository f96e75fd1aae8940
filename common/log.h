// Minimal structured logging to stderr, the one logging approach used across
// hashwatch (Debian 12's Abseil has no absl/log). Thread-safe: each call
// writes one whole line. Never pass image bytes to it.
//
//   HW_LOG(kInfo, "bank_store: opened %s with %d banks", path, n);
#ifndef HASHWATCH_COMMON_LOG_H_
#define HASHWATCH_COMMON_LOG_H_

#include <string>

#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace hashwatch {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Messages below this level are dropped. Default kInfo; the
// HASHWATCH_LOG_LEVEL environment variable (debug|info|warning|error) sets it
// at start-up.
void SetMinLogLevel(LogLevel level);
LogLevel MinLogLevel();

// Writes "<UTC time> <LEVEL> <message>\n" to stderr in one write. Control
// characters in `message` (a newline in a client's id, an escape sequence)
// are written as \xNN: every call is exactly one line.
void LogLine(LogLevel level, absl::string_view message);

}  // namespace hashwatch

#define HW_LOG(level, ...)                                            \
  do {                                                                \
    if (::hashwatch::LogLevel::level >= ::hashwatch::MinLogLevel()) { \
      ::hashwatch::LogLine(::hashwatch::LogLevel::level,              \
                           ::absl::StrFormat(__VA_ARGS__));           \
    }                                                                 \
  } while (false)

#endif  // HASHWATCH_COMMON_LOG_H_
