// The client commands' rows: only what talks to a server (hw_cli_client).
#include "cli/commands.h"
#include "cli/report_command.h"
#include "cli/review_command.h"
#include "cli/scan_command.h"

namespace hashwatch::cli {

std::vector<Command> ClientCommands() {
  return {
      CliCommand<ScanCommandOptions>(
          "scan",
          "Scan image files through a hashwatch server (reports, review queue)",
          SetupScanCommand, RunScanCommand),
      CliCommand<ReviewCommandOptions>(
          "review", "Moderate the review queue through a hashwatch server",
          SetupReviewCommand, RunReviewCommand),
      CliCommand<ReportCommandOptions>(
          "report", "List and export reports through a hashwatch server",
          SetupReportCommand, RunReportCommand),
  };
}

}  // namespace hashwatch::cli
