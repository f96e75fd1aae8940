// Reading an input file (or standard input) whole, with a size limit: the
// CLI's inputs, the server's configuration and TLS files.
#ifndef HASHWATCH_COMMON_READ_INPUT_H_
#define HASHWATCH_COMMON_READ_INPUT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace hashwatch {

// Reads `path` ("-" = standard input). NotFound / PermissionDenied /
// InvalidArgument (a directory) / ResourceExhausted (over max_bytes), each
// message naming the reason.
absl::StatusOr<std::string> ReadInput(const std::string& path,
                                      int64_t max_bytes);

}  // namespace hashwatch

#endif  // HASHWATCH_COMMON_READ_INPUT_H_
