// Engine: a moderator's decision and everything it entails, and the sweep
// of unblurred previews.
//
// The stores are separate RocksDB databases (banks/, queue/, reports/,
// scans/), so no one write covers a decision, its report and its bank
// entries. The queue's decision is the commit point instead: it checks the
// lease and, in the same write, marks the decision's follow-up pending
// (ReviewQueue::PendingDecisions). The follow-up (report, bank entries,
// deleting the unblurred preview) is idempotent and is run right after,
// then acknowledged; after a crash, Open runs whatever is still pending.
// So a lease that expires meanwhile changes nothing (the decision already
// stands), and neither a decision without its report nor a report without
// its decision survives a crash.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/time_format.h"
#include "review_api/convert.h"
#include "review_api/engine.h"

namespace hashwatch::review_api {
namespace {

// Pending decisions completed per call of CompletePendingDecisions.
constexpr int kPendingBatch = 256;
// Decisions younger than this are left to the Decide that made them.
constexpr absl::Duration kPendingGrace = absl::Minutes(1);
// Reveal previews read per step of the retention sweep.
constexpr int kPreviewBatch = 256;

bool IsFinal(queue::DecisionKind kind) {
  return kind == queue::DecisionKind::kConfirm ||
         kind == queue::DecisionKind::kReject;
}

}  // namespace

absl::StatusOr<std::string> Engine::FileConfirmedReport(
    const queue::ReviewItem& item, const queue::Decision& d) {
  report::Report draft =
      DraftReport(report::ReportOrigin::kModeratorConfirm, item.content_id,
                  item.hashes, item.matches, d.category, item.context);
  draft.viewed_by_platform = true;
  draft.viewed_by = d.moderator;
  draft.viewed_at = d.time;
  draft.review_item_id = absl::StrCat(item.id);
  // Idempotent per content id and origin: a second try returns the first.
  HW_ASSIGN_OR_RETURN(report::Report filed, reports_->Create(draft));
  return filed.id;
}

// Adds the item's hashes to `bank`; returns "bank:signal" for each.
absl::StatusOr<std::vector<std::string>> Engine::BankItemHashes(
    const queue::ReviewItem& item, const std::string& bank,
    const std::string& category, const std::string& note) {
  std::vector<matcher::NewEntry> entries;
  const std::string source = absl::StrCat("review item ", item.id);
  // An entry already in the bank keeps its state (disabled_until unset), so
  // a second try adds nothing.
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
  add(matcher::SignalType::kSha1, item.hashes.sha1);
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

absl::StatusOr<std::optional<std::string>> Engine::BankItemSignature(
    const queue::ReviewItem& item, const std::string& bank) {
  absl::StatusOr<std::string> kept = records_->GetItemSignature(item.id);
  if (absl::IsNotFound(kept.status()) || item.hashes.sha256.empty())
    return std::nullopt;
  HW_RETURN_IF_ERROR(kept.status());
  absl::StatusOr<matcher::OwnSignature> signature =
      matcher::OwnSignature::Parse(*kept);
  if (!signature.ok()) {
    return absl::DataLossError(
        absl::StrCat("the own-material signature kept for item ", item.id,
                     " is corrupt: ", signature.status().message()));
  }
  HW_RETURN_IF_ERROR(
      banks_->AddOwnSignature(bank, item.hashes.sha256, *signature));
  return absl::StrCat(bank, ":signature");
}

absl::StatusOr<queue::ReviewItem> Engine::RecordDecision(
    const Reviewer& who, const v1::DecideRequest& request,
    const queue::DecisionRequest& decision, queue::Decision* decided) {
  if (step_hook_) step_hook_("decide:before");
  absl::StatusOr<queue::Decision> made = queue_->Decide(
      who.name, {request.item_id(), request.lease_id(), who.token_id},
      decision);
  if (made.ok()) {
    *decided = *std::move(made);
    if (step_hook_) step_hook_("decide:decided");
    return queue_->GetItem(request.item_id());
  }
  if (!absl::IsFailedPrecondition(made.status())) return made.status();
  // A retry of a decision already recorded (its answer may have been lost)
  // answers as the first try did.
  HW_ASSIGN_OR_RETURN(queue::ReviewItem item,
                      queue_->GetItem(request.item_id()));
  const std::optional<queue::Decision>& d = item.decision;
  const bool same =
      item.state == queue::ItemState::kDecided && d.has_value() &&
      d->lease_id == request.lease_id() && d->moderator == who.name &&
      item.lease_token == who.token_id && d->kind == decision.kind &&
      d->category == decision.category &&
      d->add_to_allow_list == (decision.kind == queue::DecisionKind::kReject &&
                               decision.add_to_allow_list);
  if (!same) return made.status();
  *decided = *d;
  return item;
}

absl::Status Engine::CompleteDecision(const queue::ReviewItem& item,
                                      v1::DecideResponse* response) {
  const queue::Decision& d = *item.decision;
  std::vector<std::string> banked;
  if (d.kind == queue::DecisionKind::kConfirm) {
    HW_ASSIGN_OR_RETURN(*response->mutable_report_id(),
                        FileConfirmedReport(item, d));
    if (step_hook_) step_hook_("decide:reported");
    HW_ASSIGN_OR_RETURN(
        banked, BankItemHashes(item, config_.review.platform_bank, d.category,
                               absl::StrCat("confirmed by ", d.moderator)));
    HW_ASSIGN_OR_RETURN(std::optional<std::string> signature,
                        BankItemSignature(item, config_.review.platform_bank));
    if (signature.has_value()) banked.push_back(*std::move(signature));
  } else if (d.add_to_allow_list) {
    HW_ASSIGN_OR_RETURN(
        banked, BankItemHashes(
                    item, config_.review.allow_bank, "",
                    absl::StrCat("false positive, rejected by ", d.moderator)));
  }
  for (std::string& b : banked) response->add_banked(std::move(b));
  if (step_hook_) step_hook_("decide:banked");
  // Decided: nobody may see the unblurred picture again, and its signature
  // is in the bank (confirmed) or no longer needed.
  HW_RETURN_IF_ERROR(records_->DeleteRevealPreview(item.id));
  HW_RETURN_IF_ERROR(records_->DeleteItemSignature(item.id));
  if (step_hook_) step_hook_("decide:purged");
  HW_RETURN_IF_ERROR(queue_->AcknowledgeDecision(item.id));
  if (step_hook_) step_hook_("decide:acknowledged");
  return absl::OkStatus();
}

absl::StatusOr<v1::DecideResponse> Engine::Decide(
    const Reviewer& who, const v1::DecideRequest& request) {
  HW_ASSIGN_OR_RETURN(const queue::DecisionRequest decision,
                      validator_.Decision(request));
  queue::Decision decided;
  HW_ASSIGN_OR_RETURN(const queue::ReviewItem item,
                      RecordDecision(who, request, decision, &decided));
  v1::DecideResponse response;
  if (IsFinal(decided.kind)) {
    if (absl::Status s = CompleteDecision(item, &response); !s.ok()) {
      return absl::Status(
          s.code(),
          absl::StrCat("item ", item.id, ": the decision is recorded but ",
                       "its report, bank entries or preview deletion failed (",
                       s.message(), "); the same Decide retried, or the ",
                       "server's housekeeping, completes it"));
    }
  }
  ToProto(decided, response.mutable_decision());
  HW_LOG(kInfo, "item %d: %s by %s%s%s", item.id,
         queue::DecisionKindName(decided.kind), who.name,
         response.report_id().empty() ? "" : ", report ", response.report_id());
  return response;
}

absl::Status Engine::CompletePendingDecisions(bool all) {
  HW_ASSIGN_OR_RETURN(std::vector<uint64_t> pending,
                      queue_->PendingDecisions(kPendingBatch));
  const absl::Time young = clock_->Now() - kPendingGrace;
  for (uint64_t id : pending) {
    HW_ASSIGN_OR_RETURN(const queue::ReviewItem item, queue_->GetItem(id));
    if (!item.decision.has_value() || item.state != queue::ItemState::kDecided)
      return absl::DataLossError(absl::StrCat(
          "queue: item ", id, " has a pending decision but is not decided"));
    if (!all && item.decision->time > young) continue;
    v1::DecideResponse ignored;
    if (absl::Status s = CompleteDecision(item, &ignored); !s.ok()) {
      return absl::Status(
          s.code(), absl::StrCat("completing the decision on item ", id,
                                 " (left pending by a crash): ", s.message()));
    }
    HW_LOG(kInfo, "item %d: completed its %s decision of %s", id,
           queue::DecisionKindName(item.decision->kind),
           FormatRfc3339(item.decision->time));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Engine::PurgeOldRevealPreviews() {
  const absl::Time cutoff =
      clock_->Now() - config_.review.reveal_preview_retention;
  int64_t purged = 0;
  uint64_t after = 0;
  while (true) {
    HW_ASSIGN_OR_RETURN(std::vector<uint64_t> ids,
                        records_->RevealPreviewIds(after, kPreviewBatch));
    if (ids.empty()) return purged;
    for (uint64_t id : ids) {
      after = id;
      absl::StatusOr<queue::ReviewItem> item = queue_->GetItem(id);
      if (!item.ok() && !absl::IsNotFound(item.status())) return item.status();
      // Item ids grow with enqueue time: the first young, undecided item
      // ends the sweep.
      if (item.ok() && item->state != queue::ItemState::kDecided &&
          item->enqueue_time > cutoff) {
        return purged;
      }
      HW_RETURN_IF_ERROR(records_->DeleteRevealPreview(id));
      ++purged;
    }
  }
}

}  // namespace hashwatch::review_api
