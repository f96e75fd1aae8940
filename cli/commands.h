// The `hashwatch` subcommands as rows of a command table
// (common/command_table.h), in the order --help lists them.
//
// Two libraries: the client commands (scan, review, report), which only
// talk to a server, are in hw_cli_client, which links the generated gRPC
// stubs, cli/client.h and the matcher's value types, and none of the
// server, the stores or image decoding; a client command that reached for
// them would fail to link (tests/cli/client_link_test.cc links hw_cli_client
// alone). Every command, the direct-database ones and `serve` too, is in
// hw_cli.
#ifndef HASHWATCH_CLI_COMMANDS_H_
#define HASHWATCH_CLI_COMMANDS_H_

#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "common/command_table.h"

namespace hashwatch::cli {

// A row for a command written as SetupXCommand / RunXCommand: its options
// are an `Options` kept with the row; it prints on std::cout and std::cerr.
template <typename Options>
Command CliCommand(std::string name, std::string description,
                   void (*setup)(CLI::App&, Options&),
                   int (*run)(const Options&, std::ostream&, std::ostream&)) {
  return MakeCommand<Options>(
      std::move(name), std::move(description), setup,
      [run](Options& o) { return run(o, std::cout, std::cerr); });
}

// scan, review, report (hw_cli_client).
std::vector<Command> ClientCommands();

// Every command: hash, bank, match, the client commands, serve, token
// (hw_cli).
std::vector<Command> AllCommands();

}  // namespace hashwatch::cli

#endif  // HASHWATCH_CLI_COMMANDS_H_
