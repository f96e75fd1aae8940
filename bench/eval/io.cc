#include "bench/eval/io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/errno_status.h"

namespace hashwatch::bench {
namespace {

absl::Status ErrnoStatus(int err, absl::string_view what,
                         absl::string_view path) {
  return ::hashwatch::ErrnoStatus(err, absl::StrCat(what, " ", path));
}

}  // namespace

absl::StatusOr<std::string> ReadWholeFile(const std::string& path,
                                          size_t max_bytes) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "cannot open", path);
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    close(fd);
    return ErrnoStatus(err, "cannot stat", path);
  }
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is a folder, not a file"));
  }
  if (static_cast<size_t>(st.st_size) > max_bytes) {
    close(fd);
    return absl::InvalidArgumentError(absl::StrCat(
        path, " has ", st.st_size, " bytes, over the limit of ", max_bytes));
  }
  std::string out;
  out.resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      close(fd);
      return ErrnoStatus(err, "cannot read", path);
    }
    if (n == 0) break;  // shrank while reading
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  close(fd);
  return out;
}

absl::Status WriteWholeFile(const std::string& path, absl::string_view bytes) {
  const std::string tmp = path + ".tmp";
  const int fd =
      open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus(errno, "cannot create", tmp);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      close(fd);
      unlink(tmp.c_str());
      return ErrnoStatus(err, "cannot write", tmp);
    }
    done += static_cast<size_t>(n);
  }
  if (close(fd) != 0) {
    const int err = errno;
    unlink(tmp.c_str());
    return ErrnoStatus(err, "cannot write", tmp);
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    unlink(tmp.c_str());
    return ErrnoStatus(err, "cannot rename to", path);
  }
  return absl::OkStatus();
}

absl::Status MakeDirs(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot create folder ", dir, ": ", ec.message()));
  }
  if (!std::filesystem::is_directory(dir, ec)) {
    return absl::InvalidArgumentError(
        absl::StrCat(dir, " exists and is not a folder"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ScratchDir>> ScratchDir::Create(
    absl::string_view prefix) {
  std::vector<std::string> bases;
  if (const char* tmpdir = std::getenv("TMPDIR");
      tmpdir != nullptr && *tmpdir != '\0') {
    bases.push_back(tmpdir);
  } else {
    bases.push_back("/dev/shm");
  }
  bases.push_back("/tmp");
  for (const std::string& base : bases) {
    std::string tmpl = absl::StrCat(base, "/", prefix, "-XXXXXX");
    if (mkdtemp(tmpl.data()) != nullptr) {
      return std::unique_ptr<ScratchDir>(new ScratchDir(std::move(tmpl)));
    }
  }
  return absl::UnavailableError(
      absl::StrCat("cannot create a temporary folder ", prefix,
                   "-* under $TMPDIR, /dev/shm or /tmp"));
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace hashwatch::bench
