// Engine: the moderators' calls (lease, decide, reveal) and cases.
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "review_api/convert.h"
#include "review_api/engine.h"

namespace hashwatch::review_api {

absl::StatusOr<v1::LeaseResponse> Engine::Lease(absl::string_view moderator,
                                                const v1::LeaseRequest& request,
                                                bool lead) {
  HW_ASSIGN_OR_RETURN(const RequestValidator::LeaseArgs args,
                      validator_.Lease(request, lead));
  HW_ASSIGN_OR_RETURN(std::vector<queue::LeasedItem> leased,
                      queue_->Lease(moderator, args.max_items, args.lanes));
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
    absl::string_view moderator, const v1::ExtendLeaseRequest& request) {
  HW_ASSIGN_OR_RETURN(
      absl::Time expires,
      queue_->ExtendLease(moderator, {request.item_id(), request.lease_id()}));
  v1::ExtendLeaseResponse response;
  ToProto(expires, response.mutable_expires());
  return response;
}

absl::Status Engine::Release(absl::string_view moderator,
                             const v1::ReleaseRequest& request) {
  return queue_->Release(moderator, {request.item_id(), request.lease_id()});
}

absl::Status Engine::CheckLiveLease(absl::string_view moderator,
                                    const queue::ReviewItem& item,
                                    uint64_t lease_id) const {
  if (item.state == queue::ItemState::kLeased &&
      item.lease_holder == moderator && item.lease_id == lease_id &&
      item.lease_expires > clock_->Now()) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      absl::StrCat("lease ", lease_id, " of item ", item.id,
                   " is not a live lease of yours (item is ",
                   queue::ItemStateName(item.state), ")"));
}

absl::StatusOr<std::string> Engine::FileConfirmedReport(
    absl::string_view moderator, const queue::ReviewItem& item,
    const std::string& category) {
  report::Report draft =
      DraftReport(report::ReportOrigin::kModeratorConfirm, item.content_id,
                  item.hashes, item.matches, category, item.context);
  draft.viewed_by_platform = true;
  draft.viewed_by = std::string(moderator);
  draft.viewed_at = clock_->Now();
  draft.review_item_id = absl::StrCat(item.id);
  HW_ASSIGN_OR_RETURN(report::Report filed, reports_->Create(draft));
  return filed.id;
}

// Adds the item's hashes to `bank`; returns "bank:signal" for each.
absl::StatusOr<std::vector<std::string>> Engine::BankItemHashes(
    const queue::ReviewItem& item, const std::string& bank,
    const std::string& category, const std::string& note) {
  std::vector<matcher::NewEntry> entries;
  const std::string source = absl::StrCat("review item ", item.id);
  // An entry already in the bank keeps its state (disabled_until unset).
  auto add = [&](matcher::SignalType signal, const std::string& value) {
    if (value.empty()) return;
    matcher::NewEntry e;
    e.signal = signal;
    e.value = value;
    e.category = category;
    e.source = source;
    e.note = note;
    entries.push_back(std::move(e));
  };
  add(matcher::SignalType::kPdq, item.hashes.pdq);
  add(matcher::SignalType::kMd5, item.hashes.md5);
  add(matcher::SignalType::kSha256, item.hashes.sha256);
  std::vector<std::string> banked;
  if (entries.empty()) return banked;
  HW_RETURN_IF_ERROR(banks_->AddEntries(bank, entries).status());
  for (const matcher::NewEntry& e : entries) {
    banked.push_back(
        absl::StrCat(bank, ":", matcher::SignalTypeName(e.signal)));
  }
  return banked;
}

absl::StatusOr<v1::DecideResponse> Engine::Decide(
    absl::string_view moderator, const v1::DecideRequest& request) {
  HW_ASSIGN_OR_RETURN(const queue::DecisionRequest decision,
                      validator_.Decision(request));
  // Check the lease before acting on the decision, so that a decision on
  // someone else's (or an expired) lease changes nothing at all.
  HW_ASSIGN_OR_RETURN(const queue::ReviewItem item,
                      queue_->GetItem(request.item_id()));
  HW_RETURN_IF_ERROR(CheckLiveLease(moderator, item, request.lease_id()));

  v1::DecideResponse response;
  const std::string who(moderator);
  std::vector<std::string> banked;
  if (decision.kind == queue::DecisionKind::kConfirm) {
    // The report and the bank entries first: they are idempotent, so a
    // crash before the decision is recorded leaves the item leased (it
    // returns to the queue when the lease expires) and a second confirm
    // finds the same report.
    HW_ASSIGN_OR_RETURN(
        *response.mutable_report_id(),
        FileConfirmedReport(moderator, item, decision.category));
    HW_ASSIGN_OR_RETURN(
        banked,
        BankItemHashes(item, config_.review.platform_bank, decision.category,
                       absl::StrCat("confirmed by ", who)));
  } else if (decision.kind == queue::DecisionKind::kReject &&
             decision.add_to_allow_list) {
    HW_ASSIGN_OR_RETURN(
        banked,
        BankItemHashes(item, config_.review.allow_bank, "",
                       absl::StrCat("false positive, rejected by ", who)));
  }
  for (std::string& b : banked) response.add_banked(std::move(b));
  HW_ASSIGN_OR_RETURN(
      queue::Decision decided,
      queue_->Decide(moderator, {request.item_id(), request.lease_id()},
                     decision));
  ToProto(decided, response.mutable_decision());
  if (decision.kind == queue::DecisionKind::kConfirm ||
      decision.kind == queue::DecisionKind::kReject) {
    // Decided: nobody may see the unblurred picture again. Reveal refuses
    // decided items, so a crash before this delete exposes nothing.
    if (absl::Status s = records_->DeleteRevealPreview(item.id); !s.ok()) {
      HW_LOG(kWarning, "item %d: could not delete its unblurred preview: %s",
             item.id, s.ToString());
    }
  }
  HW_LOG(kInfo, "item %d: %s by %s%s%s", item.id,
         queue::DecisionKindName(decision.kind), who,
         response.report_id().empty() ? "" : ", report ", response.report_id());
  return response;
}

absl::StatusOr<v1::ReviewItem> Engine::GetItem(
    const v1::GetItemRequest& request) const {
  HW_ASSIGN_OR_RETURN(queue::ReviewItem item,
                      queue_->GetItem(request.item_id()));
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
    absl::string_view who, const v1::RevealRequest& request) {
  HW_RETURN_IF_ERROR(validator_.CheckReveal(request));
  HW_ASSIGN_OR_RETURN(queue::ReviewItem item,
                      queue_->GetItem(request.item_id()));
  if (item.state == queue::ItemState::kDecided) {
    return absl::FailedPreconditionError(
        absl::StrCat("item ", item.id,
                     " is decided; its unblurred preview is no longer kept"));
  }
  HW_ASSIGN_OR_RETURN(std::string jpeg,
                      records_->GetRevealPreview(request.item_id()));
  // Audited before the image leaves the server.
  HW_RETURN_IF_ERROR(
      queue_->RecordReveal(who, request.item_id(), request.reason()));
  HW_LOG(kInfo, "item %d: unblurred preview revealed to %s", request.item_id(),
         who);
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
