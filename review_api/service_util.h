// What the gRPC service implementations share (private to review_api's
// service layer): the role check, the call limit, answers and stream
// writes. Meant for services.cc and scan_service.cc only.
#ifndef HASHWATCH_REVIEW_API_SERVICE_UTIL_H_
#define HASHWATCH_REVIEW_API_SERVICE_UTIL_H_

#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"
#include "grpcpp/grpcpp.h"
#include "review_api/auth.h"
#include "review_api/call_auth.h"
#include "review_api/convert.h"
#include "review_api/open_streams.h"
#include "review_api/services.h"

namespace hashwatch::review_api::service_internal {

// The caller's principal (its token was checked before the call reached
// the handler; see call_auth.h for why it is looked up again), checked for
// `permission`.
inline absl::StatusOr<Principal> Authorized(const grpc::ServerContext& context,
                                            const TokenStore& tokens,
                                            Permission permission) {
  HW_ASSIGN_OR_RETURN(Principal who, PrincipalOf(context, tokens));
  HW_RETURN_IF_ERROR(Authorize(who, permission));
  return who;
}

// One of limits.max_concurrent_calls, held while a handler runs.
class CallSlot {
 public:
  explicit CallSlot(CallCount* calls) : calls_(calls) {
    held_ = calls_->in_progress.fetch_add(1) < calls_->max;
  }
  ~CallSlot() { calls_->in_progress.fetch_sub(1); }
  CallSlot(const CallSlot&) = delete;
  CallSlot& operator=(const CallSlot&) = delete;

  bool held() const { return held_; }
  grpc::Status Refusal() const {
    return grpc::Status(
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        absl::StrCat("server busy: limits.max_concurrent_calls (", calls_->max,
                     ") calls are in progress; retry later"));
  }

 private:
  CallCount* calls_;
  bool held_;
};

// In a handler: checks the caller for `permission` and binds the principal
// to `who`, then takes a call slot; returns the gRPC status of a refusal.
#define HW_GRPC_AUTHORIZE(who, permission)                               \
  auto who##_or =                                                        \
      service_internal::Authorized(*context, *deps_.tokens, permission); \
  if (!who##_or.ok()) return ToGrpc(who##_or.status());                  \
  const Principal& who = *who##_or;                                      \
  service_internal::CallSlot hw_call_slot(deps_.calls);                  \
  if (!hw_call_slot.held()) return hw_call_slot.Refusal()

// The same where the handler does not need the principal.
#define HW_GRPC_REQUIRE(permission)         \
  HW_GRPC_AUTHORIZE(hw_caller, permission); \
  (void)hw_caller

template <typename T>
grpc::Status Answer(absl::StatusOr<T> result, T* out) {
  if (!result.ok()) return ToGrpc(result.status());
  *out = *std::move(result);
  return grpc::Status::OK;
}

// Writes one message of a server stream, unless the caller's token no
// longer holds (that error); Cancelled with `gone` when the client has
// cancelled or the write fails.
template <typename Message>
absl::Status Written(grpc::ServerContext* context,
                     grpc::ServerWriter<Message>* writer,
                     const OpenStreams::Registration& open,
                     const Message& message, absl::string_view gone) {
  HW_RETURN_IF_ERROR(open.status());
  if (context->IsCancelled() || !writer->Write(message))
    return absl::CancelledError(gone);
  return absl::OkStatus();
}

}  // namespace hashwatch::review_api::service_internal

#endif  // HASHWATCH_REVIEW_API_SERVICE_UTIL_H_
