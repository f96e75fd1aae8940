// Table-driven subcommands for the project's command lines (`hashwatch`,
// `hashwatch-bench`): each command is one row (name, help line, how it
// registers its flags, how it runs) and RunCommandTable registers, parses
// and dispatches them all in one loop.
//
//   std::vector<Command> commands = {
//       MakeCommand<HashFlags>("hash", "Hash images", SetupHash, RunHash),
//       ...};
//   CLI::App app{"tool: what it does"};
//   return RunCommandTable(app, commands, argc, argv, "tool");
//
// A row owns its flags (MakeCommand keeps them beside the two functions),
// so the table is all a main needs. Not thread-safe: one command line per
// process.
#ifndef HASHWATCH_COMMON_COMMAND_TABLE_H_
#define HASHWATCH_COMMON_COMMAND_TABLE_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/string_view.h"

namespace hashwatch {

struct Command {
  std::string name;         // the subcommand, e.g. "scan"
  std::string description;  // its line in --help
  // Registers the command's flags and subcommands on `command`, the
  // subcommand CLI11 made from name and description.
  std::function<void(CLI::App& command)> setup;
  // Runs the parsed command; returns the process's exit code.
  std::function<int()> run;
};

// A row whose flags are a default-constructed `Flags`, shared by `setup`
// (which binds them) and `run` (which reads them after parsing).
template <typename Flags>
Command MakeCommand(std::string name, std::string description,
                    std::function<void(CLI::App&, Flags&)> setup,
                    std::function<int(Flags&)> run) {
  auto flags = std::make_shared<Flags>();
  return Command{std::move(name), std::move(description),
                 [flags, setup = std::move(setup)](CLI::App& command) {
                   setup(command, *flags);
                 },
                 [flags, run = std::move(run)] { return run(*flags); }};
}

// Adds every row of `commands` to `app` as a subcommand (in table order, so
// --help lists them so), requires exactly one, parses argv and runs the one
// given. Returns its exit code; 0 after --help or --version (CLI11 prints
// them); 2 for a usage error, after "<program>: <what> (see --help)" on
// stderr.
int RunCommandTable(CLI::App& app, const std::vector<Command>& commands,
                    int argc, char** argv, absl::string_view program);

}  // namespace hashwatch

#endif  // HASHWATCH_COMMON_COMMAND_TABLE_H_
