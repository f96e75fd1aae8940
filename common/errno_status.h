// The status for a failed system call, from its errno: the one mapping for
// every file the project reads or writes outside RocksDB.
//
//   if (fd < 0) return ErrnoStatus(errno, absl::StrCat("cannot open ", path));
//
// Codes follow Abseil's absl::ErrnoToStatusCode (ENOENT NotFound, EACCES
// and EPERM PermissionDenied, EEXIST AlreadyExists, ENOSPC and EMFILE
// ResourceExhausted, EISDIR and ENOTDIR FailedPrecondition, EINVAL
// InvalidArgument, EAGAIN and EINTR Unavailable, ...), except that what
// Abseil calls Unknown (EIO among others) is Unavailable here: the house
// codes have no Unknown, and a failing disk is the service unavailable, not
// a bad request.
//
// Thread-safety: pure function.
#ifndef HASHWATCH_COMMON_ERRNO_STATUS_H_
#define HASHWATCH_COMMON_ERRNO_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace hashwatch {

// "<message>: <strerror(err)>" with the code above. `err` must not be 0.
absl::Status ErrnoStatus(int err, absl::string_view message);

}  // namespace hashwatch

#endif  // HASHWATCH_COMMON_ERRNO_STATUS_H_
