// Screenshots of generated UI and web pages with headless Chromium, for the
// benign set (private to bench/eval/benign.cc).
//
// Thread-safety: thread-safe; each call runs its own browser with a fresh
// profile in a scratch folder.
#ifndef HASHWATCH_BENCH_EVAL_INTERNAL_CHROMIUM_SHOT_H_
#define HASHWATCH_BENCH_EVAL_INTERNAL_CHROMIUM_SHOT_H_

#include <random>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hashwatch::bench::internal {

// `name` when it holds a '/' and is executable, else the first executable
// `name` on PATH; "" when there is none.
std::string FindExecutable(const std::string& name);

// A self-contained HTML page (no network, no scripts): a web page (header,
// navigation, articles, sidebar) or an application UI (toolbar, side list,
// form, table), laid out and coloured from `rng`. `how` says which.
std::string RandomPageHtml(std::mt19937& rng, std::string* how);

// The PNG Chromium (`chromium`, a path) takes of `html` in a width x height
// window. Bounded by coreutils `timeout` (60 s). Unavailable when the
// browser fails or writes no screenshot.
absl::StatusOr<std::string> ChromiumScreenshot(const std::string& chromium,
                                               absl::string_view html,
                                               int width, int height);

}  // namespace hashwatch::bench::internal

#endif  // HASHWATCH_BENCH_EVAL_INTERNAL_CHROMIUM_SHOT_H_
