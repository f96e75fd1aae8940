#include "cli/serve_command.h"

#include <ostream>

#include "cli/common_flags.h"
#include "review_api/config.h"
#include "review_api/server.h"

namespace hashwatch::cli {

void SetupServeCommand(CLI::App& command, ServeCommandOptions& options) {
  CLI::App* serve = &command;
  serve
      ->add_option("--config", options.config,
                   "JSON configuration file (docs/server-config.md); every key "
                   "is optional")
      ->check(CLI::ExistingFile);
  serve->add_option(
      "--db", options.db,
      "Database directory, created if missing (default ./var/hashwatch)");
  serve->add_option("--listen", options.listen,
                    "HOST:PORT to serve on (default 127.0.0.1:50051)");
  serve->add_flag(
      "--plaintext", options.plaintext,
      "Serve without TLS: local development only (logged as a warning)");
  serve->add_option(
      "--port-file", options.port_file,
      "Write the bound port to this file once serving (for --listen HOST:0)");
  serve->add_flag(
      "--print-config", options.print_config,
      "Print the effective configuration as JSON and exit (TLS settings "
      "are checked only when serving)");
}

int RunServeCommand(const ServeCommandOptions& options, std::ostream& out,
                    std::ostream& err) {
  review_api::ServerConfig config;
  if (!options.config.empty()) {
    auto loaded = review_api::LoadServerConfig(options.config);
    if (!loaded.ok()) return Fail(err, loaded.status());
    config = *std::move(loaded);
  }
  if (!options.db.empty()) config.db = options.db;
  if (!options.listen.empty()) config.listen = options.listen;
  if (options.plaintext) config.plaintext = true;
  if (absl::Status s = review_api::ValidateServerConfig(config); !s.ok())
    return Fail(err, s);
  // Printed whatever the TLS settings: they may be what is being written.
  if (options.print_config) {
    out << review_api::ServerConfigToJson(config) << "\n";
    return 0;
  }
  if (absl::Status s = review_api::ValidateTlsConfig(config); !s.ok()) {
    return Fail(err, s);
  }
  absl::Status s = review_api::RunUntilSignal(config, options.port_file);
  if (!s.ok()) return Fail(err, s);
  return 0;
}

}  // namespace hashwatch::cli
