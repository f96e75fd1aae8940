// The client commands (scan, bank --server, review, report) run as
// processes, for what needs no server: flag and token checks, unreadable
// files, an unreachable server, and `bank` on a database a server holds.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "matcher/bank_store.h"
#include "tests/testing/paths.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch {
namespace {

using ::hashwatch::testing::BinaryPath;
using ::hashwatch::testing::PdqTestImage;
using ::hashwatch::testing::ProcessResult;
using ::hashwatch::testing::RunProcess;
using ::hashwatch::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

// A local TCP port that refuses connections: bound, never listening, held
// for the test's lifetime so nothing else takes it.
class RefusingPort {
 public:
  RefusingPort() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd_ < 0 ||
        bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      std::abort();
    }
    address_ = absl::StrCat("127.0.0.1:", ntohs(addr.sin_port));
  }
  ~RefusingPort() { close(fd_); }
  const std::string& address() const { return address_; }

 private:
  int fd_ = -1;
  std::string address_;
};

class ClientCliTest : public ::testing::Test {
 protected:
  void SetUp() override { setenv("HASHWATCH_TOKEN", "test-token", 1); }
  void TearDown() override { unsetenv("HASHWATCH_TOKEN"); }

  ProcessResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), BinaryPath("hashwatch"));
    return RunProcess(args);
  }

  TempDir dir_;
  RefusingPort refusing_;
};

TEST_F(ClientCliTest, ClientCommandsRequireServer) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"scan", PdqTestImage("c.png")},
                                             {"review", "stats"},
                                             {"review", "next"},
                                             {"report", "list"}}) {
    ProcessResult r = Run(args);
    EXPECT_EQ(r.exit_code, 2) << args[0] << " " << args[1] << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr("--server"));
    EXPECT_THAT(r.out, IsEmpty());
  }
}

TEST_F(ClientCliTest, MissingTokenIsUsageError) {
  unsetenv("HASHWATCH_TOKEN");
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"scan", PdqTestImage("c.png"), "--plaintext", "--server",
            refusing_.address()},
           {"bank", "list", "--plaintext", "--server", refusing_.address()},
           {"review", "stats", "--plaintext", "--server", refusing_.address()},
           {"report", "export", "--plaintext", "--server",
            refusing_.address()}}) {
    ProcessResult r = Run(args);
    EXPECT_EQ(r.exit_code, 2) << args[0] << ": " << r.err;
    EXPECT_EQ(r.err, "hashwatch: set HASHWATCH_TOKEN to your API token\n");
  }
}

TEST_F(ClientCliTest, ContentIdNeedsExactlyOneFile) {
  ProcessResult r = Run({"scan", PdqTestImage("c.png"),
                         PdqTestImage("q0746.jpg"), "--content-id", "u-1",
                         "--plaintext", "--server", refusing_.address()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--content-id"));
}

TEST_F(ClientCliTest, UnreadableFilesFailWithOneLineEachAndNoCall) {
  const std::string missing = dir_.Sub("missing.jpg");
  ProcessResult r = Run({"scan", missing, dir_.path(), "--plaintext",
                         "--server", refusing_.address()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, IsEmpty());
  EXPECT_EQ(r.err, absl::StrCat(
                       "hashwatch: ", missing,
                       ": cannot open: No such file or directory\nhashwatch: ",
                       dir_.path(), ": is a directory\n"));
}

TEST_F(ClientCliTest, UnreachableServerIsOneLineWithTheCode) {
  ProcessResult stats =
      Run({"review", "stats", "--plaintext", "--server", refusing_.address()});
  EXPECT_EQ(stats.exit_code, 1);
  EXPECT_THAT(stats.err, StartsWith("hashwatch: review stats: UNAVAILABLE: "));
  EXPECT_EQ(std::count(stats.err.begin(), stats.err.end(), '\n'), 1);

  ProcessResult scan = Run({"scan", PdqTestImage("c.png"), "--plaintext",
                            "--server", refusing_.address()});
  EXPECT_EQ(scan.exit_code, 1);
  EXPECT_THAT(scan.err, StartsWith("hashwatch: scan: UNAVAILABLE: "));

  ProcessResult bank = Run(
      {"bank", "stats", "iwf", "--plaintext", "--server", refusing_.address()});
  EXPECT_EQ(bank.exit_code, 1);
  EXPECT_THAT(bank.err, StartsWith("hashwatch: bank stats iwf: UNAVAILABLE: "));
}

TEST_F(ClientCliTest, FlagMistakesAreUsageErrors) {
  const std::string server = refusing_.address();
  // A client certificate needs its key.
  EXPECT_EQ(
      Run({"review", "stats", "--server", server, "--client-cert", "c.pem"})
          .exit_code,
      2);
  EXPECT_EQ(Run({"review", "stats", "--server", server, "--plaintext",
                 "--timeout", "0"})
                .exit_code,
            2);
  ProcessResult confirm = Run({"review", "decide", "7", "9", "confirm",
                               "--plaintext", "--server", server});
  EXPECT_EQ(confirm.exit_code, 2);
  EXPECT_THAT(confirm.err, HasSubstr("--category"));
  EXPECT_EQ(Run({"review", "decide", "7", "9", "confirm", "--allow",
                 "--category", "A", "--plaintext", "--server", server})
                .exit_code,
            2);
  EXPECT_EQ(Run({"review", "decide", "7", "9", "approve", "--plaintext",
                 "--server", server})
                .exit_code,
            2);
  ProcessResult from = Run({"report", "list", "--from", "yesterday",
                            "--plaintext", "--server", server});
  EXPECT_EQ(from.exit_code, 2);
  EXPECT_THAT(from.err, HasSubstr("--from"));
  EXPECT_EQ(Run({"report", "list", "--state", "lost", "--plaintext", "--server",
                 server})
                .exit_code,
            2);
  EXPECT_EQ(Run({"scan", PdqTestImage("c.png"), "--classifier-score", "1.5",
                 "--plaintext", "--server", server})
                .exit_code,
            2);
}

TEST_F(ClientCliTest, UnreadableCaCertFailsBeforeAnyCall) {
  ProcessResult r = Run({"review", "stats", "--server", refusing_.address(),
                         "--ca-cert", dir_.Sub("none.pem")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("--ca-cert"));
  EXPECT_THAT(r.err, Not(HasSubstr("UNAVAILABLE")));
}

TEST_F(ClientCliTest, BankOnADatabaseHeldByAServerSaysPassServer) {
  const std::string db = dir_.Sub("db");
  std::filesystem::create_directories(db);
  matcher::BankStoreOptions options;
  options.path = db + "/banks";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<matcher::BankStore> held,
                       matcher::BankStore::Open(options, Clock::Real()));
  ProcessResult r = Run({"bank", "list", "--db", db});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            absl::StrCat("hashwatch: the database ", db,
                         " is in use by another hashwatch process; if it is a "
                         "running server, pass --server HOST:PORT\n"));
  EXPECT_THAT(r.out, IsEmpty());

  // `match` reads the same database: the same line, without the hint.
  ProcessResult match =
      Run({"match", "--hash", std::string(32, 'a'), "--db", db});
  EXPECT_EQ(match.exit_code, 1);
  EXPECT_EQ(match.err,
            absl::StrCat("hashwatch: the database ", db,
                         " is in use by another hashwatch process\n"));

  held.reset();
  ProcessResult free = Run({"bank", "list", "--db", db});
  EXPECT_EQ(free.exit_code, 0) << free.err;
}

}  // namespace
}  // namespace hashwatch
