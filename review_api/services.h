// The gRPC services of hashwatch.v1 over the Engine: the role check for
// each method (the caller's token was checked before the call reached
// them, see call_auth.h), the limit on calls in progress, token re-checks
// of open streams, and the mapping of absl::Status onto gRPC status.
// Nothing else: behaviour lives in the Engine.
#ifndef HASHWATCH_REVIEW_API_SERVICES_H_
#define HASHWATCH_REVIEW_API_SERVICES_H_

#include <atomic>
#include <memory>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/codegen/service_type.h"
#include "review_api/auth.h"
#include "review_api/engine.h"
#include "review_api/open_streams.h"

namespace hashwatch::review_api {

// The calls in progress over all services, against
// limits.max_concurrent_calls.
struct CallCount {
  explicit CallCount(int max) : max(max) {}
  const int max;
  std::atomic<int> in_progress{0};
};

// What every service needs. Not owned; all outlive the services.
struct ServiceDeps {
  Engine* engine = nullptr;
  TokenStore* tokens = nullptr;
  // Set when the server begins shutting down: long streams (Watch) end.
  const std::atomic<bool>* shutting_down = nullptr;
  CallCount* calls = nullptr;
  OpenStreams* streams = nullptr;  // re-checks the tokens of open streams
  // limits.scan_stream_inflight_bytes.
  int64_t scan_stream_inflight_bytes = 128 << 20;
};

// The scan service (scan_service.cc).
std::unique_ptr<grpc::Service> MakeScanService(const ServiceDeps& deps);

// The four services, ready to register with a grpc::ServerBuilder.
std::vector<std::unique_ptr<grpc::Service>> MakeServices(
    const ServiceDeps& deps);

}  // namespace hashwatch::review_api

#endif  // HASHWATCH_REVIEW_API_SERVICES_H_
