// The records of the review queue: what a caller enqueues (EnqueueRequest),
// what the queue stores and hands out (ReviewItem), and what a moderator
// decides (DecisionRequest -> Decision). Plain value types; the queue itself
// is in queue/review_queue.h, the priority formula in queue/priority.h.
//
// Thread-safety: value types, no shared state.
#ifndef HASHWATCH_QUEUE_REVIEW_ITEM_H_
#define HASHWATCH_QUEUE_REVIEW_ITEM_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "matcher/evidence.h"
#include "queue/priority.h"

namespace hashwatch::queue {

enum class ItemKind {
  kHashMatch = 0,  // a list match below the auto-report confidence
  kNovel = 1,      // no list match; flagged by a classifier, report or signal
  kCase = 2,       // not an image: e.g. a grooming report about an account
};

enum class ItemState {
  kQueued = 0,     // waiting in a regular lane
  kLeased = 1,     // held by one moderator until decided, released or expired
  kDecided = 2,    // confirmed or rejected; final
  kEscalated = 3,  // waiting in the escalation lane for a lead
};

enum class DecisionKind {
  kConfirm = 0,   // abuse material: the service files a report, banks hashes
  kReject = 1,    // false positive; optionally allow-list the hash
  kEscalate = 2,  // moves the item to the escalation lane
  kSkip = 3,      // back to the queue; not offered to this moderator a while
};

// Lowercase names ("hash_match", "queued", "confirm", ...), used in audit
// details and messages.
absl::string_view ItemKindName(ItemKind kind);
absl::string_view ItemStateName(ItemState state);
absl::string_view DecisionKindName(DecisionKind kind);

// What the calling platform told us about the upload.
struct CallerContext {
  std::string uploader;                           // account id
  absl::Time upload_time = absl::InfinitePast();  // InfinitePast: unknown
  std::string ip;
  double classifier_score = -1;      // 0..1; negative: no classifier ran
  std::vector<std::string> signals;  // e.g. "grooming", "livestream"
};

struct EnqueueRequest {
  // The caller's content id; also the idempotency key: a second enqueue
  // with the same id returns the first item. Required.
  std::string content_id;
  std::string lane;  // a configured lane; required
  ItemKind kind = ItemKind::kHashMatch;
  matcher::ContentHashes hashes;  // as the scanner computed them
  // The list matches, with their banks' thresholds (the priority's
  // confidence term needs no bank lookup); entry_id is not kept.
  std::vector<matcher::MatchEvidence> matches;
  CallerContext context;
  std::string category;       // severity category; may be empty (unknown)
  double priority_boost = 0;  // the bank policy's boost, in priority points
  std::string preview;        // optional preview image bytes (already blurred)
  // What the item is about, in words (cases: e.g. a grooming report);
  // at most 4096 bytes.
  std::string summary;
};

struct EnqueueResult {
  uint64_t item_id = 0;
  bool created = false;  // false: the content id was already enqueued
};

// Names one lease of one item. A lease is live while the item is leased
// under this lease id and its expiry has not passed.
struct LeaseRef {
  uint64_t item_id = 0;
  uint64_t lease_id = 0;
  // The credential the lease was taken with (Lease's `token`); a lease is
  // live only for the same token, so a re-created moderator name does not
  // inherit it. Empty for callers without credentials.
  std::string token = {};
};

struct DecisionRequest {
  DecisionKind kind = DecisionKind::kSkip;
  std::string category = {};       // kConfirm: required, the confirmed category
  bool add_to_allow_list = false;  // kReject: ask the service to allow-list
  std::string note = {};           // free text for the record
};

// A recorded decision, returned to the caller so the service can act
// (report, bank update, allow list).
struct Decision {
  uint64_t item_id = 0;
  uint64_t lease_id = 0;
  std::string moderator;
  DecisionKind kind = DecisionKind::kSkip;
  std::string category;
  bool add_to_allow_list = false;
  std::string note;
  absl::Time time;
};

// One line of an item's own history (the audit log holds the same events,
// chained; this is the per-item view).
struct HistoryEntry {
  absl::Time time;
  std::string actor;  // moderator id, or "system"
  std::string event;  // "enqueue", "lease", "expiry", "release", "decision",
                      // "escalation", "reveal", "extend"
  uint64_t lease_id = 0;  // 0 when no lease is involved
  std::string details;    // e.g. "kind=skip"
};

struct ReviewItem {
  uint64_t id = 0;
  std::string content_id;
  std::string lane;  // the lane it waits or waited in
  ItemKind kind = ItemKind::kHashMatch;
  matcher::ContentHashes hashes;
  std::vector<matcher::MatchEvidence> matches;  // entry_id 0: not kept
  CallerContext context;
  std::string category;
  double priority_boost = 0;
  bool has_preview = false;  // fetch with ReviewQueue::GetPreview
  std::string summary;       // as enqueued

  absl::Time enqueue_time;  // first enqueue
  absl::Time lane_time;     // entered the current lane (escalation resets it)
  double base_priority = 0;
  PriorityClass priority_class = PriorityClass::kLow;
  absl::Time sla_deadline;  // lane_time + the lane's SLA for the class

  ItemState state = ItemState::kQueued;
  std::string lease_holder;  // set while kLeased
  uint64_t lease_id = 0;     // the current or last lease; 0 if never leased
  absl::Time lease_expires = absl::InfinitePast();
  // The credential (Lease's `token`) of the current or last lease.
  std::string lease_token;

  std::optional<Decision> decision;  // the final confirm/reject
  std::vector<HistoryEntry> history;
};

// An item handed to a moderator.
struct LeasedItem {
  ReviewItem item;
  LeaseRef lease;
  absl::Time expires;
  double effective_priority = 0;  // at lease time (see queue/priority.h)
  bool overdue = false;           // its SLA deadline had passed
};

}  // namespace hashwatch::queue

#endif  // HASHWATCH_QUEUE_REVIEW_ITEM_H_
