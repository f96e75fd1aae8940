// Leasing: Lease's three steps (plan under mu_, read outside it, write the
// leases under it again), welfare limits, and the return of expired leases
// to their lanes.
#include <algorithm>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "queue/internal/review_queue_impl.h"

namespace hashwatch::queue {

using internal::Candidate;
using internal::kLeasedCacheSize;
using internal::kSystemActor;
using internal::StoredItem;

absl::StatusOr<uint64_t> ReviewQueue::Impl::ReclaimExpired(absl::Time now,
                                                           int limit,
                                                           int* reclaimed) {
  *reclaimed = 0;
  if (Counter(internal::kLeasedCounter) == 0) return 0;
  // The hint is at or below the first live lease key, so a hint expiring
  // after `now` means no lease has expired: no seek needed.
  if (lease_hint_.size() == 16 && internal::KeyTailTime(lease_hint_) > now)
    return 0;
  // Keys below LeaseKey(now + 1us, 0) have expires <= now. The seek has no
  // upper bound, so that the first live key after them becomes the hint.
  const std::string end = internal::LeaseKey(now + absl::Microseconds(1), 0);
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), cf(internal::kLeasesCf)));
  Txn txn;
  bool first = true;
  bool exhausted = true;  // no expired key left after this call
  for (it->Seek(lease_hint_); it->Valid(); it->Next()) {
    const absl::string_view key = ToView(it->key());
    if (first) {
      lease_hint_ = std::string(key);
      first = false;
    }
    if (key >= absl::string_view(end)) break;
    if (*reclaimed == limit) {
      exhausted = false;
      break;
    }
    HW_RETURN_IF_ERROR(ExpireOne(key, now, txn));
    ++*reclaimed;
  }
  HW_RETURN_IF_ERROR(FromRocksDb(it->status(), "queue", "read lease index"));
  // Once this batch lands, every key below `end` is dead or deleted, and the
  // first key at or after it (if any) is the first live one; without this,
  // leases decided in time would leave tombstones the next seek from an old
  // hint must step over.
  std::string next_hint = lease_hint_;
  if (exhausted) next_hint = it->Valid() ? std::string(ToView(it->key())) : end;
  if (*reclaimed == 0) {
    lease_hint_ = std::move(next_hint);
    return 0;
  }
  HW_ASSIGN_OR_RETURN(uint64_t ticket, Commit(txn));
  lease_hint_ = std::move(next_hint);
  return ticket;
}

absl::Status ReviewQueue::Impl::ExpireOne(absl::string_view key, absl::Time now,
                                          Txn& txn) {
  const uint64_t id = internal::KeyTailItem(key);
  HW_ASSIGN_OR_RETURN(StoredItem s, LoadLeasedItem(id));
  if (s.item.state != ItemState::kLeased ||
      s.item.lease_expires != internal::KeyTailTime(key)) {
    return absl::InternalError(absl::StrCat("queue: lease index names item ",
                                            id, " which is ",
                                            ItemStateName(s.item.state)));
  }
  const std::string holder = s.item.lease_holder;
  const std::string details = absl::StrCat(
      "lease=", s.item.lease_id, " holder=", holder,
      " expired=", FormatRfc3339(s.item.lease_expires, TimePrecision::kMillis));
  ReturnToLane(s, txn);
  s.item.history.push_back(
      {now, std::string(kSystemActor), "expiry", s.item.lease_id, details});
  PutItem(s, txn);
  AddAudit(txn, now, kSystemActor, AuditEvent::kExpiry, id, details);
  return absl::OkStatus();
}

absl::StatusOr<int> ReviewQueue::Impl::ExpireLeases() {
  int total = 0;
  uint64_t ticket = 0;
  while (true) {
    int n = 0;
    HW_RETURN_IF_ERROR(Serialized([&]() -> absl::Status {
      HW_ASSIGN_OR_RETURN(
          uint64_t t,
          ReclaimExpired(clock_->Now(), options_.max_expiries_per_call, &n));
      if (t != 0) ticket = t;
      return absl::OkStatus();
    }));
    total += n;
    if (n < options_.max_expiries_per_call) break;
  }
  HW_RETURN_IF_ERROR(Durable(ticket));
  return total;
}

