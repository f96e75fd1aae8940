// The gRPC services of hashwatch.v1 over the Engine: authentication (a
// bearer token in the `authorization` metadata), the role check for each
// method, and the mapping of absl::Status onto gRPC status. Nothing else:
// behaviour lives in the Engine.
#ifndef HASHWATCH_REVIEW_API_SERVICES_H_
#define HASHWATCH_REVIEW_API_SERVICES_H_

#include <atomic>
#include <memory>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/codegen/service_type.h"
#include "review_api/auth.h"
#include "review_api/engine.h"

namespace hashwatch::review_api {

// What every service needs. Not owned; all outlive the services.
struct ServiceDeps {
  Engine* engine = nullptr;
  TokenStore* tokens = nullptr;
  // Set when the server begins shutting down: long streams (Watch) end.
  const std::atomic<bool>* shutting_down = nullptr;
};

// The four services, ready to register with a grpc::ServerBuilder.
std::vector<std::unique_ptr<grpc::Service>> MakeServices(
    const ServiceDeps& deps);

}  // namespace hashwatch::review_api

#endif  // HASHWATCH_REVIEW_API_SERVICES_H_
