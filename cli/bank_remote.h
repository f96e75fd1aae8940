// `hashwatch bank ... --server HOST:PORT`: the bank subcommands through a
// running server's BankService, printing what the direct path prints.
#ifndef HASHWATCH_CLI_BANK_REMOTE_H_
#define HASHWATCH_CLI_BANK_REMOTE_H_

#include <iosfwd>

#include "cli/bank_command.h"

namespace hashwatch::cli {

// Runs the parsed subcommand (options.action) against options.client.
// Exit code: 0 success, 1 failure (one line on `err` per problem, a failed
// call as "hashwatch: bank <action> <name>: <CODE>: <message>"), 2 usage
// (HASHWATCH_TOKEN unset, bad connection flags).
int RunRemoteBankCommand(const BankCommandOptions& options, std::ostream& out,
                         std::ostream& err);

}  // namespace hashwatch::cli

#endif  // HASHWATCH_CLI_BANK_REMOTE_H_
