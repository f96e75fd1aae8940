#include "tests/cli/server_process.h"

#include <signal.h>

#include "absl/strings/str_join.h"
#include "tests/testing/subprocess.h"

namespace hashwatch::testing {
namespace {

std::vector<std::string> ServeArgs(const std::string& db,
                                   const std::vector<std::string>& flags) {
  std::vector<std::string> args = {BinaryPath("hashwatch"), "serve", "--db",
                                   db};
  args.insert(args.end(), flags.begin(), flags.end());
  return args;
}

}  // namespace

ServerProcess::ServerProcess(const std::string& db,
                             const std::vector<std::string>& flags)
    : child_(ServeArgs(db, flags), ChildProcess::Stream::kStderr) {
  std::string line;
  while (child_.started() && child_.ReadLine(&line)) {
    log_.push_back(line);
    const size_t at = line.find("serving on ");
    if (at == std::string::npos) continue;
    address_ = line.substr(at + 11);
    address_ = address_.substr(0, address_.find(' '));
    break;
  }
  drain_ = std::thread([this] {
    std::string l;
    while (child_.ReadLine(&l)) log_.push_back(l);
  });
}

ServerProcess::~ServerProcess() {
  if (running_) Stop();
}

int ServerProcess::Stop() {
  running_ = false;
  child_.Kill(SIGTERM);
  drain_.join();
  return child_.Wait();
}

std::string ServerProcess::Log() const { return absl::StrJoin(log_, "\n"); }

}  // namespace hashwatch::testing
