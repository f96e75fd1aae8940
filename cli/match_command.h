// `hashwatch match`: hashes files (or takes hashes) and prints every bank
// entry they match.
#ifndef HASHWATCH_CLI_MATCH_COMMAND_H_
#define HASHWATCH_CLI_MATCH_COMMAND_H_

#include <iosfwd>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "matcher/hashes.h"

namespace hashwatch::cli {

struct MatchCommandOptions {
  std::string db;
  int radius = 31;
  bool dihedral = false;
  bool regions = false;  // also match recovered regions (matcher/regions.h)
  bool json = false;
  bool compat = false;
  std::vector<std::string> files;
  std::vector<std::string> hashes;
};

// Registers the flags and subcommands of `match` on `command`, the
// subcommand itself (its name and help are in cli/commands.cc), bound to
// `options`.
void SetupMatchCommand(CLI::App& command, MatchCommandOptions& options);

// Exit code: 0 every query ran (matched or not), 1 an input failed.
int RunMatchCommand(const MatchCommandOptions& options, std::ostream& out,
                    std::ostream& err);

}  // namespace hashwatch::cli

#endif  // HASHWATCH_CLI_MATCH_COMMAND_H_
