#include "review_api/open_streams.h"

#include "common/log.h"
#include "review_api/call_auth.h"

namespace hashwatch::review_api {

OpenStreams::OpenStreams(const TokenStore* tokens, absl::Duration interval)
    : tokens_(tokens), interval_(interval) {
  thread_ = std::thread([this] { Loop(); });
}

OpenStreams::~OpenStreams() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

std::unique_ptr<OpenStreams::Registration> OpenStreams::Register(
    grpc::ServerContext* context, Permission permission) {
  absl::StatusOr<absl::string_view> token =
      BearerToken(context->client_metadata());
  std::unique_ptr<Registration> r(new Registration(
      this, context, permission, token.ok() ? std::string(*token) : ""));
  absl::MutexLock lock(&mu_);
  open_.insert(r.get());
  return r;
}

OpenStreams::Registration::~Registration() {
  absl::MutexLock lock(&owner_->mu_);
  owner_->open_.erase(this);
}

int OpenStreams::open() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(open_.size());
}

absl::Status OpenStreams::Registration::status() const {
  if (ok()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  return status_;
}

void OpenStreams::Loop() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval_);
    if (!stopping_) CheckAll();
  }
}

// Under mu_, so no Registration (nor its call) goes away meanwhile; a
// token check is a hash and a look-up, quick enough for hundreds.
void OpenStreams::CheckAll() {
  for (Registration* r : open_) {
    if (!r->ok()) {
      // Told one interval ago and still open: blocked in a read or write.
      if (++r->rounds_failed_ == 2) r->context_->TryCancel();
      continue;
    }
    absl::StatusOr<Principal> who = tokens_->Authenticate(r->token_);
    absl::Status still =
        who.ok() ? Authorize(*who, r->permission_) : who.status();
    if (still.ok()) continue;
    HW_LOG(kInfo, "an open stream's token no longer holds: %s",
           still.message());
    {
      absl::MutexLock hold(&r->mu_);
      r->status_ = still;
    }
    r->rounds_failed_ = 1;
    r->failed_.store(true, std::memory_order_release);
    refused_.fetch_add(1);
  }
}

}  // namespace hashwatch::review_api
