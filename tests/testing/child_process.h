// A child process whose standard output is read line by line while it runs,
// for tests that kill a process at a chosen moment (crash tests).
//
//   ChildProcess child({BinaryPath("queue_crash_child"), dir});
//   std::string line;
//   while (n < k && child.ReadLine(&line)) ++n;
//   child.Kill(SIGKILL);
//   while (child.ReadLine(&line)) ...;  // lines written before the kill
//   child.Wait();
//
// The other stream is inherited. With Stream::kStderr the child's
// standard error is read instead (e.g. a server's log, waiting for its
// "serving on" line). Not thread-safe.
#ifndef HASHWATCH_TESTS_TESTING_CHILD_PROCESS_H_
#define HASHWATCH_TESTS_TESTING_CHILD_PROCESS_H_

#include <sys/resource.h>
#include <sys/types.h>

#include <string>
#include <vector>

namespace hashwatch::testing {

class ChildProcess {
 public:
  enum class Stream { kStdout, kStderr };

  // Starts argv[0] (a path) with `read` piped to ReadLine; started() is
  // false when that fails.
  explicit ChildProcess(const std::vector<std::string>& argv,
                        Stream read = Stream::kStdout);
  ~ChildProcess();  // kills (SIGKILL) and reaps a child still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool started() const { return pid_ > 0; }
  // The child's process id while it runs (not yet reaped), else -1.
  pid_t pid() const { return pid_; }

  // Blocks for the next complete line (without '\n'); false at end of
  // output (a trailing partial line is dropped).
  bool ReadLine(std::string* line);

  void Kill(int signal);

  // Reaps the child: its exit code, or -signal when a signal ended it.
  // `usage`, when given, receives the child's resource usage (CPU time,
  // peak RSS in ru_maxrss).
  int Wait(struct rusage* usage = nullptr);

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string buffer_;
  bool eof_ = false;
};

}  // namespace hashwatch::testing

#endif  // HASHWATCH_TESTS_TESTING_CHILD_PROCESS_H_
