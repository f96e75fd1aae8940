// The `hashwatch` command line: a thin front over the libraries. Exit codes:
// 0 success, 1 an input or operation failed, 2 usage error.
#include <sys/stat.h>

#include "CLI/CLI.hpp"
#include "cli/commands.h"
#include "common/command_table.h"

int main(int argc, char** argv) {
  // Databases, token files, previews and exports hold the most sensitive
  // data a platform has: whatever the caller's umask, what hashwatch creates
  // is readable by its own user only (folders 0700, files 0600).
  umask(077);
  CLI::App app{
      "hashwatch: hash images and match them against known-imagery lists"};
  app.set_version_flag("--version", "hashwatch 0.1.0");
  return hashwatch::RunCommandTable(app, hashwatch::cli::AllCommands(), argc,
                                    argv, "hashwatch");
}
