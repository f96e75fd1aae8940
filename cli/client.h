// The gRPC side of the `hashwatch` client commands (scan, bank --server,
// review, report): the connection flags every such command shares, the
// channel they open, per-call contexts carrying the bearer token and the
// deadline, and the one-line error format for failed calls.
//
//   ClientOptions options;                    // bound by AddClientFlags
//   std::unique_ptr<Connection> conn;
//   if (int rc = Connect(options, err, &conn); rc != 0) return rc;
//   auto stub = hashwatch::v1::ReviewService::NewStub(conn->channel());
//   std::unique_ptr<grpc::ClientContext> ctx = conn->NewContext();
//   grpc::Status s = stub->Stats(ctx.get(), request, &stats);
//   if (!s.ok()) return conn->FailCall(err, "review stats", s);
//
// The token comes from the environment variable HASHWATCH_TOKEN and is sent
// as `authorization: Bearer <token>` metadata on every call. Connection is
// immutable after Connect and safe to share between threads.
#ifndef HASHWATCH_CLI_CLIENT_H_
#define HASHWATCH_CLI_CLIENT_H_

#include <iosfwd>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"

namespace hashwatch::cli {

// Environment variable holding the API token.
inline constexpr char kTokenEnv[] = "HASHWATCH_TOKEN";

struct ClientOptions {
  // HOST:PORT of the hashwatch server. Empty: not given (client commands
  // other than `bank` require it; `bank` then works on --db directly).
  std::string server;
  // No TLS. For local development only: the token travels in clear text.
  bool plaintext = false;
  // PEM file of root certificates that verify the server. Empty: the
  // system's roots.
  std::string ca_cert;
  // PEM certificate chain and private key for mutual TLS; both or neither.
  std::string client_cert;
  std::string client_key;
  // Deadline of each unary call in seconds, > 0. Streaming exports have
  // none; `scan` gives its stream this much per file.
  double timeout_seconds = 30;
};

// Registers --server, --plaintext, --ca-cert, --client-cert, --client-key
// and --timeout on `app`, bound to `options`. With `server_required`,
// CLI11 rejects a command line without --server (exit code 2).
void AddClientFlags(CLI::App& app, ClientOptions& options,
                    bool server_required);

class Connection final {
 public:
  Connection(std::shared_ptr<grpc::Channel> channel, std::string token,
             absl::Duration timeout, bool plaintext);

  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

  // A context for one call: the authorization metadata and, with
  // `deadline` (unary calls), the --timeout deadline scaled by `units`
  // (e.g. the number of files a stream carries).
  std::unique_ptr<grpc::ClientContext> NewContext(bool deadline = true,
                                                  int units = 1) const;

  // Prints "hashwatch: <what>: <CODE_NAME>: <message>" on `err` and returns
  // exit code 1. When the call could not connect because client and server
  // disagree about TLS, the line ends with a hint: a TLS handshake that
  // failed suggests --plaintext (or --ca-cert, for a certificate that does
  // not verify); a plaintext connection the server closed suggests dropping
  // --plaintext.
  int FailCall(std::ostream& err, absl::string_view what,
               const grpc::Status& status) const;

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::string token_;
  absl::Duration timeout_;
  bool plaintext_;
};

// Checks the flags and the token and opens the channel (lazily: nothing is
// sent before the first call). On success stores the connection in `*conn`
// and returns 0. Otherwise prints one line on `err` and returns the exit
// code: 2 for a usage error (no --server, HASHWATCH_TOKEN unset, a client
// certificate without its key, a bad --timeout), 1 when a certificate file
// cannot be read.
int Connect(const ClientOptions& options, std::ostream& err,
            std::unique_ptr<Connection>* conn);

// "INVALID_ARGUMENT", "UNAVAILABLE", ... (the canonical names).
std::string StatusCodeName(grpc::StatusCode code);
std::string StatusCodeName(int code);

}  // namespace hashwatch::cli

#endif  // HASHWATCH_CLI_CLIENT_H_
