// Authentication of every call from its metadata alone, before gRPC reads
// a request message: a grpc::AuthMetadataProcessor on the server's
// credentials checks the bearer token, so a call without a valid one ends
// with UNAUTHENTICATED before its body is read, and an unknown caller costs
// the server no memory for its request. The health service
// (grpc.health.v1) needs no token, for probes. The role check stays per
// method, in the handlers (Authorize).
//
// gRPC 1.51 hands the processor the connection's auth context, shared by
// every call on the connection, not one per call: a principal stored there
// would leak to the connection's other calls (another token's). So the
// handlers find the caller's principal from the call's own metadata again
// (PrincipalOf: a SHA-256 and a map look-up).
//
// gRPC 1.51's InsecureServerCredentials abort on SetAuthMetadataProcessor,
// so plaintext serving uses local credentials (PlaintextCredentials), which
// speak plain HTTP/2 like insecure ones and also refuse non-loopback peers.
#ifndef HASHWATCH_REVIEW_API_CALL_AUTH_H_
#define HASHWATCH_REVIEW_API_CALL_AUTH_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/security/auth_metadata_processor.h"
#include "grpcpp/security/server_credentials.h"
#include "review_api/auth.h"

namespace hashwatch::review_api {

// The processor to set on the server credentials. `tokens` (not owned)
// must outlive the server.
std::shared_ptr<grpc::AuthMetadataProcessor> MakeTokenAuthProcessor(
    const TokenStore* tokens);

// Credentials for plaintext serving on `listen` (a loopback or unix:
// address): local credentials, which accept processors.
std::shared_ptr<grpc::ServerCredentials> PlaintextCredentials(
    absl::string_view listen);

// The token of "authorization: Bearer <token>" in `metadata`;
// Unauthenticated naming what is wrong otherwise.
absl::StatusOr<absl::string_view> BearerToken(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata);

// The principal of the call's bearer token; Unauthenticated when there is
// none (a call the processor let through: a health check) or it no longer
// holds.
absl::StatusOr<Principal> PrincipalOf(const grpc::ServerContext& context,
                                      const TokenStore& tokens);

}  // namespace hashwatch::review_api

#endif  // HASHWATCH_REVIEW_API_CALL_AUTH_H_