// A lease is made in three steps, so that reading the chosen items (a
// random read at depth, the costliest part) happens outside the mutex:
// 1. under mu_, return expired leases, check the moderator's welfare
//    limits and choose the items; the chosen items are reserved, so no
//    other Lease chooses them, and the moderator is marked as leasing, so
//    a second Lease of theirs waits and the limits count each item once;
// 2. without mu_, read the chosen items;
// 3. under mu_, write the leases (re-reading any item written meanwhile,
//    which only a reveal can do to a waiting item).
absl::StatusOr<std::vector<LeasedItem>> ReviewQueue::Impl::Lease(
    absl::string_view moderator, int max_items,
    absl::Span<const std::string> lanes, absl::string_view token) {
  HW_RETURN_IF_ERROR(internal::ValidateModerator(moderator));
  if (token.size() > internal::kMaxIdBytes) {
    return absl::InvalidArgumentError("queue: lease token too long");
  }
  if (max_items < 1 || max_items > options_.max_lease_items) {
    return absl::InvalidArgumentError(absl::StrCat("queue: max_items is ",
                                                   max_items, ", want 1..",
                                                   options_.max_lease_items));
  }
  HW_ASSIGN_OR_RETURN(const std::vector<bool> allowed, AllowedLanes(lanes));
  HW_ASSIGN_OR_RETURN(const LeasePlan plan,
                      MakePlan(moderator, max_items, allowed));
  if (!plan.refusal.ok() || plan.picks.empty()) {
    HW_RETURN_IF_ERROR(Durable(plan.reclaim_ticket));
    if (!plan.refusal.ok()) return plan.refusal;
    return std::vector<LeasedItem>();
  }

  std::vector<absl::StatusOr<StoredItem>> loaded;
  loaded.reserve(plan.picks.size());
  for (const auto& [c, lane] : plan.picks)
    loaded.push_back(LoadItem(c.item_id));

  std::vector<LeasedItem> out;
  uint64_t ticket = 0;
  HW_RETURN_IF_ERROR(Serialized([&]() -> absl::Status {
    HW_ASSIGN_OR_RETURN(ticket,
                        WriteLeases(moderator, token, plan, loaded, &out));
    return absl::OkStatus();
  }));
  HW_RETURN_IF_ERROR(Durable(std::max(plan.reclaim_ticket, ticket)));
  return out;
}

absl::StatusOr<std::vector<bool>> ReviewQueue::Impl::AllowedLanes(
    absl::Span<const std::string> lanes) const {
  std::vector<bool> allowed(options_.lanes.size(), lanes.empty());
  for (const std::string& lane : lanes) {
    auto it = lane_index_.find(lane);
    if (it == lane_index_.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("queue: unknown lane '", lane, "'"));
    }
    allowed[it->second] = true;
  }
  return allowed;
}

absl::StatusOr<ReviewQueue::Impl::LeasePlan> ReviewQueue::Impl::MakePlan(
    absl::string_view moderator, int max_items,
    const std::vector<bool>& allowed) {
  LeasePlan plan;
  do {
    if (plan.busy) {
      // This moderator's previous Lease is still under way.
      absl::MutexLock lock(&mu_);
      struct Args {
        const Impl* self;
        absl::string_view moderator;
      } args{this, moderator};
      mu_.Await(absl::Condition(
          +[](Args* a) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            return !a->self->leasing_.contains(a->moderator);
          },
          &args));
    }
    plan = LeasePlan();
    HW_RETURN_IF_ERROR(Serialized(
        [&] { return PlanLease(moderator, max_items, allowed, &plan); }));
  } while (plan.busy);
  return plan;
}

