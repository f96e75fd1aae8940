// The `hashwatch` command line: a thin front over the libraries. Exit codes:
// 0 success, 1 an input or operation failed, 2 usage error.
#include <sys/stat.h>

#include <iostream>

#include "CLI/CLI.hpp"
#include "cli/bank_command.h"
#include "cli/hash_command.h"
#include "cli/match_command.h"
#include "cli/report_command.h"
#include "cli/review_command.h"
#include "cli/scan_command.h"
#include "cli/serve_command.h"
#include "cli/token_command.h"

int main(int argc, char** argv) {
  // Databases, token files, previews and exports hold the most sensitive
  // data a platform has: whatever the caller's umask, what hashwatch creates
  // is readable by its own user only (folders 0700, files 0600).
  umask(077);
  CLI::App app{"hashwatch: hash images and match them against known-imagery lists"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "hashwatch 0.1.0");

  hashwatch::cli::HashCommandOptions hash_options;
  CLI::App* hash = hashwatch::cli::AddHashCommand(app, hash_options);
  hashwatch::cli::BankCommandOptions bank_options;
  CLI::App* bank = hashwatch::cli::AddBankCommand(app, bank_options);
  hashwatch::cli::MatchCommandOptions match_options;
  CLI::App* match = hashwatch::cli::AddMatchCommand(app, match_options);
  hashwatch::cli::ScanCommandOptions scan_options;
  CLI::App* scan = hashwatch::cli::AddScanCommand(app, scan_options);
  hashwatch::cli::ReviewCommandOptions review_options;
  CLI::App* review = hashwatch::cli::AddReviewCommand(app, review_options);
  hashwatch::cli::ReportCommandOptions report_options;
  CLI::App* report = hashwatch::cli::AddReportCommand(app, report_options);
  hashwatch::cli::ServeCommandOptions serve_options;
  CLI::App* serve = hashwatch::cli::AddServeCommand(app, serve_options);
  hashwatch::cli::TokenCommandOptions token_options;
  CLI::App* token = hashwatch::cli::AddTokenCommand(app, token_options);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    std::cerr << "hashwatch: " << e.what() << " (see --help)\n";
    return 2;
  }
  if (hash->parsed()) {
    return hashwatch::cli::RunHashCommand(hash_options, std::cout, std::cerr);
  }
  if (bank->parsed()) {
    return hashwatch::cli::RunBankCommand(bank_options, std::cout, std::cerr);
  }
  if (match->parsed()) {
    return hashwatch::cli::RunMatchCommand(match_options, std::cout, std::cerr);
  }
  if (scan->parsed()) {
    return hashwatch::cli::RunScanCommand(scan_options, std::cout, std::cerr);
  }
  if (review->parsed()) {
    return hashwatch::cli::RunReviewCommand(review_options, std::cout, std::cerr);
  }
  if (report->parsed()) {
    return hashwatch::cli::RunReportCommand(report_options, std::cout, std::cerr);
  }
  if (serve->parsed()) {
    return hashwatch::cli::RunServeCommand(serve_options, std::cout, std::cerr);
  }
  if (token->parsed()) {
    return hashwatch::cli::RunTokenCommand(token_options, std::cout, std::cerr);
  }
  return 2;
}
