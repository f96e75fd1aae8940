// Token re-checks for long-lived calls: a revoked token ends the streams it
// opened within about one interval, whatever they are doing.
//
//   OpenStreams streams(tokens, absl::Seconds(2));
//   // in a streaming handler, after authentication:
//   auto open = streams.Register(context, Permission::kReadReports);
//   ... if (!open->status().ok()) return ToGrpc(open->status()); ...
//
// A thread re-authenticates every registered stream's bearer token each
// interval (and re-checks its permission). A failure is recorded in the
// stream's Registration, which the handler polls between messages and ends
// with (UNAUTHENTICATED, or PERMISSION_DENIED); a stream still open one
// interval later (blocked reading from a silent client, or writing to one
// that does not read) is cancelled (the client then sees CANCELLED).
#ifndef HASHWATCH_REVIEW_API_OPEN_STREAMS_H_
#define HASHWATCH_REVIEW_API_OPEN_STREAMS_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "review_api/auth.h"

namespace hashwatch::review_api {

class OpenStreams final {
 public:
  class Registration;

  // `tokens` (not owned) must outlive this.
  OpenStreams(const TokenStore* tokens, absl::Duration interval);
  ~OpenStreams();  // stops the thread; every Registration must be gone
  OpenStreams(const OpenStreams&) = delete;
  OpenStreams& operator=(const OpenStreams&) = delete;

  // Watches the call until the Registration is destroyed (before the
  // handler returns). The bearer token is taken from the call's metadata.
  std::unique_ptr<Registration> Register(grpc::ServerContext* context,
                                         Permission permission);

  // Streams open now, and streams told so far that their token no longer
  // holds (for tests and monitoring).
  int open() const;
  int64_t refused() const { return refused_.load(); }

 private:
  void Loop();
  void CheckAll();

  const TokenStore* tokens_;
  const absl::Duration interval_;
  mutable absl::Mutex mu_;
  absl::flat_hash_set<Registration*> open_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<int64_t> refused_{0};
  std::thread thread_;
};

class OpenStreams::Registration final {
 public:
  ~Registration();
  // OK while the token holds; the error to end the stream with once not.
  absl::Status status() const;
  bool ok() const { return !failed_.load(std::memory_order_acquire); }

 private:
  friend class OpenStreams;
  Registration(OpenStreams* owner, grpc::ServerContext* context,
               Permission permission, std::string token)
      : owner_(owner),
        context_(context),
        permission_(permission),
        token_(std::move(token)) {}

  OpenStreams* owner_;
  grpc::ServerContext* context_;
  const Permission permission_;
  const std::string token_;
  std::atomic<bool> failed_{false};
  mutable absl::Mutex mu_;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  int rounds_failed_ = 0;  // owner's thread only
};

}  // namespace hashwatch::review_api

#endif  // HASHWATCH_REVIEW_API_OPEN_STREAMS_H_