absl::Status ReviewQueue::Impl::PlanLease(absl::string_view moderator,
                                          int max_items,
                                          const std::vector<bool>& allowed,
                                          LeasePlan* plan) {
  if (leasing_.contains(moderator)) {
    plan->busy = true;
    return absl::OkStatus();
  }
  const absl::Time now = clock_->Now();
  int reclaimed = 0;
  HW_ASSIGN_OR_RETURN(
      plan->reclaim_ticket,
      ReclaimExpired(now, options_.max_expiries_per_call, &reclaimed));
  HW_ASSIGN_OR_RETURN(internal::ModeratorState state,
                      CachedModeratorState(moderator));
  HW_ASSIGN_OR_RETURN(std::vector<absl::Time> exposures,
                      LoadExposures(moderator, now));
  plan->verdict =
      internal::EvaluateWelfare(options_.welfare, now, state, exposures);
  if (plan->verdict.allowed == 0) {
    plan->refusal = absl::ResourceExhaustedError(absl::StrCat(
        "queue: moderator '", moderator, "' reached an exposure limit (",
        plan->verdict.reason, "); take a break until ",
        FormatRfc3339(plan->verdict.break_until, TimePrecision::kMillis)));
    return absl::OkStatus();
  }
  const int want = std::min(max_items, plan->verdict.allowed);
  HW_RETURN_IF_ERROR(ChooseItems(moderator, want, allowed, now, plan));
  if (!plan->picks.empty()) {
    for (const auto& [c, lane] : plan->picks) reserved_.insert(c.item_id);
    leasing_.insert(std::string(moderator));
  }
  return absl::OkStatus();
}

