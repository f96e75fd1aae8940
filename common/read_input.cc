#include "common/read_input.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_format.h"

namespace hashwatch {
namespace {

absl::Status ErrnoStatus(int err, const std::string& what) {
  const std::string msg = absl::StrFormat("%s: %s", what, std::strerror(err));
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(msg);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(msg);
    default:
      return absl::InvalidArgumentError(msg);
  }
}

}  // namespace

absl::StatusOr<std::string> ReadInput(const std::string& path,
                                      int64_t max_bytes) {
  const bool stdin_input = path == "-";
  const int fd = stdin_input ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "cannot open");
  struct stat st;
  if (::fstat(fd, &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      if (!stdin_input) ::close(fd);
      return absl::InvalidArgumentError("is a directory");
    }
    if (S_ISREG(st.st_mode) && st.st_size > max_bytes) {
      if (!stdin_input) ::close(fd);
      return absl::ResourceExhaustedError(absl::StrFormat(
          "file is %d bytes, over the limit of %d bytes",
          static_cast<int64_t>(st.st_size), max_bytes));
    }
  }
  std::string data;
  if (S_ISREG(st.st_mode)) data.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  absl::Status status;
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      status = ErrnoStatus(errno, "cannot read");
      break;
    }
    if (static_cast<int64_t>(data.size()) + n > max_bytes) {
      status = absl::ResourceExhaustedError(absl::StrFormat(
          "input is over the limit of %d bytes", max_bytes));
      break;
    }
    data.append(buf, static_cast<size_t>(n));
  }
  if (!stdin_input) ::close(fd);
  if (!status.ok()) return status;
  return data;
}

}  // namespace hashwatch
