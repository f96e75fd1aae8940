// `hashwatch hash`: hashes files (or standard input) and prints one line, or
// one JSON object, per input.
#ifndef HASHWATCH_CLI_HASH_COMMAND_H_
#define HASHWATCH_CLI_HASH_COMMAND_H_

#include <iosfwd>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "matcher/hashes.h"

namespace hashwatch::cli {

struct HashCommandOptions {
  matcher::HashOptions hash;
  bool json = false;
  int threads = 0;                  // 0 = one per core
  std::vector<std::string> inputs;  // paths; "-" is standard input
};

// Registers the flags and subcommands of `hash` on `command`, the
// subcommand itself (its name and help are in cli/commands.cc), bound to
// `options`.
void SetupHashCommand(CLI::App& command, HashCommandOptions& options);

// Runs it. Results go to `out` in input order; each failed input gets one
// line on `err` naming it and the reason. Returns the exit code: 0 when
// every input hashed, 1 otherwise.
int RunHashCommand(const HashCommandOptions& options, std::ostream& out,
                   std::ostream& err);

}  // namespace hashwatch::cli

#endif  // HASHWATCH_CLI_HASH_COMMAND_H_
