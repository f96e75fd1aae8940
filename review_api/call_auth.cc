#include "review_api/call_auth.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace hashwatch::review_api {
namespace {

// Methods open to every caller, with or without a token.
bool IsOpenMethod(absl::string_view path) {
  return absl::StartsWith(path, "/grpc.health.v1.Health/");
}

absl::string_view View(const grpc::string_ref& s) {
  return absl::string_view(s.data(), s.size());
}

class TokenAuthProcessor final : public grpc::AuthMetadataProcessor {
 public:
  explicit TokenAuthProcessor(const TokenStore* tokens) : tokens_(tokens) {}

  // A token check is a hash and a map look-up (plus a stat of the token
  // file): done on gRPC's own thread, no thread pool needed.
  bool IsBlocking() const override { return false; }

  grpc::Status Process(const InputMetadata& metadata, grpc::AuthContext*,
                       OutputMetadata*, OutputMetadata*) override {
    auto path = metadata.find(":path");
    if (path != metadata.end() && IsOpenMethod(View(path->second))) {
      return grpc::Status::OK;
    }
    absl::StatusOr<absl::string_view> token = BearerToken(metadata);
    if (!token.ok()) return Unauthenticated(token.status());
    absl::StatusOr<Principal> who = tokens_->Authenticate(*token);
    if (!who.ok()) return Unauthenticated(who.status());
    return grpc::Status::OK;
  }

 private:
  static grpc::Status Unauthenticated(const absl::Status& status) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        std::string(status.message()));
  }

  const TokenStore* tokens_;
};

}  // namespace

std::shared_ptr<grpc::AuthMetadataProcessor> MakeTokenAuthProcessor(
    const TokenStore* tokens) {
  return std::make_shared<TokenAuthProcessor>(tokens);
}

std::shared_ptr<grpc::ServerCredentials> PlaintextCredentials(
    absl::string_view listen) {
  const bool unix = absl::StartsWith(listen, "unix:") ||
                    absl::StartsWith(listen, "unix-abstract:");
  return grpc::experimental::LocalServerCredentials(unix ? UDS : LOCAL_TCP);
}

absl::StatusOr<absl::string_view> BearerToken(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return absl::UnauthenticatedError(
        "missing token: send metadata \"authorization: Bearer <token>\"");
  }
  absl::string_view value = View(it->second);
  if (!absl::ConsumePrefix(&value, "Bearer ") &&
      !absl::ConsumePrefix(&value, "bearer ")) {
    return absl::UnauthenticatedError(
        "authorization metadata must be \"Bearer <token>\"");
  }
  return value;
}

absl::StatusOr<Principal> PrincipalOf(const grpc::ServerContext& context,
                                      const TokenStore& tokens) {
  HW_ASSIGN_OR_RETURN(absl::string_view token,
                      BearerToken(context.client_metadata()));
  return tokens.Authenticate(token);
}

}  // namespace hashwatch::review_api
