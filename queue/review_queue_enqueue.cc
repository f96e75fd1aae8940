// Enqueue: validation, scoring a new item (queue/priority.h) and writing it
// with its indexes, content-id entry and preview in one commit per batch.
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "queue/internal/review_queue_impl.h"

namespace hashwatch::queue {

using internal::kMaxIdBytes;
using internal::kMaxTextBytes;
using internal::kSystemActor;
using internal::StoredItem;

absl::StatusOr<std::vector<EnqueueResult>> ReviewQueue::Impl::EnqueueBatch(
    absl::Span<const EnqueueRequest> requests) {
  HW_RETURN_IF_ERROR(ValidateEnqueue(requests));
  std::vector<EnqueueResult> results(requests.size());
  uint64_t ticket = 0;
  HW_RETURN_IF_ERROR(Serialized([&]() -> absl::Status {
    HW_ASSIGN_OR_RETURN(ticket, EnqueueLocked(requests, results));
    return absl::OkStatus();
  }));
  HW_RETURN_IF_ERROR(Durable(ticket));
  return results;
}

absl::Status ReviewQueue::Impl::ValidateEnqueue(
    absl::Span<const EnqueueRequest> requests) const {
  if (requests.empty())
    return absl::InvalidArgumentError("queue: empty enqueue batch");
  if (requests.size() > static_cast<size_t>(options_.max_enqueue_batch)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "queue: enqueue batch of ", requests.size(),
        " items exceeds max_enqueue_batch ", options_.max_enqueue_batch));
  }
  for (size_t i = 0; i < requests.size(); ++i) {
    const std::string where = requests.size() > 1
                                  ? absl::StrCat(" (request ", i, ")")
                                  : std::string();
    HW_RETURN_IF_ERROR(ValidateRequest(requests[i], where));
  }
  return absl::OkStatus();
}

absl::Status ReviewQueue::Impl::ValidateRequest(const EnqueueRequest& r,
                                                absl::string_view where) const {
  if (r.content_id.empty() || r.content_id.size() > kMaxIdBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "queue: content_id must be 1..", kMaxIdBytes, " bytes", where));
  }
  if (!lane_index_.contains(r.lane)) {
    return absl::InvalidArgumentError(
        absl::StrCat("queue: unknown lane '", r.lane, "'", where));
  }
  if (static_cast<int>(r.kind) < 0 || static_cast<int>(r.kind) > 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("queue: bad item kind", where));
  }
  if (!std::isfinite(r.priority_boost) ||
      !std::isfinite(r.context.classifier_score) ||
      r.context.classifier_score > 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "queue: priority_boost must be finite and classifier_score at most 1",
        where));
  }
  for (const matcher::MatchEvidence& m : r.matches) {
    if (m.distance < 0 || m.auto_report_distance < 0 || m.review_distance < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "queue: negative match distance for bank '", m.bank, "'", where));
    }
  }
  if (r.category.size() > kMaxTextBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("queue: category too long", where));
  }
  if (r.summary.size() > kMaxTextBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "queue: summary longer than ", kMaxTextBytes, " bytes", where));
  }
  if (r.preview.size() > options_.max_preview_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("queue: preview of ", r.preview.size(),
                     " bytes exceeds max_preview_bytes ",
                     options_.max_preview_bytes, where));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> ReviewQueue::Impl::EnqueueLocked(
    absl::Span<const EnqueueRequest> requests,
    std::vector<EnqueueResult>& results) {
  const absl::Time now = clock_->Now();
  Txn txn;
  uint64_t next_id = state_.next_item_id;
  absl::flat_hash_map<absl::string_view, uint64_t> in_batch;
  for (size_t i = 0; i < requests.size(); ++i) {
    const EnqueueRequest& r = requests[i];
    if (auto it = in_batch.find(r.content_id); it != in_batch.end()) {
      results[i] = {it->second, false};
      continue;
    }
    HW_ASSIGN_OR_RETURN(auto existing, Get(internal::kContentCf, r.content_id));
    if (existing) {
      if (existing->size() != 8)
        return absl::DataLossError("queue: malformed content index");
      results[i] = {internal::ParseU64Key(*existing), false};
      in_batch[r.content_id] = results[i].item_id;
      continue;
    }
    const uint64_t id = next_id++;
    results[i] = {id, true};
    in_batch[r.content_id] = id;
    WriteNewItem(r, NewItem(r, id, now), now, txn);
  }
  if (next_id == state_.next_item_id) {
    // All existed: nothing to write, but the writes that created them
    // may not be durable yet.
    return gate_->Latest();
  }
  txn.next_item_id = next_id;
  return Commit(txn);
}

StoredItem ReviewQueue::Impl::NewItem(const EnqueueRequest& r, uint64_t id,
                                      absl::Time now) const {
  StoredItem s;
  ReviewItem& it = s.item;
  it.id = id;
  it.content_id = r.content_id;
  it.lane = r.lane;
  it.kind = r.kind;
  it.hashes = r.hashes;
  it.matches = r.matches;
  it.context = r.context;
  it.category = r.category;
  it.priority_boost = r.priority_boost;
  it.has_preview = !r.preview.empty();
  it.summary = r.summary;
  it.enqueue_time = now;
  it.lane_time = now;
  std::vector<PriorityMatch> matches;
  for (const matcher::MatchEvidence& m : r.matches) {
    matches.push_back({m.distance, m.auto_report_distance, m.review_distance});
  }
  const PriorityScore score = ScorePriority(
      options_.priority,
      PriorityInput{.category = r.category,
                    .novel = r.kind == ItemKind::kNovel,
                    .matches = matches,
                    .signals = r.context.signals,
                    .classifier_score = r.context.classifier_score,
                    .priority_boost = r.priority_boost});
  it.base_priority = score.base;
  it.priority_class = score.priority_class;
  it.sla_deadline = now + options_.lanes[lane_index_.at(r.lane)]
                              .sla[static_cast<int>(score.priority_class)];
  it.state = WaitingStateFor(r.lane);
  s.virtual_enqueue = VirtualEnqueueTime(options_.priority, score.base, now);
  const std::string details = absl::StrCat(
      "content=", r.content_id, " lane=", r.lane,
      " kind=", ItemKindName(r.kind), " base=", absl::SixDigits(score.base),
      " class=", PriorityClassName(score.priority_class));
  it.history.push_back({now, std::string(kSystemActor), "enqueue", 0, details});
  return s;
}

void ReviewQueue::Impl::WriteNewItem(const EnqueueRequest& r,
                                     const StoredItem& s, absl::Time now,
                                     Txn& txn) const {
  const uint64_t id = s.item.id;
  PutItem(s, txn);
  txn.batch.Put(cf(internal::kContentCf), ToSlice(r.content_id),
                internal::U64Key(id));
  if (s.item.has_preview) {
    txn.batch.Put(cf(internal::kPreviewsCf), internal::U64Key(id), r.preview);
  }
  PutIndexes(s, txn);
  txn.counter_deltas[internal::kItemsCounter] += 1;
  // The enqueue history entry's details are the audit entry's.
  AddAudit(txn, now, kSystemActor, AuditEvent::kEnqueue, id,
           s.item.history.back().details);
}

}  // namespace hashwatch::queue
