// Engine: the moderators' calls (lease, read, reveal) and cases; Decide is
// in engine_decide.cc.
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "review_api/convert.h"
#include "review_api/engine.h"

namespace hashwatch::review_api {

absl::StatusOr<v1::LeaseResponse> Engine::Lease(
    const Reviewer& who, const v1::LeaseRequest& request) {
  HW_ASSIGN_OR_RETURN(const RequestValidator::LeaseArgs args,
                      validator_.Lease(request, who.lead));
  HW_ASSIGN_OR_RETURN(
      std::vector<queue::LeasedItem> leased,
      queue_->Lease(who.name, args.max_items, args.lanes, who.token_id));
  v1::LeaseResponse response;
  for (const queue::LeasedItem& l : leased) {
    v1::LeasedItem* out = response.add_items();
    ToProto(l.item, out->mutable_item());
    out->set_lease_id(l.lease.lease_id);
    ToProto(l.expires, out->mutable_expires());
    out->set_effective_priority(l.effective_priority);
    out->set_overdue(l.overdue);
    if (l.item.has_preview) {
      HW_ASSIGN_OR_RETURN(*out->mutable_preview_jpeg(),
                          queue_->GetPreview(l.item.id));
    }
  }
  return response;
}

absl::StatusOr<v1::ExtendLeaseResponse> Engine::ExtendLease(
    const Reviewer& who, const v1::ExtendLeaseRequest& request) {
  HW_ASSIGN_OR_RETURN(
      absl::Time expires,
      queue_->ExtendLease(
          who.name, {request.item_id(), request.lease_id(), who.token_id}));
  v1::ExtendLeaseResponse response;
  ToProto(expires, response.mutable_expires());
  return response;
}

absl::Status Engine::Release(const Reviewer& who,
                             const v1::ReleaseRequest& request) {
  return queue_->Release(who.name,
                         {request.item_id(), request.lease_id(), who.token_id});
}

absl::Status Engine::CheckNeedToKnow(const Reviewer& who,
                                     const queue::ReviewItem& item) const {
  if (who.lead) return absl::OkStatus();
  if (item.state == queue::ItemState::kEscalated ||
      item.lane == escalation_lane_) {
    return absl::PermissionDeniedError(absl::StrCat(
        "item ", item.id, " is escalated: only leads and admins may read it"));
  }
  if (item.state == queue::ItemState::kLeased &&
      item.lease_holder == who.name && item.lease_token == who.token_id &&
      item.lease_expires > clock_->Now()) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "item ", item.id,
      " is not leased to you: a moderator reads and reveals only the items "
      "they hold under a live lease of this token"));
}

absl::StatusOr<v1::ReviewItem> Engine::GetItem(
    const Reviewer& who, const v1::GetItemRequest& request) const {
  HW_ASSIGN_OR_RETURN(queue::ReviewItem item,
                      queue_->GetItem(request.item_id()));
  HW_RETURN_IF_ERROR(CheckNeedToKnow(who, item));
  v1::ReviewItem out;
  ToProto(item, &out);
  return out;
}

absl::StatusOr<v1::QueueStats> Engine::Stats() const {
  HW_ASSIGN_OR_RETURN(queue::QueueStats stats, queue_->Stats());
  v1::QueueStats out;
  ToProto(stats, &out);
  for (uint64_t id : flood_guard_.Flagged()) out.add_flagged_entries(id);
  return out;
}

absl::StatusOr<v1::RevealResponse> Engine::Reveal(
    const Reviewer& who, const v1::RevealRequest& request) {
  HW_RETURN_IF_ERROR(validator_.CheckReveal(request));
  HW_ASSIGN_OR_RETURN(queue::ReviewItem item,
                      queue_->GetItem(request.item_id()));
  HW_RETURN_IF_ERROR(CheckNeedToKnow(who, item));
  if (item.state == queue::ItemState::kDecided) {
    return absl::FailedPreconditionError(
        absl::StrCat("item ", item.id,
                     " is decided; its unblurred preview is no longer kept"));
  }
  const absl::Duration retention = config_.review.reveal_preview_retention;
  if (item.enqueue_time + retention <= clock_->Now()) {
    // The sweep in Housekeeping deletes it; refuse it already.
    return absl::FailedPreconditionError(absl::StrCat(
        "item ", item.id, " was queued more than ",
        absl::FormatDuration(retention),
        " ago (review.reveal_preview_retention_seconds); its unblurred "
        "preview is no longer kept"));
  }
  HW_ASSIGN_OR_RETURN(std::string jpeg,
                      records_->GetRevealPreview(request.item_id()));
  // Audited before the image leaves the server.
  HW_RETURN_IF_ERROR(
      queue_->RecordReveal(who.name, request.item_id(), request.reason()));
  HW_LOG(kInfo, "item %d: unblurred preview revealed to %s", request.item_id(),
         who.name);
  v1::RevealResponse response;
  response.set_image_jpeg(std::move(jpeg));
  return response;
}

absl::StatusOr<v1::EnqueueCaseResponse> Engine::EnqueueCase(
    const v1::EnqueueCaseRequest& request) {
  HW_ASSIGN_OR_RETURN(const queue::EnqueueRequest item,
                      validator_.Case(request));
  HW_ASSIGN_OR_RETURN(queue::EnqueueResult r, queue_->Enqueue(item));
  v1::EnqueueCaseResponse response;
  response.set_item_id(r.item_id);
  response.set_created(r.created);
  return response;
}

}  // namespace hashwatch::review_api
