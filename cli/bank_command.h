// `hashwatch bank ...`: create, list, inspect, import, export, remove and
// disable hash banks, and add own-material pictures (add-images): directly in
// the local database (--db), or through a running server's BankService
// (--server HOST:PORT; see cli/client.h). Both paths print the same output
// (cli/bank_common.h).
#ifndef HASHWATCH_CLI_BANK_COMMAND_H_
#define HASHWATCH_CLI_BANK_COMMAND_H_

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "cli/client.h"
#include "matcher/bank.h"

namespace hashwatch::cli {

struct BankCommandOptions {
  std::string db;
  bool json = false;
  std::string name;
  std::string file;
  std::string hash;
  std::string kind = "match";
  matcher::BankPolicy policy;
  bool no_auto_report = false;
  bool no_unbordered_auto_report = false;
  bool dihedral = false;
  std::string signal;  // empty = infer
  bool skip_invalid = false;
  std::string until;  // empty = indefinitely
  // add-images: the picture files and the labels of their entries.
  std::vector<std::string> files;
  std::string category;
  std::string source;
  std::string note;
  ClientOptions client;  // client.server empty: work on `db` directly
  // Which subcommand ran (set by AddBankCommand's callbacks).
  std::string action;
};

// Registers the flags and subcommands of `bank` on `command`, the
// subcommand itself (its name and help are in cli/commands.cc), bound to
// `options`.
void SetupBankCommand(CLI::App& command, BankCommandOptions& options);

// Runs the parsed subcommand. Exit code: 0 success, 1 failure (one line on
// `err` per problem).
int RunBankCommand(const BankCommandOptions& options, std::ostream& out,
                   std::ostream& err);

}  // namespace hashwatch::cli

#endif  // HASHWATCH_CLI_BANK_COMMAND_H_
