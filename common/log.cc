#include "common/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

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
// as \xNN, so that no value logged (a content id, a file name) can start a
// line of its own or move the cursor: a log line is one line.
std::string Escaped(absl::string_view message) {
  std::string out;
  out.reserve(message.size());
  for (const char c : message) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      absl::StrAppend(&out, "\\x", absl::Hex(u, absl::kZeroPad2));
    } else {
      out.push_back(c);
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
