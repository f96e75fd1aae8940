// Engine: the service's behaviour without the transport. It owns the four
// stores under the database directory (banks/, queue/, reports/, scans/)
// and implements scan -> route -> report or review, and the moderators'
// decisions, on hashwatch.v1 messages. The gRPC services (services.h) add
// authentication, roles and the mapping of absl::Status to gRPC status.
//
// Durability: every answer that reports a filed report, a queued item or a
// decision is given after those writes are synced. Scans are idempotent by
// content id (a striped lock serialises concurrent scans of one id).
//
// Thread-safety: all methods are thread-safe.
#ifndef HASHWATCH_REVIEW_API_ENGINE_H_
#define HASHWATCH_REVIEW_API_ENGINE_H_

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "hashwatch/v1/review.pb.h"
#include "hashwatch/v1/scan.pb.h"
#include "matcher/bank_store.h"
#include "matcher/decode.h"
#include "matcher/pdq.h"
#include "matcher/routing.h"
#include "queue/review_queue.h"
#include "report/report_store.h"
#include "review_api/config.h"
#include "review_api/scan_records.h"

namespace hashwatch::review_api {

class Engine final {
 public:
  // Opens (creating if missing) the stores under config.db and makes sure
  // the platform and allow banks exist. Unavailable when another process
  // holds the database. `cancel_load`, when set, is polled while the bank
  // index loads (seconds at 10M entries); returning true abandons the open
  // with Cancelled.
  static absl::StatusOr<std::unique_ptr<Engine>> Open(
      const ServerConfig& config, Clock* clock,
      std::function<bool()> cancel_load = nullptr);
  ~Engine();

  // One scan. InvalidArgument / ResourceExhausted name the problem; nothing
  // is stored when the request is bad.
  absl::StatusOr<v1::ScanResponse> Scan(const v1::ScanRequest& request);
  absl::StatusOr<v1::HashResponse> Hash(const v1::HashRequest& request) const;

  // Review calls, acting for `moderator` (the authenticated principal).
  // Escalated items go to leads: without `lead`, the escalation lane is
  // left out (and asking for it is PermissionDenied).
  absl::StatusOr<v1::LeaseResponse> Lease(absl::string_view moderator,
                                          const v1::LeaseRequest& request, bool lead);
  absl::StatusOr<v1::ExtendLeaseResponse> ExtendLease(absl::string_view moderator,
                                                      const v1::ExtendLeaseRequest& request);
  absl::Status Release(absl::string_view moderator, const v1::ReleaseRequest& request);
  absl::StatusOr<v1::DecideResponse> Decide(absl::string_view moderator,
                                            const v1::DecideRequest& request);
  absl::StatusOr<v1::ReviewItem> GetItem(const v1::GetItemRequest& request) const;
  absl::StatusOr<v1::QueueStats> Stats() const;
  // The caller's right to reveal is checked by the service.
  absl::StatusOr<v1::RevealResponse> Reveal(absl::string_view who,
                                            const v1::RevealRequest& request);
  absl::StatusOr<v1::EnqueueCaseResponse> EnqueueCase(const v1::EnqueueCaseRequest& request);

  // Returns expired leases to the queue and deletes expired scan records.
  absl::Status Housekeeping();

  matcher::BankStore& banks() { return *banks_; }
  report::ReportStore& reports() { return *reports_; }
  queue::ReviewQueue& review_queue() { return *queue_; }
  const ServerConfig& config() const { return config_; }

 private:
  // A scan's hashes, validated (given) or computed (image).
  struct ScanHashes {
    v1::Hashes hashes;                     // canonical lowercase hex
    std::vector<matcher::PdqHash> queries; // PDQ (and its dihedral variants)
    int quality = 100;                     // exact-hash-only scans are fully trusted
  };

  Engine(const ServerConfig& config, Clock* clock);
  absl::Status CheckImage(const std::string& image) const;
  matcher::DecodeOptions Decoding(bool compat) const;
  absl::StatusOr<ScanHashes> ComputeHashes(const v1::ScanRequest& request) const;
  absl::StatusOr<v1::ScanResponse> ScanLocked(const v1::ScanRequest& request,
                                              ScanHashes computed);
  absl::Status ValidateLane(absl::string_view lane, absl::string_view field) const;
  absl::StatusOr<std::vector<std::string>> BankConfirmedHashes(const queue::ReviewItem& item,
                                                               const std::string& bank,
                                                               const std::string& category,
                                                               const std::string& note);

  const ServerConfig config_;
  Clock* const clock_;
  matcher::RoutingOptions routing_;
  matcher::FloodGuard flood_guard_;
  std::vector<std::string> lanes_;
  std::string escalation_lane_;
  std::unique_ptr<matcher::BankStore> banks_;
  std::unique_ptr<queue::ReviewQueue> queue_;
  std::unique_ptr<report::ReportStore> reports_;
  std::unique_ptr<ScanRecords> records_;
  std::array<absl::Mutex, 64> content_locks_;
};

}  // namespace hashwatch::review_api

#endif  // HASHWATCH_REVIEW_API_ENGINE_H_
