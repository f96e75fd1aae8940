// The queue's RocksDB layout (private): column families and key formats.
// All integers in keys are fixed-width big-endian; times are Unix
// microseconds with the sign bit flipped (common/ordered_key.h), so bytewise
// key order is numeric order. Lane and moderator ids never contain '\0'
// (validated), so
// "<id>\0" is a prefix no other id extends.
//
//  family      key                                        value
//  ----------  -----------------------------------------  -------------------
//  default     "state"                                     QueueState
//  (records.h) items       u64 item_id StoredItem (records.h) content
//  content_id                                  u64 item_id previews    u64
//  item_id                                 preview bytes ready       lane \0
//  time virtual_enqueue u64 item_id    exclusions (records.h) due         lane
//  \0 u8 class time deadline u64 item_id  exclusions leases      time expires
//  u64 item_id                    u64 lease_id exposure    moderator \0 time
//  leased u64 item_id        "" decisions   moderator \0 time decided u64
//  item_id       u8 DecisionKind moderators  moderator ModeratorState audit u64
//  index                                   AuditEntry (records.h)
//
// `ready` holds every waiting (queued or escalated) item once, ordered per
// lane by virtual enqueue time (queue/priority.h): the first key of a lane
// is its highest effective priority now and at any later time. `due` holds
// the same items per lane and class by SLA deadline: its first key per
// (lane, class) is that class's oldest item and tells whether anything is
// overdue. `leases` holds every leased item by expiry, so expired leases are
// a prefix. The `state` value holds the audit head, the next ids and the
// counters (waiting per lane and class, leased, decided, items); every
// batch rewrites it with the keys it counts.
#ifndef HASHWATCH_QUEUE_INTERNAL_SCHEMA_H_
#define HASHWATCH_QUEUE_INTERNAL_SCHEMA_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/ordered_key.h"
#include "queue/priority.h"

namespace hashwatch::queue::internal {

enum Cf {
  kMetaCf = 0,
  kItemsCf,
  kContentCf,
  kPreviewsCf,
  kReadyCf,
  kDueCf,
  kLeasesCf,
  kExposureCf,
  kDecisionsCf,
  kModeratorsCf,
  kAuditCf,
  kCfCount,
};

inline constexpr std::array<const char*, kCfCount> kCfNames = {
    "default", "items",    "content",   "previews",   "ready", "due",
    "leases",  "exposure", "decisions", "moderators", "audit"};

inline constexpr absl::string_view kStateKey = "state";
// kMetaCf: kPendingPrefix + U64Key(item id) while a final decision's
// follow-up is not acknowledged (ReviewQueue::PendingDecisions).
inline constexpr absl::string_view kPendingPrefix = "pending/";

// items, previews, audit: an 8-byte big-endian id (common/ordered_key.h).
inline std::string U64Key(uint64_t v) { return BigEndianKey(v); }
inline uint64_t ParseU64Key(absl::string_view key) {  // key.size() == 8
  return ReadBigEndian(key);
}

std::string LanePrefix(absl::string_view lane);  // lane \0
std::string ReadyKey(absl::string_view lane, absl::Time virtual_enqueue,
                     uint64_t item_id);
std::string DuePrefix(absl::string_view lane, PriorityClass c);
std::string DueKey(absl::string_view lane, PriorityClass c, absl::Time deadline,
                   uint64_t item_id);
std::string LeaseKey(absl::Time expires, uint64_t item_id);
std::string ModeratorPrefix(absl::string_view moderator);  // moderator \0
// exposure and decisions keys.
std::string ModeratorEventKey(absl::string_view moderator, absl::Time t,
                              uint64_t item_id);

// Fields from the fixed-width tail of ready, due, leases and moderator event
// keys: the last 16 bytes are time then item id.
absl::Time KeyTailTime(absl::string_view key);
uint64_t KeyTailItem(absl::string_view key);
// The moderator of a moderator event key (the bytes before the last 17).
absl::string_view KeyModerator(absl::string_view key);

// The smallest key greater than every key starting with `prefix`.
using ::hashwatch::PrefixEnd;

// Counter names.
std::string WaitingCounter(absl::string_view lane, PriorityClass c);
inline constexpr absl::string_view kLeasedCounter = "leased";
inline constexpr absl::string_view kDecidedCounter = "decided";
inline constexpr absl::string_view kItemsCounter = "items";

}  // namespace hashwatch::queue::internal

#endif  // HASHWATCH_QUEUE_INTERNAL_SCHEMA_H_
