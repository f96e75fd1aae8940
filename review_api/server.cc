#include "review_api/server.h"

#include <netdb.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/database_in_use.h"
#include "common/log.h"
#include "common/read_input.h"
#include "common/status_macros.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/resource_quota.h"
#include "grpcpp/security/server_credentials.h"
#include "review_api/call_auth.h"
#include "review_api/services.h"

namespace hashwatch::review_api {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path,
                                    absl::string_view what) {
  auto pem = ReadInput(path, 1 << 20);
  if (!pem.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "config: cannot read ", what, " ", path, ": ", pem.status().message()));
  }
  if (pem->find("-----BEGIN") == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("config: ", what, " ", path, " is not PEM"));
  }
  return pem;
}

// The server's credentials, without the token check (set by Start).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(
    const ServerConfig& c) {
  if (c.plaintext) {
    HW_LOG(kWarning,
           "serving WITHOUT TLS (plaintext): local development only; tokens "
           "and images "
           "cross the network unencrypted");
    return PlaintextCredentials(c.listen);
  }
  grpc::SslServerCredentialsOptions options;
  HW_ASSIGN_OR_RETURN(std::string key, ReadPem(c.tls.key_file, "tls.key_file"));
  HW_ASSIGN_OR_RETURN(std::string cert,
                      ReadPem(c.tls.cert_file, "tls.cert_file"));
  options.pem_key_cert_pairs.push_back({key, cert});
  if (!c.tls.client_ca_file.empty()) {
    HW_ASSIGN_OR_RETURN(options.pem_root_certs,
                        ReadPem(c.tls.client_ca_file, "tls.client_ca_file"));
    options.client_certificate_request =
        c.tls.require_client_cert
            ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
            : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

// Unavailable "address LISTEN is in use by another process" when another
// socket holds the port: a socket bound as gRPC binds its listeners
// (SO_REUSEADDR; SO_REUSEPORT off, see Start) is refused with EADDRINUSE on
// an address HOST resolves to. OK for port 0 and every other outcome, which
// gRPC reports when it binds.
absl::Status CheckAddressFree(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  std::string host = listen.substr(0, colon);
  const std::string port = listen.substr(colon + 1);
  if (port == "0") return absl::OkStatus();
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints,
                  &found) != 0) {
    return absl::OkStatus();
  }
  absl::Cleanup free_found = [found] { freeaddrinfo(found); };
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd =
        socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    const bool in_use =
        bind(fd, a->ai_addr, a->ai_addrlen) != 0 && errno == EADDRINUSE;
    close(fd);
    if (in_use) {
      return absl::UnavailableError(
          absl::StrCat("address ", listen, " is in use by another process"));
    }
  }
  return absl::OkStatus();
}

// Offers gRPC server reflection on one server, or not. Linking
// grpc++_reflection registers its plugin for every server at static
// initialisation; this option removes it unless `enabled` (and adds it
// where it is missing).
class ReflectionOption final : public grpc::ServerBuilderOption {
 public:
  explicit ReflectionOption(bool enabled) : enabled_(enabled) {}
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>*
                         plugins) override {
    const std::string name =
        grpc::reflection::ProtoServerReflectionPlugin().name();
    std::erase_if(*plugins, [&](const auto& p) { return p->name() == name; });
    if (enabled_) {
      plugins->push_back(
          std::make_unique<grpc::reflection::ProtoServerReflectionPlugin>());
    }
  }

 private:
  const bool enabled_;
};

// The resource limits of config.limits and config.threads.
void SetLimits(const ServerConfig& config, grpc::ServerBuilder* builder) {
  builder->SetMaxReceiveMessageSize(
      static_cast<int>(config.limits.max_message_bytes));
  builder->SetMaxSendMessageSize(
      static_cast<int>(config.limits.max_message_bytes));
  builder->AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                              config.limits.max_streams_per_connection);
  // Before a call's token is checked, its client may already send what
  // the stream's receive window allows: with BDP probing gRPC grows that
  // window to several MiB (and a connection's read buffer up to 4 MiB).
  builder->AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE,
                              config.http2_bdp_probe ? 1 : 0);
  builder->AddChannelArgument(GRPC_ARG_TCP_MAX_READ_CHUNK_SIZE, 1 << 20);
  grpc::ResourceQuota quota("hashwatch");
  quota.SetMaxThreads(config.threads);
  quota.Resize(static_cast<size_t>(config.limits.memory_quota_bytes));
  builder->SetResourceQuota(quota);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Start(
    const ServerConfig& config, Clock* clock,
    std::function<bool()> cancel_load) {
  HW_RETURN_IF_ERROR(ValidateServerConfig(config));
  HW_RETURN_IF_ERROR(ValidateTlsConfig(config));
  // Before the database is opened (or made) and its index loaded: a server
  // that cannot listen says so at once.
  HW_RETURN_IF_ERROR(CheckAddressFree(config.listen));
  std::unique_ptr<Server> s(new Server());
  s->config_ = config;
  HW_ASSIGN_OR_RETURN(auto credentials, Credentials(config));
  HW_LOG(kInfo, "opening database %s", config.db);
  absl::StatusOr<std::unique_ptr<Engine>> engine =
      Engine::Open(config, clock, std::move(cancel_load));
  if (IsDatabaseLocked(engine.status())) return DatabaseInUseError(config.db);
  HW_ASSIGN_OR_RETURN(s->engine_, std::move(engine));
  HW_ASSIGN_OR_RETURN(s->tokens_,
                      TokenStore::Open(config.db + "/tokens.json", clock));
  auto tokens = s->tokens_->List();
  if (tokens.ok() && tokens->empty()) {
    HW_LOG(
        kWarning,
        "no tokens exist yet, so every call will be refused: create one with "
        "`hashwatch token create NAME --role ROLE --db %s`",
        config.db);
  }

  // Every call's token is checked from its metadata, before its body is
  // read.
  credentials->SetAuthMetadataProcessor(
      MakeTokenAuthProcessor(s->tokens_.get()));
  s->calls_ = std::make_unique<CallCount>(config.limits.max_concurrent_calls);
  s->streams_ = std::make_unique<OpenStreams>(s->tokens_.get(),
                                              config.token_recheck_interval);
  s->services_ = MakeServices(
      {.engine = s->engine_.get(),
       .tokens = s->tokens_.get(),
       .shutting_down = &s->shutting_down_,
       .calls = s->calls_.get(),
       .streams = s->streams_.get(),
       .scan_stream_inflight_bytes = config.limits.scan_stream_inflight_bytes});
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.SetOption(std::make_unique<ReflectionOption>(config.reflection));
  builder.AddListeningPort(config.listen, credentials, &s->port_);
  // gRPC sets SO_REUSEPORT by default: a second server on the same port
  // would then bind too, and connections would split between two
  // databases. Off, the port is this server's alone.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  SetLimits(config, &builder);
  for (auto& service : s->services_) builder.RegisterService(service.get());
  s->server_ = builder.BuildAndStart();
  if (s->server_ == nullptr || s->port_ == 0) {
    // Taken since CheckAddressFree, by a server that started beside this one?
    HW_RETURN_IF_ERROR(CheckAddressFree(config.listen));
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", config.listen));
  }
  s->server_->GetHealthCheckService()->SetServingStatus(true);
  s->housekeeping_ = std::thread([p = s.get()] { p->HousekeepingLoop(); });
  return s;
}

