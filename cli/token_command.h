// `hashwatch token ...`: create, list and revoke the bearer tokens of the
// review API, kept in <db>/tokens.json (review_api/auth.h).
#ifndef HASHWATCH_CLI_TOKEN_COMMAND_H_
#define HASHWATCH_CLI_TOKEN_COMMAND_H_

#include <iosfwd>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"

namespace hashwatch::cli {

struct TokenCommandOptions {
  std::string db;
  bool json = false;
  std::string name;
  std::string role;
  std::vector<std::string> grants;
  // Which subcommand ran (set by AddTokenCommand's callbacks).
  std::string action;
};

// Registers the flags and subcommands of `token` on `command`, the
// subcommand itself (its name and help are in cli/commands.cc), bound to
// `options`.
void SetupTokenCommand(CLI::App& command, TokenCommandOptions& options);

// Runs the parsed subcommand. `token create` prints the secret alone on
// `out` (its only showing) and a note on `err`. Exit code: 0 success,
// 1 failure (one line on `err`).
int RunTokenCommand(const TokenCommandOptions& options, std::ostream& out,
                    std::ostream& err);

}  // namespace hashwatch::cli

#endif  // HASHWATCH_CLI_TOKEN_COMMAND_H_
