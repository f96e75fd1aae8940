// `hashwatch serve` as a child process, for the CLI tests that need a real
// server. The constructor returns once the server has logged "serving on
// HOST:PORT", or has exited without serving (a refused start); its log
// (standard error) is then drained by a thread, so the server never blocks
// on a full pipe.
//
//   ServerProcess server(db);  // plaintext on 127.0.0.1:0
//   ASSERT_FALSE(server.address().empty()) << server.Stop() << server.Log();
//   ... hashwatch scan --plaintext --server server.address() ...
//   EXPECT_EQ(server.Stop(), 0);
#ifndef HASHWATCH_TESTS_CLI_SERVER_PROCESS_H_
#define HASHWATCH_TESTS_CLI_SERVER_PROCESS_H_

#include <string>
#include <thread>
#include <vector>

#include "tests/testing/child_process.h"

namespace hashwatch::testing {

class ServerProcess {
 public:
  // Runs `hashwatch serve --db DB FLAGS...`.
  explicit ServerProcess(const std::string& db,
                         const std::vector<std::string>& flags = {
                             "--plaintext", "--listen", "127.0.0.1:0"});
  ~ServerProcess();  // Stop() if not done yet
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // HOST:PORT; empty when the server did not come up.
  const std::string& address() const { return address_; }

  // SIGTERM, then the exit code once the server has shut down (or the exit
  // code it ended with on its own).
  int Stop();

  // The server's log, one string per line; complete only after Stop().
  const std::vector<std::string>& LogLines() const { return log_; }
  // The same, joined with newlines.
  std::string Log() const;

 private:
  ChildProcess child_;
  std::string address_;
  std::vector<std::string> log_;  // written by the drain thread until Stop()
  std::thread drain_;
  bool running_ = true;
};

}  // namespace hashwatch::testing

#endif  // HASHWATCH_TESTS_CLI_SERVER_PROCESS_H_
