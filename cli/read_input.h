// Reading an input file (or standard input) whole, with a size limit.
#ifndef HASHWATCH_CLI_READ_INPUT_H_
#define HASHWATCH_CLI_READ_INPUT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace hashwatch::cli {

// Reads `path` ("-" = standard input). NotFound / PermissionDenied /
// InvalidArgument (a directory) / ResourceExhausted (over max_bytes), each
// message naming the reason.
absl::StatusOr<std::string> ReadInput(const std::string& path,
                                      int64_t max_bytes);

}  // namespace hashwatch::cli

#endif  // HASHWATCH_CLI_READ_INPUT_H_
