#include "common/crash_point.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace hashwatch {

void CrashPoint(absl::string_view name) {
  static const std::string* const armed = [] {
    const char* env = std::getenv(kCrashAtEnv);
    return new std::string(env == nullptr ? "" : env);
  }();
  if (armed->empty() || *armed != name) return;
  ::kill(::getpid(), SIGKILL);
  ::pause();  // SIGKILL cannot be caught: never returns
}

}  // namespace hashwatch
