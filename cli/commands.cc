#include "cli/commands.h"

#include "cli/bank_command.h"
#include "cli/hash_command.h"
#include "cli/match_command.h"
#include "cli/serve_command.h"
#include "cli/token_command.h"

namespace hashwatch::cli {

std::vector<Command> AllCommands() {
  std::vector<Command> commands = {
      CliCommand<HashCommandOptions>(
          "hash",
          "Hash images: PDQ, quality, MD5, SHA-1, SHA-256 (one line each)",
          SetupHashCommand, RunHashCommand),
      CliCommand<BankCommandOptions>("bank",
                                     "Manage hash banks (lists of known "
                                     "hashes), in --db or through --server",
                                     SetupBankCommand, RunBankCommand),
      CliCommand<MatchCommandOptions>(
          "match",
          "Hash images (or take hashes) and print every bank entry they match",
          SetupMatchCommand, RunMatchCommand),
  };
  for (Command& c : ClientCommands()) commands.push_back(std::move(c));
  commands.push_back(CliCommand<ServeCommandOptions>(
      "serve",
      "Run the gRPC server (scan, banks, review queue, reports) until SIGTERM",
      SetupServeCommand, RunServeCommand));
  commands.push_back(CliCommand<TokenCommandOptions>(
      "token", "Manage the review API's bearer tokens", SetupTokenCommand,
      RunTokenCommand));
  return commands;
}

}  // namespace hashwatch::cli
