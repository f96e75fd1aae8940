// Small file helpers for bench/eval: whole-file reads and writes with
// absl::Status errors that name the path.
//
// Thread-safety: thread-safe (no shared state).
#ifndef HASHWATCH_BENCH_EVAL_IO_H_
#define HASHWATCH_BENCH_EVAL_IO_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hashwatch::bench {

// The whole file. NotFound when absent, PermissionDenied when not
// readable, InvalidArgument for a folder or a file over `max_bytes`,
// Unavailable for other I/O errors.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path,
                                          size_t max_bytes = size_t{1} << 30);

// Replaces `path` with `bytes` (written to a temporary name in the same
// folder, then renamed). Unavailable on I/O errors.
absl::Status WriteWholeFile(const std::string& path, absl::string_view bytes);

// Creates `dir` and its parents if absent. Unavailable on errors,
// InvalidArgument when a non-folder is in the way.
absl::Status MakeDirs(const std::string& dir);

// A fresh temporary folder, removed with its contents on destruction: for
// the throwaway RocksDB databases of the sweep (a bank) and the capacity
// planner (a queue). It goes under $TMPDIR when set, else under /dev/shm
// when that is a writable folder (no disk I/O: a simulated week's queue is
// a few MB, and on a loaded machine disk writes dominate), else /tmp.
class ScratchDir final {
 public:
  // Unavailable when no folder can be created.
  static absl::StatusOr<std::unique_ptr<ScratchDir>> Create(
      absl::string_view prefix);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace hashwatch::bench

#endif  // HASHWATCH_BENCH_EVAL_IO_H_
