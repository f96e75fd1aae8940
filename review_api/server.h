// The hashwatch server: the Engine and the token store under one database
// directory, the four hashwatch.v1 services, gRPC health checking
// (grpc.health.v1, open without a token) and, when configured, server
// reflection, on one port, with TLS or (for local development on loopback,
// logged as a warning) plaintext. Every other call's token is checked from
// its metadata before its body is read (call_auth.h).
//
//   HW_ASSIGN_OR_RETURN(auto server, Server::Start(config, Clock::Real()));
//   ... server->port() ...
//   server->Shutdown();  // in-flight calls finish, then the stores close
#ifndef HASHWATCH_REVIEW_API_SERVER_H_
#define HASHWATCH_REVIEW_API_SERVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/codegen/service_type.h"
#include "review_api/auth.h"
#include "review_api/config.h"
#include "review_api/engine.h"
#include "review_api/open_streams.h"
#include "review_api/services.h"

namespace hashwatch::review_api {

class Server final {
 public:
  // Opens the stores and starts serving. Unavailable when the address is
  // held by another process ("address HOST:PORT is in use by another
  // process", checked before the database is opened; the port is never
  // shared, SO_REUSEPORT is off) or cannot be bound, or when another process
  // holds the database ("the database DIR is in use by another hashwatch
  // process", common/database_in_use.h); InvalidArgument for a bad
  // configuration, missing TLS settings (ValidateTlsConfig) or unreadable
  // TLS files. `cancel_load` as for Engine::Open.
  static absl::StatusOr<std::unique_ptr<Server>> Start(
      const ServerConfig& config, Clock* clock,
      std::function<bool()> cancel_load = nullptr);
  ~Server();  // Shutdown() if not done yet

  int port() const { return port_; }
  // Stops accepting calls, gives in-flight calls up to
  // config.shutdown_grace to finish (streams such as Watch end at once with
  // UNAVAILABLE), then closes the stores. Idempotent.
  void Shutdown();

  Engine& engine() { return *engine_; }
  const OpenStreams& open_streams() const { return *streams_; }

 private:
  Server() = default;
  void HousekeepingLoop();

  ServerConfig config_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<TokenStore> tokens_;
  std::unique_ptr<CallCount> calls_;
  std::unique_ptr<OpenStreams> streams_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<grpc::Server> server_;
  std::atomic<bool> shutting_down_{false};
  int port_ = 0;
  absl::Mutex mu_;
  bool stop_housekeeping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread housekeeping_;
};

// For `hashwatch serve`: starts the server, writes the bound port to
// `port_file` (when not empty), logs "serving on HOST:PORT", and blocks
// until SIGTERM or SIGINT, then shuts down gracefully. A signal while the
// stores are still loading stops the load and returns OK without serving.
absl::Status RunUntilSignal(const ServerConfig& config,
                            const std::string& port_file);

}  // namespace hashwatch::review_api

#endif  // HASHWATCH_REVIEW_API_SERVER_H_
