#include "common/read_input.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_format.h"
#include "common/errno_status.h"

namespace hashwatch {
namespace {

// Reads up to `size` bytes; 0 at the end of the input.
absl::StatusOr<size_t> ReadSome(int fd, char* buf, size_t size) {
  while (true) {
    const ssize_t n = ::read(fd, buf, size);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return ErrnoStatus(errno, "cannot read");
  }
}

}  // namespace

absl::Status ForEachInputLine(
    const std::string& path, size_t max_line_bytes,
    const std::function<absl::Status(absl::string_view)>& visit) {
  const bool stdin_input = path == "-";
  const int fd =
      stdin_input ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "cannot open");
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    if (!stdin_input) ::close(fd);
    return absl::InvalidArgumentError("is a directory");
  }
  std::vector<char> buf(1 << 20);
  std::string partial;    // a line split across reads
  bool skipping = false;  // past max_line_bytes + 1 of the current line
  absl::Status status;
  while (status.ok()) {
    absl::StatusOr<size_t> n = ReadSome(fd, buf.data(), buf.size());
    if (!n.ok()) {
      status = n.status();
      break;
    }
    if (*n == 0) {
      if (!partial.empty()) status = visit(partial);
      break;
    }
    absl::string_view chunk(buf.data(), *n);
    while (status.ok() && !chunk.empty()) {
      const size_t nl = chunk.find('\n');
      const absl::string_view piece = chunk.substr(0, nl);
      if (!skipping) {
        // Keep one byte more than the limit, so the visitor sees that the
        // line is too long without the process holding all of it.
        partial.append(
            piece.data(),
            std::min(piece.size(), max_line_bytes + 1 - partial.size()));
        skipping = partial.size() > max_line_bytes;
      }
      if (nl == absl::string_view::npos) break;
      status = visit(partial);
      partial.clear();
      skipping = false;
      chunk.remove_prefix(nl + 1);
    }
  }
  if (!stdin_input) ::close(fd);
  return status;
}

absl::StatusOr<std::string> ReadInput(const std::string& path,
                                      int64_t max_bytes) {
  const bool stdin_input = path == "-";
  const int fd =
      stdin_input ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "cannot open");
  struct stat st;
  if (::fstat(fd, &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      if (!stdin_input) ::close(fd);
      return absl::InvalidArgumentError("is a directory");
    }
    if (S_ISREG(st.st_mode) && st.st_size > max_bytes) {
      if (!stdin_input) ::close(fd);
      return absl::ResourceExhaustedError(
          absl::StrFormat("file is %d bytes, over the limit of %d bytes",
                          static_cast<int64_t>(st.st_size), max_bytes));
    }
  }
  std::string data;
  if (S_ISREG(st.st_mode)) data.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  absl::Status status;
  while (true) {
    absl::StatusOr<size_t> n = ReadSome(fd, buf, sizeof(buf));
    if (!n.ok()) {
      status = n.status();
      break;
    }
    if (*n == 0) break;
    if (static_cast<int64_t>(data.size() + *n) > max_bytes) {
      status = absl::ResourceExhaustedError(
          absl::StrFormat("input is over the limit of %d bytes", max_bytes));
      break;
    }
    data.append(buf, *n);
  }
  if (!stdin_input) ::close(fd);
  if (!status.ok()) return status;
  return data;
}

}  // namespace hashwatch
