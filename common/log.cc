#include "common/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/time_format.h"

namespace hashwatch {
namespace {

LogLevel LevelFromEnv() {
  const char* env = std::getenv("HASHWATCH_LOG_LEVEL");
  if (env == nullptr) return LogLevel::kInfo;
  if (std::strcmp(env, "debug") == 0) return LogLevel::kDebug;
  if (std::strcmp(env, "warning") == 0) return LogLevel::kWarning;
  if (std::strcmp(env, "error") == 0) return LogLevel::kError;
  return LogLevel::kInfo;
}

std::atomic<int>& Level() {
  static std::atomic<int> level{static_cast<int>(LevelFromEnv())};
  return level;
}

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarning:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
  }
  return "?";
}

// `message` with every control character (newline included) and DEL written
// as \xNN, the Unicode line breaks that some viewers honour (NEL, U+2028,
// U+2029) as \uNNNN, and a backslash doubled: no value logged (a content
// id, a file name) can start a line of its own or move the cursor, and none
// can pass for an escape it is not (a literal "\x0a" is logged "\\x0a").
std::string Escaped(absl::string_view message) {
  std::string out;
  out.reserve(message.size());
  for (size_t i = 0; i < message.size(); ++i) {
    const unsigned char u = static_cast<unsigned char>(message[i]);
    const absl::string_view rest = message.substr(i);
    if (u < 0x20 || u == 0x7f) {
      absl::StrAppend(&out, "\\x", absl::Hex(u, absl::kZeroPad2));
    } else if (u == '\\') {
      out += "\\\\";
    } else if (absl::StartsWith(rest, "\xc2\x85")) {
      out += "\\u0085";
      i += 1;
    } else if (absl::StartsWith(rest, "\xe2\x80\xa8") ||
               absl::StartsWith(rest, "\xe2\x80\xa9")) {
      absl::StrAppend(&out, "\\u202", rest[2] == '\xa8' ? "8" : "9");
      i += 2;
    } else {
      out.push_back(message[i]);
    }
  }
  return out;
}

}  // namespace

void SetMinLogLevel(LogLevel level) { Level().store(static_cast<int>(level)); }

LogLevel MinLogLevel() { return static_cast<LogLevel>(Level().load()); }

void LogLine(LogLevel level, absl::string_view message) {
  std::string line =
      absl::StrCat(FormatRfc3339(absl::Now(), TimePrecision::kMillis), " ",
                   LevelName(level), " ", Escaped(message), "\n");
  // One write() per line keeps concurrent lines from interleaving.
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace hashwatch