Server::~Server() { Shutdown(); }

void Server::HousekeepingLoop() {
  absl::MutexLock lock(&mu_);
  while (!stop_housekeeping_) {
    mu_.AwaitWithTimeout(absl::Condition(&stop_housekeeping_),
                         absl::Minutes(1));
    if (stop_housekeeping_) break;
    mu_.Unlock();
    absl::Status s = engine_->Housekeeping();
    if (!s.ok()) HW_LOG(kWarning, "housekeeping: %s", s.ToString());
    mu_.Lock();
  }
}

void Server::Shutdown() {
  if (shutting_down_.exchange(true)) return;
  if (server_ != nullptr) {
    server_->GetHealthCheckService()->SetServingStatus(false);
    server_->Shutdown(std::chrono::system_clock::now() +
                      absl::ToChronoSeconds(config_.shutdown_grace));
    server_->Wait();
  }
  {
    absl::MutexLock lock(&mu_);
    stop_housekeeping_ = true;
  }
  if (housekeeping_.joinable()) housekeeping_.join();
  server_.reset();
  services_.clear();
  streams_.reset();  // after the services: every stream has ended
  tokens_.reset();
  engine_.reset();  // closes the databases after every call has ended
}

absl::Status RunUntilSignal(const ServerConfig& config,
                            const std::string& port_file) {
  // Block the signals in every thread (gRPC's included) and take them here.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A thread of its own takes the signal, so that one arriving while the
  // stores load (a 10M-entry index takes seconds) stops the load.
  std::atomic<int> received{0};
  absl::Notification stop;
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    received = sig;
    stop.Notify();
  });
  auto end_waiter = [&] {
    if (!waiter.joinable()) return;
    if (!stop.HasBeenNotified()) pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
  };
  absl::Cleanup join_waiter = end_waiter;  // on every return
  auto signal_name = [&] { return received == SIGINT ? "SIGINT" : "SIGTERM"; };
  absl::StatusOr<std::unique_ptr<Server>> started = Server::Start(
      config, Clock::Real(), [&] { return stop.HasBeenNotified(); });
  if (!started.ok()) {
    const bool cancelled =
        stop.HasBeenNotified() && absl::IsCancelled(started.status());
    end_waiter();
    if (cancelled) {
      HW_LOG(kInfo, "%s while loading: stopped before serving", signal_name());
      return absl::OkStatus();
    }
    return started.status();
  }
  std::unique_ptr<Server> server = *std::move(started);
  const std::string host = config.listen.substr(0, config.listen.rfind(':'));
  const std::string where = absl::StrCat(host, ":", server->port());
  if (!port_file.empty()) {
    const std::string tmp = port_file + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << server->port() << "\n";
      if (!out)
        return absl::UnavailableError(absl::StrCat("cannot write ", tmp));
    }
    if (std::rename(tmp.c_str(), port_file.c_str()) != 0) {
      return absl::UnavailableError(absl::StrCat("cannot write ", port_file));
    }
  }
  HW_LOG(kInfo, "serving on %s (%s), database %s", where,
         config.plaintext ? "plaintext" : "TLS", config.db);
  stop.WaitForNotification();
  end_waiter();
  HW_LOG(kInfo, "%s: shutting down (in-flight calls get %s)", signal_name(),
         absl::FormatDuration(config.shutdown_grace));
  server->Shutdown();
  HW_LOG(kInfo, "stopped; databases closed");
  return absl::OkStatus();
}

}  // namespace hashwatch::review_api
