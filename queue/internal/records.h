// Stored record types and their encodings (private; keys in schema.h). Each
// record is in the record codec (common/record_codec.h): a version, then the
// fields in the order the encoders write them. Decoders return DataLoss for
// malformed bytes.
#ifndef HASHWATCH_QUEUE_INTERNAL_RECORDS_H_
#define HASHWATCH_QUEUE_INTERNAL_RECORDS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "queue/audit.h"
#include "queue/review_item.h"

namespace hashwatch::queue::internal {

// A moderator who skipped an item, and until when it is hidden from them.
struct Exclusion {
  std::string moderator;
  absl::Time until;
};

// An item as stored in the `items` family: the public record plus what the
// indexes need to find its keys again.
struct StoredItem {
  ReviewItem item;
  absl::Time virtual_enqueue;         // its `ready` key time
  std::vector<Exclusion> exclusions;  // also the value of its index keys
};

std::string EncodeItem(const StoredItem& item);
absl::Status DecodeItem(absl::string_view bytes, StoredItem* item);

std::string EncodeExclusions(const std::vector<Exclusion>& exclusions);
absl::Status DecodeExclusions(absl::string_view bytes,
                              std::vector<Exclusion>* exclusions);
// True if the encoded exclusions hide the item from `moderator` at `now`.
// Malformed bytes exclude nothing (the item record is the authority).
bool Excludes(absl::string_view encoded, absl::string_view moderator,
              absl::Time now);

// The audit value: version, index, time, actor, event, item id, details,
// then prev_hash as a length-prefixed 32 bytes.
std::string EncodeAuditEntry(const AuditEntry& entry);
absl::Status DecodeAuditEntry(absl::string_view bytes, AuditEntry* entry);

// The queue's small global state, one value in the meta family, rewritten
// by every commit (one key instead of several per batch): the audit head,
// the id counters, and the depth counters.
struct QueueState {
  uint64_t audit_entries = 0;
  std::string audit_hash = std::string(32, '\0');  // SHA-256 of the last entry
  uint64_t next_item_id = 1;
  uint64_t next_lease_id = 1;
  std::map<std::string, int64_t, std::less<>> counters;  // see schema.h
};
std::string EncodeQueueState(const QueueState& state);
absl::Status DecodeQueueState(absl::string_view bytes, QueueState* state);

// Per-moderator welfare state, in the `moderators` family.
struct ModeratorState {
  int64_t consecutive = 0;                          // items since last break
  absl::Time last_activity = absl::InfinitePast();  // last lease or decision
  absl::Time last_prune =
      absl::InfinitePast();  // of old exposure/decision keys
};
std::string EncodeModeratorState(const ModeratorState& state);
absl::Status DecodeModeratorState(absl::string_view bytes,
                                  ModeratorState* state);

// SHA-256 of `bytes`, 32 raw bytes (OpenSSL EVP).
std::string Sha256(absl::string_view bytes);

}  // namespace hashwatch::queue::internal

#endif  // HASHWATCH_QUEUE_INTERNAL_RECORDS_H_
