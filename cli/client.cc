#include "cli/client.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ostream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/common_flags.h"
#include "common/read_input.h"
#include "grpc/support/log.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace hashwatch::cli {
namespace {

// Certificate and key files are small; anything larger is a wrong path.
constexpr int64_t kMaxPemBytes = 1 << 20;

absl::StatusOr<std::string> ReadPem(const std::string& flag,
                                    const std::string& path) {
  absl::StatusOr<std::string> pem = ReadInput(path, kMaxPemBytes);
  if (!pem.ok()) {
    return absl::Status(
        pem.status().code(),
        absl::StrCat(flag, " ", path, ": ", pem.status().message()));
  }
  return pem;
}

// gRPC's own log lines ("E1129 ... Handshake failed ...") would add to the
// one line a failed call prints; their reason is in the call's status. Set
// GRPC_VERBOSITY to see them.
void DropGrpcLog(gpr_log_func_args*) {}

// For a call that could not connect: a hint when gRPC's message says that
// client and server disagree about TLS, else "". gRPC words these failures
// as UNAVAILABLE "failed to connect to all addresses; last error: ...".
std::string TransportHint(const grpc::Status& status, bool plaintext) {
  if (status.error_code() != grpc::StatusCode::UNAVAILABLE) return "";
  const std::string message = absl::AsciiStrToLower(status.error_message());
  if (plaintext) {
    // A TLS server drops a connection that does not begin with a handshake.
    if (absl::StrContains(message, "socket closed") ||
        absl::StrContains(message, "connection reset")) {
      return " (the server closed the connection: if it uses TLS, drop "
             "--plaintext)";
    }
    return "";
  }
  if (!absl::StrContains(message, "handshake")) return "";
  if (absl::StrContains(message, "certificate verify failed")) {
    // The server speaks TLS; --plaintext would not help.
    return " (the server's certificate is not trusted: pass its CA with "
           "--ca-cert)";
  }
  if (absl::StrContains(message, "wrong version number")) {
    // OpenSSL's words for a peer that answered the handshake with no TLS.
    return " (the server does not speak TLS: if it runs with --plaintext, pass "
           "--plaintext)";
  }
  return " (TLS handshake failed: if the server runs without TLS, pass "
         "--plaintext)";
}

}  // namespace

void AddClientFlags(CLI::App& app, ClientOptions& o, bool server_required) {
  CLI::Option* server =
      app.add_option("--server", o.server,
                     server_required ? "HOST:PORT of the hashwatch server"
                                     : "HOST:PORT of the hashwatch server "
                                       "(default: work on --db directly)");
  if (server_required) server->required();
  app.add_flag("--plaintext", o.plaintext,
               "Connect without TLS (local development only: the token is sent "
               "in clear)");
  app.add_option(
      "--ca-cert", o.ca_cert,
      "PEM root certificates that verify the server (default: the system's)");
  app.add_option("--client-cert", o.client_cert,
                 "PEM client certificate chain (mutual TLS)");
  app.add_option("--client-key", o.client_key,
                 "PEM private key of --client-cert");
  app.add_option(
         "--timeout", o.timeout_seconds,
         "Deadline of each call in seconds (streaming exports have none)")
      ->default_val(30);
}

Connection::Connection(std::shared_ptr<grpc::Channel> channel,
                       std::string token, absl::Duration timeout,
                       bool plaintext)
    : channel_(std::move(channel)),
      token_(std::move(token)),
      timeout_(timeout),
      plaintext_(plaintext) {}

std::unique_ptr<grpc::ClientContext> Connection::NewContext(bool deadline,
                                                            int units) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("authorization", absl::StrCat("Bearer ", token_));
  if (deadline) {
    ctx->set_deadline(
        absl::ToChronoTime(absl::Now() + timeout_ * std::max(units, 1)));
  }
  return ctx;
}

int Connect(const ClientOptions& o, std::ostream& err,
            std::unique_ptr<Connection>* conn) {
  if (o.server.empty()) {
    err << "hashwatch: --server HOST:PORT is required (see --help)\n";
    return 2;
  }
  const char* token = std::getenv(kTokenEnv);
  if (token == nullptr || *token == '\0') {
    err << "hashwatch: set " << kTokenEnv << " to your API token\n";
    return 2;
  }
  if (o.client_cert.empty() != o.client_key.empty()) {
    err << "hashwatch: --client-cert and --client-key go together\n";
    return 2;
  }
  if (o.plaintext && (!o.ca_cert.empty() || !o.client_cert.empty())) {
    err << "hashwatch: --plaintext cannot be combined with --ca-cert or "
           "--client-cert\n";
    return 2;
  }
  if (!(o.timeout_seconds > 0) || !std::isfinite(o.timeout_seconds)) {
    err << "hashwatch: --timeout must be a positive number of seconds\n";
    return 2;
  }
  if (std::getenv("GRPC_VERBOSITY") == nullptr)
    gpr_set_log_function(DropGrpcLog);
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (o.plaintext) {
    credentials = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions ssl;  // empty roots: gRPC's default roots
    if (!o.ca_cert.empty()) {
      absl::StatusOr<std::string> pem = ReadPem("--ca-cert", o.ca_cert);
      if (!pem.ok()) return Fail(err, pem.status());
      ssl.pem_root_certs = *std::move(pem);
    }
    if (!o.client_cert.empty()) {
      absl::StatusOr<std::string> cert =
          ReadPem("--client-cert", o.client_cert);
      if (!cert.ok()) return Fail(err, cert.status());
      absl::StatusOr<std::string> key = ReadPem("--client-key", o.client_key);
      if (!key.ok()) return Fail(err, key.status());
      ssl.pem_cert_chain = *std::move(cert);
      ssl.pem_private_key = *std::move(key);
    }
    credentials = grpc::SslCredentials(ssl);
  }
  *conn = std::make_unique<Connection>(
      grpc::CreateChannel(o.server, credentials), token,
      absl::Seconds(o.timeout_seconds), o.plaintext);
  return 0;
}

std::string StatusCodeName(grpc::StatusCode code) {
  return StatusCodeName(static_cast<int>(code));
}

std::string StatusCodeName(int code) {
  // gRPC and absl number the canonical codes alike.
  std::string name =
      absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
  return name.empty() ? absl::StrCat("CODE_", code) : name;
}

int Connection::FailCall(std::ostream& err, absl::string_view what,
                         const grpc::Status& status) const {
  err << "hashwatch: " << what << ": " << StatusCodeName(status.error_code())
      << ": " << status.error_message() << TransportHint(status, plaintext_)
      << "\n";
  return 1;
}

}  // namespace hashwatch::cli