absl::Status ReviewQueue::Impl::ChooseItems(absl::string_view moderator,
                                            int want,
                                            const std::vector<bool>& allowed,
                                            absl::Time now, LeasePlan* plan) {
  absl::flat_hash_set<uint64_t> chosen;
  // Per lane: not looked at yet, or its best eligible item (or none).
  std::vector<std::optional<std::optional<Candidate>>> cache(
      options_.lanes.size());
  absl::Status find_status;
  while (static_cast<int>(plan->picks.size()) < want) {
    const int lane = scheduler_.Pick([&](int i) {
      if (!allowed[i] || !find_status.ok()) return false;
      if (!cache[i]) {
        auto found = FindEligible(i, moderator, now, chosen);
        if (!found.ok()) {
          find_status = found.status();
          return false;
        }
        cache[i] = *found;
      }
      return cache[i]->has_value();
    });
    HW_RETURN_IF_ERROR(find_status);
    if (lane < 0) break;
    const Candidate c = **cache[lane];
    cache[lane].reset();
    chosen.insert(c.item_id);
    plan->picks.emplace_back(c, lane);
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> ReviewQueue::Impl::WriteLeases(
    absl::string_view moderator, absl::string_view token, const LeasePlan& plan,
    std::vector<absl::StatusOr<StoredItem>>& loaded,
    std::vector<LeasedItem>* out) {
  absl::Cleanup unreserve = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    for (const auto& [c, lane] : plan.picks) {
      reserved_.erase(c.item_id);
      rewritten_.erase(c.item_id);
    }
    leasing_.erase(moderator);
  };
  const absl::Time now = clock_->Now();
  HW_ASSIGN_OR_RETURN(internal::ModeratorState state,
                      CachedModeratorState(moderator));
  Txn txn;
  std::vector<StoredItem> stored;  // as written, for leased_
  uint64_t lease_id = state_.next_lease_id;
  for (size_t i = 0; i < plan.picks.size(); ++i) {
    const auto& [c, lane] = plan.picks[i];
    if (rewritten_.contains(c.item_id) || !loaded[i].ok())
      loaded[i] = LoadItem(c.item_id);
    HW_ASSIGN_OR_RETURN(StoredItem s, std::move(loaded[i]));
    if (!internal::IsWaiting(s.item.state) ||
        s.item.lane != options_.lanes[lane].name) {
      return absl::InternalError(
          absl::StrCat("queue: index names item ", c.item_id, " which is ",
                       ItemStateName(s.item.state), " in lane ", s.item.lane));
    }
    LeasedItem leased = LeaseItem(moderator, token, c, lease_id++, now, s, txn);
    stored.push_back(s);
    leased.item = std::move(s.item);
    out->push_back(std::move(leased));
  }
  txn.next_lease_id = lease_id;
  UpdateModeratorAfterLease(moderator, plan, now, state, txn);
  HW_ASSIGN_OR_RETURN(const uint64_t ticket, Commit(txn));
  RememberModerator(moderator, state);
  for (StoredItem& s : stored) {
    if (leased_.size() >= kLeasedCacheSize) leased_.clear();
    const uint64_t id = s.item.id;
    leased_.emplace(id, std::move(s));
  }
  return ticket;
}

LeasedItem ReviewQueue::Impl::LeaseItem(absl::string_view moderator,
                                        absl::string_view token,
                                        const Candidate& c, uint64_t lease_id,
                                        absl::Time now, StoredItem& s,
                                        Txn& txn) const {
  const absl::Time expires = now + options_.lease_duration;
  DeleteIndexes(s, txn);
  std::erase_if(s.exclusions,
                [&](const internal::Exclusion& x) { return x.until <= now; });
  ReviewItem& it = s.item;
  it.state = ItemState::kLeased;
  it.lease_holder = std::string(moderator);
  it.lease_token = std::string(token);
  it.lease_id = lease_id;
  it.lease_expires = expires;
  const std::string details =
      absl::StrCat("lease=", it.lease_id, " lane=", it.lane,
                   " expires=", FormatRfc3339(expires, TimePrecision::kMillis),
                   c.overdue ? " overdue=1" : "");
  it.history.push_back(
      {now, std::string(moderator), "lease", it.lease_id, details});
  PutItem(s, txn);
  std::string lease_key = internal::LeaseKey(expires, it.id);
  txn.batch.Put(cf(internal::kLeasesCf), lease_key,
                internal::U64Key(it.lease_id));
  txn.leases_inserted.push_back(std::move(lease_key));
  txn.counter_deltas[internal::kLeasedCounter] += 1;
  if (options_.welfare.max_items_per_hour > 0 ||
      options_.welfare.max_items_per_shift > 0) {
    txn.batch.Put(cf(internal::kExposureCf),
                  internal::ModeratorEventKey(moderator, now, it.id), "");
  }
  AddAudit(txn, now, moderator, AuditEvent::kLease, it.id, details);
  LeasedItem leased;
  leased.lease = {it.id, it.lease_id, it.lease_token};
  leased.expires = expires;
  leased.effective_priority = EffectivePriority(
      options_.priority, it.base_priority, now - it.lane_time);
  leased.overdue = c.overdue;
  return leased;
}

void ReviewQueue::Impl::UpdateModeratorAfterLease(
    absl::string_view moderator, const LeasePlan& plan, absl::Time now,
    internal::ModeratorState& state, Txn& txn) const {
  state.consecutive =
      plan.verdict.consecutive + static_cast<int64_t>(plan.picks.size());
  state.last_activity = now;
  if (now - state.last_prune >= absl::Hours(1)) {
    // Exposure and decision keys older than any window: drop them.
    const std::string prefix = internal::ModeratorPrefix(moderator);
    txn.batch.DeleteRange(
        cf(internal::kExposureCf), prefix,
        internal::ModeratorEventKey(
            moderator, now - internal::WelfareWindow(options_.welfare), 0));
    txn.batch.DeleteRange(
        cf(internal::kDecisionsCf), prefix,
        internal::ModeratorEventKey(moderator, now - absl::Hours(1), 0));
    state.last_prune = now;
  }
  txn.batch.Put(cf(internal::kModeratorsCf), ToSlice(moderator),
                internal::EncodeModeratorState(state));
}

}  // namespace hashwatch::queue
