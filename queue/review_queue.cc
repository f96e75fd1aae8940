// ReviewQueue forwards to its Impl, declared in
// queue/internal/review_queue_impl.h; that header lists the files that
// define it, one per section of the queue.
#include "queue/review_queue.h"

#include <memory>
#include <utility>

#include "common/status_macros.h"
#include "queue/internal/review_queue_impl.h"

namespace hashwatch::queue {

ReviewQueue::ReviewQueue(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ReviewQueue::~ReviewQueue() = default;

absl::StatusOr<std::unique_ptr<ReviewQueue>> ReviewQueue::Open(
    const QueueOptions& options, Clock* clock) {
  if (clock == nullptr)
    return absl::InvalidArgumentError("queue: clock is null");
  HW_RETURN_IF_ERROR(internal::ValidateOptions(options));
  auto impl = std::make_unique<Impl>(options, clock);
  HW_RETURN_IF_ERROR(impl->OpenDb());
  return std::unique_ptr<ReviewQueue>(new ReviewQueue(std::move(impl)));
}

absl::StatusOr<EnqueueResult> ReviewQueue::Enqueue(
    const EnqueueRequest& request) {
  HW_ASSIGN_OR_RETURN(std::vector<EnqueueResult> r,
                      impl_->EnqueueBatch(absl::MakeConstSpan(&request, 1)));
  return r[0];
}

absl::StatusOr<std::vector<EnqueueResult>> ReviewQueue::EnqueueBatch(
    absl::Span<const EnqueueRequest> requests) {
  return impl_->EnqueueBatch(requests);
}

absl::StatusOr<std::vector<LeasedItem>> ReviewQueue::Lease(
    absl::string_view moderator, int max_items,
    absl::Span<const std::string> lanes, absl::string_view token) {
  return impl_->Lease(moderator, max_items, lanes, token);
}

absl::StatusOr<absl::Time> ReviewQueue::ExtendLease(absl::string_view moderator,
                                                    const LeaseRef& lease) {
  return impl_->ExtendLease(moderator, lease);
}

absl::Status ReviewQueue::Release(absl::string_view moderator,
                                  const LeaseRef& lease) {
  return impl_->Release(moderator, lease);
}

absl::StatusOr<Decision> ReviewQueue::Decide(absl::string_view moderator,
                                             const LeaseRef& lease,
                                             const DecisionRequest& request) {
  return impl_->Decide(moderator, lease, request);
}

absl::Status ReviewQueue::RecordReveal(absl::string_view moderator,
                                       uint64_t item_id,
                                       absl::string_view reason) {
  return impl_->RecordReveal(moderator, item_id, reason);
}

absl::StatusOr<int> ReviewQueue::ExpireLeases() {
  return impl_->ExpireLeases();
}

absl::StatusOr<std::vector<uint64_t>> ReviewQueue::PendingDecisions(
    int max_items) const {
  return impl_->PendingDecisions(max_items);
}

absl::Status ReviewQueue::AcknowledgeDecision(uint64_t item_id) {
  return impl_->AcknowledgeDecision(item_id);
}

absl::StatusOr<ReviewItem> ReviewQueue::GetItem(uint64_t item_id) const {
  return impl_->GetItem(item_id);
}

absl::StatusOr<ReviewItem> ReviewQueue::FindItem(
    absl::string_view content_id) const {
  return impl_->FindItem(content_id);
}

absl::StatusOr<std::string> ReviewQueue::GetPreview(uint64_t item_id) const {
  return impl_->GetPreview(item_id);
}

absl::StatusOr<QueueStats> ReviewQueue::Stats() const { return impl_->Stats(); }

absl::StatusOr<WelfareStatus> ReviewQueue::Welfare(
    absl::string_view moderator) const {
  return impl_->Welfare(moderator);
}

absl::StatusOr<std::vector<AuditEntry>> ReviewQueue::ReadAudit(
    uint64_t from, int max_entries) const {
  return impl_->ReadAudit(from, max_entries);
}

absl::StatusOr<AuditHead> ReviewQueue::VerifyAudit() const {
  return impl_->VerifyAudit();
}

absl::Status ReviewQueue::WaitForCompactions(absl::Duration timeout) const {
  return impl_->WaitForCompactions(timeout);
}

}  // namespace hashwatch::queue
