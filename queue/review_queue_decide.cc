// Operations on a leased item (ExtendLease, Release, Decide) and reveals.
// Each needs the live lease (CheckLiveLease) and runs as one commit.
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "queue/internal/review_queue_impl.h"

namespace hashwatch::queue {

using internal::kMaxTextBytes;
using internal::StoredItem;
using internal::ValidateModerator;

absl::StatusOr<absl::Time> ReviewQueue::Impl::ExtendLease(
    absl::string_view moderator, const LeaseRef& lease) {
  HW_RETURN_IF_ERROR(ValidateModerator(moderator));
  uint64_t ticket = 0;
  absl::Time expires;
  HW_RETURN_IF_ERROR(Serialized([&]() -> absl::Status {
    const absl::Time now = clock_->Now();
    HW_ASSIGN_OR_RETURN(StoredItem s, LoadLeasedItem(lease.item_id));
    HW_RETURN_IF_ERROR(CheckLiveLease(s.item, moderator, lease, now));
    Txn txn;
    txn.batch.Delete(cf(internal::kLeasesCf),
                     internal::LeaseKey(s.item.lease_expires, s.item.id));
    expires = now + options_.lease_duration;
    s.item.lease_expires = expires;
    std::string key = internal::LeaseKey(expires, s.item.id);
    txn.batch.Put(cf(internal::kLeasesCf), key,
                  internal::U64Key(lease.lease_id));
    txn.leases_inserted.push_back(std::move(key));
    const std::string details = absl::StrCat(
        "lease=", lease.lease_id,
        " expires=", FormatRfc3339(expires, TimePrecision::kMillis));
    s.item.history.push_back(
        {now, std::string(moderator), "extend", lease.lease_id, details});
    PutItem(s, txn);
    AddAudit(txn, now, moderator, AuditEvent::kExtend, s.item.id, details);
    HW_ASSIGN_OR_RETURN(ticket, Commit(txn));
    return absl::OkStatus();
  }));
  HW_RETURN_IF_ERROR(Durable(ticket));
  return expires;
}

absl::Status ReviewQueue::Impl::Release(absl::string_view moderator,
                                        const LeaseRef& lease) {
  HW_RETURN_IF_ERROR(ValidateModerator(moderator));
  uint64_t ticket = 0;
  HW_RETURN_IF_ERROR(Serialized([&]() -> absl::Status {
    const absl::Time now = clock_->Now();
    HW_ASSIGN_OR_RETURN(StoredItem s, LoadLeasedItem(lease.item_id));
    HW_RETURN_IF_ERROR(CheckLiveLease(s.item, moderator, lease, now));
    Txn txn;
    ReturnToLane(s, txn);
    const std::string details = absl::StrCat("lease=", lease.lease_id);
    s.item.history.push_back(
        {now, std::string(moderator), "release", lease.lease_id, details});
    PutItem(s, txn);
    AddAudit(txn, now, moderator, AuditEvent::kRelease, s.item.id, details);
    HW_ASSIGN_OR_RETURN(ticket, Commit(txn));
    return absl::OkStatus();
  }));
  return Durable(ticket);
}

absl::Status ReviewQueue::Impl::ValidateDecision(
    const DecisionRequest& request) {
  const int kind = static_cast<int>(request.kind);
  if (kind < 0 || kind > 3)
    return absl::InvalidArgumentError("queue: bad decision kind");
  if (request.kind == DecisionKind::kConfirm && request.category.empty()) {
    return absl::InvalidArgumentError("queue: confirm needs a category");
  }
  if (request.category.size() > kMaxTextBytes ||
      request.note.size() > kMaxTextBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "queue: category and note are limited to ", kMaxTextBytes, " bytes"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Decision> ReviewQueue::Impl::Decide(
    absl::string_view moderator, const LeaseRef& lease,
    const DecisionRequest& request) {
  HW_RETURN_IF_ERROR(ValidateModerator(moderator));
  HW_RETURN_IF_ERROR(ValidateDecision(request));
  uint64_t ticket = 0;
  Decision decision;
  HW_RETURN_IF_ERROR(Serialized([&]() -> absl::Status {
    HW_ASSIGN_OR_RETURN(ticket,
                        DecideLocked(moderator, lease, request, &decision));
    return absl::OkStatus();
  }));
  HW_RETURN_IF_ERROR(Durable(ticket));
  return decision;
}

absl::StatusOr<uint64_t> ReviewQueue::Impl::DecideLocked(
    absl::string_view moderator, const LeaseRef& lease,
    const DecisionRequest& request, Decision* decision) {
  const absl::Time now = clock_->Now();
  HW_ASSIGN_OR_RETURN(StoredItem s, LoadLeasedItem(lease.item_id));
  HW_RETURN_IF_ERROR(CheckLiveLease(s.item, moderator, lease, now));
  if (request.kind == DecisionKind::kEscalate &&
      s.item.lane == options_.escalation_lane) {
    return absl::FailedPreconditionError(absl::StrCat(
        "queue: item ", s.item.id, " is already in the escalation lane"));
  }
  HW_ASSIGN_OR_RETURN(internal::ModeratorState state,
                      CachedModeratorState(moderator));

  decision->item_id = s.item.id;
  decision->lease_id = lease.lease_id;
  decision->moderator = std::string(moderator);
  decision->kind = request.kind;
  decision->category = request.category;
  decision->add_to_allow_list =
      request.kind == DecisionKind::kReject && request.add_to_allow_list;
  decision->note = request.note;
  decision->time = now;

  Txn txn;
  ApplyDecision(*decision, s, txn);
  PutItem(s, txn);
  txn.batch.Put(cf(internal::kDecisionsCf),
                internal::ModeratorEventKey(moderator, now, s.item.id),
                std::string(1, static_cast<char>(request.kind)));
  state.last_activity = now;
  txn.batch.Put(cf(internal::kModeratorsCf), ToSlice(moderator),
                internal::EncodeModeratorState(state));
  HW_ASSIGN_OR_RETURN(const uint64_t ticket, Commit(txn));
  RememberModerator(moderator, state);
  return ticket;
}

void ReviewQueue::Impl::ApplyDecision(const Decision& decision, StoredItem& s,
                                      Txn& txn) const {
  const absl::Time now = decision.time;
  const absl::string_view moderator = decision.moderator;
  std::string details = absl::StrCat("lease=", decision.lease_id,
                                     " kind=", DecisionKindName(decision.kind));
  if (!decision.category.empty())
    absl::StrAppend(&details, " category=", decision.category);
  if (decision.add_to_allow_list) absl::StrAppend(&details, " allow_list=1");
  ReviewItem& it = s.item;
  it.history.push_back(
      {now, std::string(moderator), "decision", decision.lease_id, details});
  AddAudit(txn, now, moderator, AuditEvent::kDecision, it.id, details);
  switch (decision.kind) {
    case DecisionKind::kConfirm:
    case DecisionKind::kReject:
      txn.batch.Delete(cf(internal::kLeasesCf),
                       internal::LeaseKey(it.lease_expires, it.id));
      txn.counter_deltas[internal::kLeasedCounter] -= 1;
      txn.counter_deltas[internal::kDecidedCounter] += 1;
      it.state = ItemState::kDecided;
      it.lease_holder.clear();
      it.lease_expires = absl::InfinitePast();
      it.decision = decision;
      s.exclusions.clear();
      txn.batch.Put(
          cf(internal::kMetaCf),
          absl::StrCat(internal::kPendingPrefix, internal::U64Key(it.id)), "");
      // Nobody looks at a decided item's preview again.
      txn.batch.Delete(cf(internal::kPreviewsCf), internal::U64Key(it.id));
      it.has_preview = false;
      break;
    case DecisionKind::kEscalate:
      Escalate(decision, s, txn);
      break;
    case DecisionKind::kSkip:
      std::erase_if(s.exclusions, [&](const internal::Exclusion& x) {
        return x.until <= now || x.moderator == moderator;
      });
      if (options_.skip_exclusion > absl::ZeroDuration()) {
        s.exclusions.push_back(
            {std::string(moderator), now + options_.skip_exclusion});
      }
      ReturnToLane(s, txn);
      break;
  }
}

void ReviewQueue::Impl::Escalate(const Decision& decision, StoredItem& s,
                                 Txn& txn) const {
  const absl::Time now = decision.time;
  ReviewItem& it = s.item;
  txn.batch.Delete(cf(internal::kLeasesCf),
                   internal::LeaseKey(it.lease_expires, it.id));
  txn.counter_deltas[internal::kLeasedCounter] -= 1;
  const std::string from = it.lane;
  it.lane = options_.escalation_lane;
  it.lane_time = now;
  it.sla_deadline = now + options_.lanes[escalation_index_]
                              .sla[static_cast<int>(it.priority_class)];
  s.virtual_enqueue =
      VirtualEnqueueTime(options_.priority, it.base_priority, now);
  it.state = ItemState::kEscalated;
  it.lease_holder.clear();
  it.lease_expires = absl::InfinitePast();
  s.exclusions.clear();
  PutIndexes(s, txn);
  const std::string esc = absl::StrCat("from=", from, " to=", it.lane);
  it.history.push_back(
      {now, decision.moderator, "escalation", decision.lease_id, esc});
  AddAudit(txn, now, decision.moderator, AuditEvent::kEscalation, it.id, esc);
}

absl::Status ReviewQueue::Impl::RecordReveal(absl::string_view moderator,
                                             uint64_t item_id,
                                             absl::string_view reason) {
  HW_RETURN_IF_ERROR(ValidateModerator(moderator));
  if (reason.size() > kMaxTextBytes) {
    return absl::InvalidArgumentError("queue: reveal reason too long");
  }
  uint64_t ticket = 0;
  HW_RETURN_IF_ERROR(Serialized([&]() -> absl::Status {
    const absl::Time now = clock_->Now();
    HW_ASSIGN_OR_RETURN(StoredItem s, LoadItem(item_id));
    Txn txn;
    const std::string details = absl::StrCat("reason=", absl::CEscape(reason));
    s.item.history.push_back(
        {now, std::string(moderator), "reveal", 0, details});
    PutItem(s, txn);
    AddAudit(txn, now, moderator, AuditEvent::kReveal, item_id, details);
    HW_ASSIGN_OR_RETURN(ticket, Commit(txn));
    return absl::OkStatus();
  }));
  return Durable(ticket);
}

absl::StatusOr<std::vector<uint64_t>> ReviewQueue::Impl::PendingDecisions(
    int max_items) const {
  if (max_items < 1)
    return absl::InvalidArgumentError("queue: max_items must be >= 1");
  std::vector<uint64_t> ids;
  PrefixBound bound;
  std::unique_ptr<rocksdb::Iterator> it =
      PrefixIterator(internal::kMetaCf, internal::kPendingPrefix, bound);
  for (it->Seek(ToSlice(internal::kPendingPrefix));
       it->Valid() && static_cast<int>(ids.size()) < max_items; it->Next()) {
    const absl::string_view key = ToView(it->key());
    if (key.size() != internal::kPendingPrefix.size() + 8) {
      return absl::DataLossError(absl::StrCat(
          "queue: malformed pending-decision key of ", key.size(), " bytes"));
    }
    ids.push_back(
        internal::ParseU64Key(key.substr(internal::kPendingPrefix.size())));
  }
  HW_RETURN_IF_ERROR(FromRocksDb(it->status(), "queue", "read pending"));
  return ids;
}

absl::Status ReviewQueue::Impl::AcknowledgeDecision(uint64_t item_id) {
  uint64_t ticket = 0;
  HW_RETURN_IF_ERROR(Serialized([&]() -> absl::Status {
    Txn txn;
    txn.batch.Delete(
        cf(internal::kMetaCf),
        absl::StrCat(internal::kPendingPrefix, internal::U64Key(item_id)));
    HW_ASSIGN_OR_RETURN(ticket, Commit(txn));
    return absl::OkStatus();
  }));
  return Durable(ticket);
}

}  // namespace hashwatch::queue
