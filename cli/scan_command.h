// `hashwatch scan FILE... --server HOST:PORT`: sends image files to a
// server's ScanService over one ScanStream and prints what it decided, one
// line (or one JSON object) per file, in the order given.
//
// Text output, tab-separated:
//   FILE  VERDICT  BEST_BANK  BEST_DISTANCE  REF
// VERDICT is the enum name (NO_MATCH, AUTO_REPORTED, QUEUED_FOR_REVIEW,
// ALLOWED); BEST_* is the closest match ("-" with none); REF is
// "report r-..." for AUTO_REPORTED, "item N" for QUEUED_FOR_REVIEW, else
// "-". A file that cannot be read, or whose item fails on the server, gets
// one line on stderr instead ("hashwatch: FILE: ..." / "hashwatch: scan
// FILE: CODE: message"); with --json the failed item also gets its object
// with an `error` member.
#ifndef HASHWATCH_CLI_SCAN_COMMAND_H_
#define HASHWATCH_CLI_SCAN_COMMAND_H_

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "cli/client.h"

namespace hashwatch::cli {

struct ScanCommandOptions {
  ClientOptions client;
  std::vector<std::string> files;  // "-" is standard input
  // The idempotency key; default the SHA-256 hex of the file. One file only.
  std::string content_id;
  // ScanContext; empty / unset fields are not sent.
  std::string lane;
  std::string uploader_id;
  std::string uploader_ip;
  std::string upload_time;  // RFC 3339 or a duration from now ("-2h")
  std::optional<double> classifier_score;  // 0..1
  bool user_report = false;
  std::vector<std::string> signals;
  bool json = false;
};

// Registers the flags and subcommands of `scan` on `command`, the
// subcommand itself (its name and help are in cli/commands.cc), bound to
// `options`.
void SetupScanCommand(CLI::App& command, ScanCommandOptions& options);

// Runs it. Exit code: 0 when every file was scanned, 1 when a file could
// not be read, an item failed or the call failed, 2 usage (--content-id
// with several files, HASHWATCH_TOKEN unset).
int RunScanCommand(const ScanCommandOptions& options, std::ostream& out,
                   std::ostream& err);

}  // namespace hashwatch::cli

#endif  // HASHWATCH_CLI_SCAN_COMMAND_H_
