// ScanRecords: what the service keeps per scanned content id, on its own
// RocksDB database (DIR/scans).
//
//  - The idempotency record: content id -> the scan's answer, so a repeated
//    Scan returns the first verdict and creates nothing new. For NO_MATCH
//    the answer holds the verdict only (no hashes) and expires after a TTL;
//    expired records are ignored at once and deleted by PurgeExpired.
//  - Reveal previews: review item id -> the unblurred preview JPEG, kept
//    only for audited reveals.
//  - Flood quarantines: bank entry id -> end of its quarantine, so that
//    the flood guard's state survives a restart.
//
// Expiry. Each record that expires also has a key (expiry time, content id)
// in an expiry index, written in the same atomic write as the record; a
// re-Put moves it. PurgeExpired walks that index in time order and stops at
// the first key in the future, so a pass costs in proportion to what
// expires, never to what is stored, and reads no record values. A database
// written before the index existed is indexed by the first Open (one pass
// over all records, logged) and never again; once opened by this version
// it can no longer be opened by an older one (RocksDB refuses a database
// whose column families it does not name).
//
// Values are opaque bytes to this class (the engine stores encoded
// ScanRecords, scan_record.h). Thread-safety: all methods are thread-safe.
// Puts of one content id are serialized (content ids are striped over 64
// locks); a purge holds one stripe at a time, for one write of about 150
// deletions.
#ifndef HASHWATCH_REVIEW_API_SCAN_RECORDS_H_
#define HASHWATCH_REVIEW_API_SCAN_RECORDS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace hashwatch::review_api {

struct ScanRecordsOptions {
  std::string path;  // database directory; required
  bool create_if_missing = true;
};

class ScanRecords final {
 public:
  // Unavailable when another process holds the directory; DataLoss on
  // corruption.
  static absl::StatusOr<std::unique_ptr<ScanRecords>> Open(
      const ScanRecordsOptions& options, Clock* clock);
  ~ScanRecords();
  ScanRecords(const ScanRecords&) = delete;
  ScanRecords& operator=(const ScanRecords&) = delete;

  // The stored answer for `content_id`, or nullopt when none is stored or
  // it expired.
  absl::StatusOr<std::optional<std::string>> Get(
      absl::string_view content_id) const;
  // Stores the answer, replacing any stored for `content_id` (its expiry
  // included); `expires` InfiniteFuture = kept. `sync`: fsync the WAL before
  // returning (otherwise the write reaches the OS only). Reads the stored
  // record first, to move its expiry.
  absl::Status Put(absl::string_view content_id, absl::string_view answer,
                   absl::Time expires, bool sync);
  // Deletes every record whose expiry is at or before the clock's now;
  // returns how many. Cost: one seek plus the expired records (read 10,000
  // at a time); with nothing expired, one seek. Passes run one at a time.
  // Not durable on return (the deletions reach the OS only).
  absl::StatusOr<int64_t> PurgeExpired();

  absl::Status PutRevealPreview(uint64_t item_id, absl::string_view jpeg);
  // NotFound when none is kept for the item.
  absl::StatusOr<std::string> GetRevealPreview(uint64_t item_id) const;
  // Deletes the item's unblurred preview (none stored is fine); synced.
  absl::Status DeleteRevealPreview(uint64_t item_id);
  // The ids of items with a kept preview, ascending, above `after`; at most
  // `max_ids`.
  absl::StatusOr<std::vector<uint64_t>> RevealPreviewIds(uint64_t after,
                                                         int max_ids) const;

  // The own-material signature (matcher::OwnSignature bytes) of a review
  // item's picture, kept while the item waits so that a confirm can bank it
  // (the picture itself is never kept). Put and Delete are synced; Delete of
  // none is fine. Get: NotFound when none is kept.
  absl::Status PutItemSignature(uint64_t item_id, absl::string_view signature);
  absl::StatusOr<std::string> GetItemSignature(uint64_t item_id) const;
  absl::Status DeleteItemSignature(uint64_t item_id);

  // The flood guard's quarantines (matcher::FloodGuard): bank entry id ->
  // the time its quarantine ends. Put is synced.
  absl::Status PutFloodQuarantine(uint64_t entry_id, absl::Time until);
  absl::StatusOr<std::vector<std::pair<uint64_t, absl::Time>>>
  FloodQuarantines() const;

 private:
  struct Impl;
  explicit ScanRecords(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hashwatch::review_api

#endif  // HASHWATCH_REVIEW_API_SCAN_RECORDS_H_
