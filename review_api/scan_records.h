// ScanRecords: what the service keeps per scanned content id, on its own
// RocksDB database (DIR/scans).
//
//  - The idempotency record: content id -> the scan's answer, so a repeated
//    Scan returns the first verdict and creates nothing new. For NO_MATCH
//    the answer holds the verdict only (no hashes) and expires after a TTL;
//    expired records are ignored at once and deleted by PurgeExpired.
//  - Reveal previews: review item id -> the unblurred preview JPEG, kept
//    only for audited reveals.
//
// Values are opaque bytes to this class (the service stores serialized
// answers). Thread-safety: all methods are thread-safe.
#ifndef HASHWATCH_REVIEW_API_SCAN_RECORDS_H_
#define HASHWATCH_REVIEW_API_SCAN_RECORDS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

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
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view content_id) const;
  // Stores the answer; `expires` InfiniteFuture = kept. `sync`: fsync the
  // WAL before returning (otherwise the write reaches the OS only).
  absl::Status Put(absl::string_view content_id, absl::string_view answer,
                   absl::Time expires, bool sync);
  // Deletes every expired record; returns how many.
  absl::StatusOr<int64_t> PurgeExpired();

  absl::Status PutRevealPreview(uint64_t item_id, absl::string_view jpeg);
  // NotFound when none is kept for the item.
  absl::StatusOr<std::string> GetRevealPreview(uint64_t item_id) const;

 private:
  struct Impl;
  explicit ScanRecords(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hashwatch::review_api

#endif  // HASHWATCH_REVIEW_API_SCAN_RECORDS_H_
