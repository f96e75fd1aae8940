#include "bench/eval/plot.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/errno_status.h"

extern char** environ;

namespace hashwatch::bench {
namespace {

bool Executable(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         access(path.c_str(), X_OK) == 0;
}

}  // namespace

std::string GnuplotPreamble(int width, int height) {
  return absl::StrCat(
      "set terminal pngcairo size ", width, ",", height,
      " font 'DejaVu Sans,10' noenhanced\n",
      "set encoding utf8\nset grid lc rgb '#dddddd'\nset key noenhanced\n");
}

bool GnuplotAvailable() {
  const char* path = std::getenv("PATH");
  for (absl::string_view dir :
       absl::StrSplit(path ? path : "/usr/bin:/bin", ':')) {
    if (!dir.empty() && Executable(absl::StrCat(dir, "/gnuplot"))) return true;
  }
  return false;
}

std::string GnuplotQuote(absl::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  out += '"';
  return out;
}

absl::Status RunGnuplot(const std::string& dir, absl::string_view script) {
  if (!GnuplotAvailable()) {
    return absl::FailedPreconditionError(
        "plot: gnuplot is not installed (Debian package gnuplot-nox; "
        "scripts/install-deps.sh installs it), or pass --no-plots");
  }
  // A gnuplot that exits early must not kill this process through SIGPIPE
  // on the script pipe; the failed write is handled below instead.
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { std::signal(SIGPIPE, SIG_IGN); });
  int in_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    return ErrnoStatus(errno, "plot: pipe");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null",
                                   O_WRONLY, 0);
  posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
  char arg0[] = "gnuplot";
  char* argv[] = {arg0, nullptr};
  pid_t pid = 0;
  const int rc =
      posix_spawnp(&pid, "gnuplot", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in_pipe[0]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(in_pipe[1]);
    close(err_pipe[0]);
    return ErrnoStatus(rc, "plot: cannot start gnuplot");
  }
  // Feed the script and drain stderr together so neither pipe can fill up.
  std::string err;
  size_t written = 0;
  int in_fd = in_pipe[1];
  bool err_open = true;
  char buf[4096];
  while (in_fd >= 0 || err_open) {
    pollfd fds[2];
    int n = 0;
    if (err_open) fds[n++] = {err_pipe[0], POLLIN, 0};
    if (in_fd >= 0) fds[n++] = {in_fd, POLLOUT, 0};
    if (poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == in_fd) {
        const ssize_t w =
            write(in_fd, script.data() + written, script.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if (w < 0 || written == script.size()) {
          close(in_fd);
          in_fd = -1;
        }
      } else {
        const ssize_t r = read(err_pipe[0], buf, sizeof(buf));
        if (r > 0) {
          err.append(buf, static_cast<size_t>(r));
        } else {
          err_open = false;
        }
      }
    }
  }
  if (in_fd >= 0) close(in_fd);
  close(err_pipe[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  // gnuplot prints warnings on stderr too; only the exit status decides.
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    // gnuplot ends its report with "line N: <what went wrong>".
    std::string last;
    for (absl::string_view line :
         absl::StrSplit(err, '\n', absl::SkipWhitespace())) {
      last = std::string(line);
    }
    return absl::InternalError(absl::StrCat("plot: gnuplot failed: ", last));
  }
  return absl::OkStatus();
}

}  // namespace hashwatch::bench
