// Named crash points for the SIGKILL tests: CrashPoint("scan.reported")
// kills the process with SIGKILL, there and then, when the environment
// variable HASHWATCH_CRASH_AT names that point. The variable is read once;
// unset (always, outside those tests) a point costs one comparison of an
// empty string. The tests start a child with the variable set, and check
// after the kill that nothing acknowledged was lost and nothing was left
// half done (tests/review_api/scan_crash_test.cc).
//
// Thread-safety: thread-safe.
#ifndef HASHWATCH_COMMON_CRASH_POINT_H_
#define HASHWATCH_COMMON_CRASH_POINT_H_

#include "absl/strings/string_view.h"

namespace hashwatch {

inline constexpr char kCrashAtEnv[] = "HASHWATCH_CRASH_AT";

void CrashPoint(absl::string_view name);

}  // namespace hashwatch

#endif  // HASHWATCH_COMMON_CRASH_POINT_H_
