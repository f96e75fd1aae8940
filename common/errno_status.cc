#include "common/errno_status.h"

namespace hashwatch {

absl::Status ErrnoStatus(int err, absl::string_view message) {
  absl::Status status = absl::ErrnoToStatus(err, message);
  if (status.code() == absl::StatusCode::kUnknown) {
    return absl::UnavailableError(status.message());
  }
  return status;
}

}  // namespace hashwatch
