// The review queue's audit log: an append-only sequence of entries, one per
// enqueue, lease, lease extension, expiry, release, decision, escalation and
// reveal, each written in the same RocksDB write batch as the change it
// records. Entry i carries the SHA-256 of entry i-1's stored bytes (entry 0
// carries 32 zero bytes), so editing, removing or reordering any entry
// breaks the chain at the next one; ReviewQueue::VerifyAudit finds it.
//
// The chain proves integrity against edits that do not rewrite every later
// entry; to detect a full rewrite, export AuditHead periodically to a place
// the queue's host cannot write (a hotline, a transparency log).
//
// Thread-safety: value types.
#ifndef HASHWATCH_QUEUE_AUDIT_H_
#define HASHWATCH_QUEUE_AUDIT_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hashwatch::queue {

enum class AuditEvent {
  kEnqueue = 0,
  kLease = 1,
  kExtend = 2,
  kExpiry = 3,
  kRelease = 4,
  kDecision = 5,
  kEscalation = 6,
  kReveal = 7,
};

// "enqueue", "lease", "extend", "expiry", "release", "decision",
// "escalation", "reveal".
absl::string_view AuditEventName(AuditEvent event);

struct AuditEntry {
  uint64_t index = 0;  // 0, 1, 2, ... with no gaps
  absl::Time time;
  std::string actor;  // moderator id, or "system" (enqueue, expiry)
  AuditEvent event = AuditEvent::kEnqueue;
  uint64_t item_id = 0;
  std::string details;    // "key=value" pairs separated by spaces
  std::string prev_hash;  // 32 raw bytes: SHA-256 of entry index-1's bytes
};

// The end of the chain: how many entries there are and the SHA-256 (64
// lowercase hex digits) of the last one's stored bytes (64 zeros when empty).
struct AuditHead {
  uint64_t entries = 0;
  std::string last_hash_hex;
};

}  // namespace hashwatch::queue

#endif  // HASHWATCH_QUEUE_AUDIT_H_
