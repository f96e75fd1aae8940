// `hashwatch serve`: runs the gRPC server (review_api/server.h) until
// SIGTERM or SIGINT.
#ifndef HASHWATCH_CLI_SERVE_COMMAND_H_
#define HASHWATCH_CLI_SERVE_COMMAND_H_

#include <iosfwd>
#include <string>

#include "CLI/CLI.hpp"

namespace hashwatch::cli {

struct ServeCommandOptions {
  std::string config;      // JSON config file; empty = defaults
  std::string db;          // overrides the file's "db"
  std::string listen;      // overrides the file's "listen"
  bool plaintext = false;  // overrides: serve without TLS (local development)
  std::string port_file;   // write the bound port here once serving
  bool print_config = false;
};

// Registers the flags and subcommands of `serve` on `command`, the
// subcommand itself (its name and help are in cli/commands.cc), bound to
// `options`.
void SetupServeCommand(CLI::App& command, ServeCommandOptions& options);

// Exit code: 0 after a clean shutdown, 1 when the server cannot start
// (one line on `err`).
int RunServeCommand(const ServeCommandOptions& options, std::ostream& out,
                    std::ostream& err);

}  // namespace hashwatch::cli

#endif  // HASHWATCH_CLI_SERVE_COMMAND_H_
