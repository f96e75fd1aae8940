// The client commands (scan, review, report, bank --server) from a binary
// that links hw_cli_client alone: no server, no stores, no image decoding.
// That this test links is the check that they need nothing more (a client
// command reaching for server code fails the build here); running it checks
// that the table dispatches them with their usual usage errors.
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "cli/bank_command.h"
#include "cli/bank_remote.h"
#include "cli/client.h"
#include "cli/commands.h"
#include "common/command_table.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hashwatch::cli {
namespace {

using ::testing::HasSubstr;

struct Result {
  int code;
  std::string out, err;
};

Result RunClient(std::vector<std::string> args) {
  args.insert(args.begin(), "hashwatch");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  CLI::App app{"hashwatch client commands"};
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  const int code =
      RunCommandTable(app, ClientCommands(), static_cast<int>(argv.size()),
                      argv.data(), "hashwatch");
  std::string out = ::testing::internal::GetCapturedStdout();
  return {code, out, ::testing::internal::GetCapturedStderr()};
}

TEST(ClientLinkTest, ClientCommandsAreRowsInHelpOrder) {
  std::vector<std::string> names;
  for (const Command& c : ClientCommands()) names.push_back(c.name);
  EXPECT_THAT(names, ::testing::ElementsAre("scan", "review", "report"));
}

TEST(ClientLinkTest, UsageErrorsExitTwoNamingTheProblem) {
  unsetenv(kTokenEnv);
  Result no_server = RunClient({"review", "stats"});
  EXPECT_EQ(no_server.code, 2);
  EXPECT_THAT(no_server.err, HasSubstr("--server"));
  EXPECT_THAT(no_server.err, HasSubstr("(see --help)"));

  Result no_token = RunClient(
      {"scan", "picture.jpg", "--server", "127.0.0.1:1", "--plaintext"});
  EXPECT_EQ(no_token.code, 2);
  EXPECT_THAT(no_token.err, HasSubstr(kTokenEnv));

  Result none = RunClient({});
  EXPECT_EQ(none.code, 2);

  Result help = RunClient({"report", "--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_THAT(help.out,
              HasSubstr("List and export reports through a hashwatch server"));
}

TEST(ClientLinkTest, RemoteBankCommandsNeedOnlyTheClient) {
  unsetenv(kTokenEnv);
  BankCommandOptions o;
  o.action = "list";
  o.client.server = "127.0.0.1:1";
  o.client.plaintext = true;
  std::ostringstream out, err;
  EXPECT_EQ(RunRemoteBankCommand(o, out, err), 2);
  EXPECT_THAT(err.str(), HasSubstr(kTokenEnv));
}

}  // namespace
}  // namespace hashwatch::cli
