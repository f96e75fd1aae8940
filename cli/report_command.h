// `hashwatch report list|export --server HOST:PORT`: the reports filed for
// law enforcement, through a server's ReportService.
//
//   report list [--state pending|submitted] [--bank B] [--from T] [--to T]
//               [--limit N]
//     a header, then one tab-separated line per report, oldest first:
//     id  created  state  origin  category  content_id  bank  distance
//     (bank and distance of the closest evidence; "-" with none).
//   report export [same filters]
//     the server's JSON lines, one report per line, as sent.
//
// T is an RFC 3339 time or a duration from now ("-24h").
#ifndef HASHWATCH_CLI_REPORT_COMMAND_H_
#define HASHWATCH_CLI_REPORT_COMMAND_H_

#include <iosfwd>
#include <string>

#include "CLI/CLI.hpp"
#include "cli/client.h"

namespace hashwatch::cli {

struct ReportCommandOptions {
  ClientOptions client;
  std::string action;  // "list", "export" (set by the callbacks)
  std::string state;   // "", "pending", "submitted"
  std::string bank;    // only reports with evidence from this bank
  std::string from;    // created >= from; empty: no bound
  std::string to;      // created < to; empty: no bound
  int limit = 0;       // 0: the server's default (1000)
};

// Registers the flags and subcommands of `report` on `command`, the
// subcommand itself (its name and help are in cli/commands.cc), bound to
// `options`.
void SetupReportCommand(CLI::App& command, ReportCommandOptions& options);

// Runs the parsed subcommand. Exit code: 0 success, 1 a failed call, 2
// usage (a bad --from/--to, HASHWATCH_TOKEN unset).
int RunReportCommand(const ReportCommandOptions& options, std::ostream& out,
                     std::ostream& err);

}  // namespace hashwatch::cli

#endif  // HASHWATCH_CLI_REPORT_COMMAND_H_
