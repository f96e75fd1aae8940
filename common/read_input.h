// Reading an input file (or standard input) whole, with a size limit: the
// CLI's inputs, the server's configuration and TLS files.
#ifndef HASHWATCH_COMMON_READ_INPUT_H_
#define HASHWATCH_COMMON_READ_INPUT_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hashwatch {

// Reads `path` ("-" = standard input). NotFound / PermissionDenied /
// InvalidArgument (a directory) / ResourceExhausted (over max_bytes), each
// message naming the reason.
absl::StatusOr<std::string> ReadInput(const std::string& path,
                                      int64_t max_bytes);

// Streams `path` ("-" = standard input) line by line, in constant memory:
// `visit` gets each line without its '\n' (a last line without one too).
// A line over `max_line_bytes` is cut to max_line_bytes + 1 bytes, so the
// visitor can tell it is too long. Stops at the first error `visit` returns
// and returns it; open and read errors as ReadInput.
absl::Status ForEachInputLine(
    const std::string& path, size_t max_line_bytes,
    const std::function<absl::Status(absl::string_view)>& visit);

}  // namespace hashwatch

#endif  // HASHWATCH_COMMON_READ_INPUT_H_
