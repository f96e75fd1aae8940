// `hashwatch match`: hashes files (or takes hashes) and prints every bank
// entry they match, along the same paths and with the same defaults as a
// server's scan (matcher/lookup.h): the whole picture and the pictures
// recovered from inside it, rotated copies for the banks whose policy asks,
// within the widest review distance.
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
  int radius = -1;        // -1: the widest review_distance of any bank
  bool dihedral = false;  // rotated copies for every bank (scan.dihedral)
  int max_regions = 6;    // recovered pictures (scan.max_regions); 0: off
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
