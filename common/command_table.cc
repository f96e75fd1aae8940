#include "common/command_table.h"

#include <iostream>

namespace hashwatch {

int RunCommandTable(CLI::App& app, const std::vector<Command>& commands,
                    int argc, char** argv, absl::string_view program) {
  app.require_subcommand(1);
  std::vector<CLI::App*> added;
  for (const Command& c : commands) {
    added.push_back(app.add_subcommand(c.name, c.description));
    c.setup(*added.back());
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    std::cerr << program << ": " << e.what() << " (see --help)\n";
    return 2;
  }
  for (size_t i = 0; i < commands.size(); ++i) {
    if (added[i]->parsed()) return commands[i].run();
  }
  return 2;
}

}  // namespace hashwatch
