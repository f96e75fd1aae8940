// Engine: the service's behaviour without the transport. It owns the four
// stores under the database directory (banks/, queue/, reports/, scans/)
// and implements every call of hashwatch.v1 on its messages: scan -> route
// -> report or review, the moderators' decisions, the banks and the
// reports. Each request is checked first, in one place (validation.h). The
// gRPC services (services.h) add only authentication, roles, the streams'
// mechanics and the mapping of absl::Status to gRPC status.
//
// Durability: every answer that reports a filed report, a queued item, a
// decision or a bank change is given after those writes are synced. Scans
// are idempotent by content id (a striped lock serialises concurrent scans
// of one id; the answer is kept as a ScanRecord, scan_record.h).
//
// `who` and `moderator` arguments name the authenticated principal; the
// engine logs and audits with them and trusts the caller's role check.
//
// Thread-safety: all methods are thread-safe.
#ifndef HASHWATCH_REVIEW_API_ENGINE_H_
#define HASHWATCH_REVIEW_API_ENGINE_H_

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "hashwatch/v1/bank.pb.h"
#include "hashwatch/v1/report.pb.h"
#include "hashwatch/v1/review.pb.h"
#include "hashwatch/v1/scan.pb.h"
#include "matcher/bank_store.h"
#include "matcher/decode.h"
#include "matcher/evidence.h"
#include "matcher/pdq.h"
#include "matcher/routing.h"
#include "queue/review_queue.h"
#include "report/report_store.h"
#include "review_api/config.h"
#include "review_api/scan_record.h"
#include "review_api/scan_records.h"
#include "review_api/validation.h"

namespace hashwatch::review_api {

class Engine final {
 public:
  // The next message of a client stream into `message`; false at its end.
  template <typename Message>
  using StreamReader = absl::FunctionRef<bool(Message* message)>;
  // Hands one message of a server stream to the client; an error (the
  // client went away) ends the call with that error.
  template <typename Message>
  using StreamWriter = absl::FunctionRef<absl::Status(const Message& message)>;

  // Opens (creating if missing) the stores under config.db and makes sure
  // the platform and allow banks exist. Unavailable when another process
  // holds the database. `cancel_load`, when set, is polled while the bank
  // index loads (seconds at 10M entries); returning true abandons the open
  // with Cancelled.
  static absl::StatusOr<std::unique_ptr<Engine>> Open(
      const ServerConfig& config, Clock* clock,
      std::function<bool()> cancel_load = nullptr);
  ~Engine();

  // ---- Scans. InvalidArgument / ResourceExhausted name the problem;
  // nothing is stored when the request is bad.
  absl::StatusOr<v1::ScanResponse> Scan(const v1::ScanRequest& request);
  absl::StatusOr<v1::HashResponse> Hash(const v1::HashRequest& request) const;

  // ---- Review, acting for `moderator`. Escalated items go to leads:
  // without `lead`, the escalation lane is left out (and asking for it is
  // PermissionDenied).
  absl::StatusOr<v1::LeaseResponse> Lease(absl::string_view moderator,
                                          const v1::LeaseRequest& request,
                                          bool lead);
  absl::StatusOr<v1::ExtendLeaseResponse> ExtendLease(
      absl::string_view moderator, const v1::ExtendLeaseRequest& request);
  absl::Status Release(absl::string_view moderator,
                       const v1::ReleaseRequest& request);
  // FailedPrecondition unless the lease is the moderator's and live. A
  // confirm files a report (with the item's hashes and evidence) and banks
  // the hashes in the platform bank; a reject may allow-list them.
  absl::StatusOr<v1::DecideResponse> Decide(absl::string_view moderator,
                                            const v1::DecideRequest& request);
  absl::StatusOr<v1::ReviewItem> GetItem(
      const v1::GetItemRequest& request) const;
  absl::StatusOr<v1::QueueStats> Stats() const;
  // The caller's right to reveal is checked by the service. Audited before
  // the picture is returned; FailedPrecondition for a decided item.
  absl::StatusOr<v1::RevealResponse> Reveal(absl::string_view who,
                                            const v1::RevealRequest& request);
  absl::StatusOr<v1::EnqueueCaseResponse> EnqueueCase(
      const v1::EnqueueCaseRequest& request);

  // ---- Banks. Changes are made for `who` and logged with the name.
  absl::StatusOr<v1::Bank> CreateBank(absl::string_view who,
                                      const v1::CreateBankRequest& request);
  v1::ListBanksResponse ListBanks() const;
  absl::StatusOr<v1::Bank> GetBank(const v1::GetBankRequest& request) const;
  absl::StatusOr<v1::Bank> UpdatePolicy(absl::string_view who,
                                        const v1::UpdatePolicyRequest& request);
  // FailedPrecondition for the banks that moderators' decisions feed.
  absl::Status DeleteBank(absl::string_view who,
                          const v1::DeleteBankRequest& request);
  // Streams the messages into one import staged on disk: a list of any
  // size costs bounded memory; nothing is visible before the stream ends,
  // and nothing at all when `cancelled` says so then (Cancelled).
  absl::StatusOr<v1::WriteResult> AddEntries(
      absl::string_view who, StreamReader<v1::AddEntriesRequest> next,
      absl::FunctionRef<bool()> cancelled);
  absl::StatusOr<v1::WriteResult> RemoveEntries(
      absl::string_view who, StreamReader<v1::RemoveEntriesRequest> next);
  absl::StatusOr<v1::Entry> DisableEntry(
      absl::string_view who, const v1::DisableEntryRequest& request);
  // Parses the list line by line into one import; malformed lines refuse
  // the whole list unless skip_invalid (at most 1,000 are reported).
  absl::StatusOr<v1::ImportListResponse> ImportList(
      absl::string_view who, const v1::ImportListRequest& request);
  absl::Status ExportBank(const v1::ExportBankRequest& request,
                          StreamWriter<v1::Entry> write) const;
  absl::StatusOr<v1::BankStats> GetBankStats(
      const v1::GetStatsRequest& request) const;

  // ---- Reports.
  absl::StatusOr<v1::Report> GetReport(
      const v1::GetReportRequest& request) const;
  absl::StatusOr<v1::ListReportsResponse> ListReports(
      const v1::ListReportsRequest& request) const;
  // Every report of the filter, one JSON line each, paged; `limit` (0 = no
  // limit) caps them.
  absl::Status ExportReports(const v1::ListReportsRequest& request,
                             StreamWriter<v1::ExportChunk> write) const;
  // The reports after request.after_sequence, then each one as it is filed,
  // until `keep_going` (asked before each batch, and at least every 250 ms
  // while none comes) returns an error, which ends the watch with it.
  // OutOfRange for a cursor beyond the last report's sequence.
  absl::Status WatchReports(const v1::WatchReportsRequest& request,
                            StreamWriter<v1::Report> write,
                            absl::FunctionRef<absl::Status()> keep_going) const;
  absl::StatusOr<v1::Report> MarkSubmitted(
      absl::string_view who, const v1::MarkSubmittedRequest& request);

  // Returns expired leases to the queue and deletes expired scan records.
  absl::Status Housekeeping();

 private:
  // A scan's hashes, validated (given) or computed (image).
  struct ScanHashes {
    matcher::ContentHashes hashes;          // canonical lowercase hex
    std::vector<matcher::PdqHash> queries;  // PDQ (and its dihedral variants)
    int quality = 100;  // exact-hash-only scans are fully trusted
  };

  Engine(const ServerConfig& config, Clock* clock,
         std::vector<std::string> lanes, std::string escalation_lane);
  absl::Status EnsureDecisionBanks();
  matcher::DecodeOptions Decoding(bool compat) const;

  // The steps of a scan (engine_scan.cc).
  absl::StatusOr<ScanHashes> ComputeHashes(
      const v1::ScanRequest& request) const;
  absl::StatusOr<v1::ScanResponse> ScanLocked(const v1::ScanRequest& request,
                                              const ScanHashes& computed);
  absl::StatusOr<std::optional<ScanRecord>> FindRecord(
      absl::string_view content_id) const;
  absl::StatusOr<std::vector<matcher::Match>> LookUp(
      const ScanHashes& computed) const;
  matcher::RoutingDecision RouteMatches(
      const v1::ScanRequest& request,
      const std::vector<matcher::Match>& matches, int quality);
  // `binding`: the scan's ContentBinding (scan_record.h).
  absl::StatusOr<std::string> FileAutomaticReport(
      const v1::ScanRequest& request, const matcher::RoutingDecision& decision,
      const matcher::ContentHashes& hashes, absl::string_view binding);
  absl::StatusOr<uint64_t> QueueForReview(
      const v1::ScanRequest& request, const matcher::RoutingDecision& decision,
      const matcher::ContentHashes& hashes, absl::string_view binding);
  absl::Status KeepRevealPreview(
      const v1::ScanRequest& request, uint64_t item_id,
      const std::optional<queue::ReviewItem>& existing);
  std::string Preview(const v1::ScanRequest& request,
                      absl::string_view content_id, bool reveal) const;
  absl::Status KeepRecord(absl::string_view content_id, ScanRecord record,
                          const matcher::ContentHashes& hashes);
  // A report of `content_id` as either origin files it.
  static report::Report DraftReport(
      report::ReportOrigin origin, absl::string_view content_id,
      const matcher::ContentHashes& hashes,
      std::vector<matcher::MatchEvidence> evidence, std::string category,
      const queue::CallerContext& context);

  // Review helpers (engine_review.cc).
  absl::Status CheckLiveLease(absl::string_view moderator,
                              const queue::ReviewItem& item,
                              uint64_t lease_id) const;
  absl::StatusOr<std::string> FileConfirmedReport(absl::string_view moderator,
                                                  const queue::ReviewItem& item,
                                                  const std::string& category);
  absl::StatusOr<std::vector<std::string>> BankItemHashes(
      const queue::ReviewItem& item, const std::string& bank,
      const std::string& category, const std::string& note);

  const ServerConfig config_;
  Clock* const clock_;
  const RequestValidator validator_;
  matcher::RoutingOptions routing_;
  matcher::FloodGuard flood_guard_;
  std::unique_ptr<matcher::BankStore> banks_;
  std::unique_ptr<queue::ReviewQueue> queue_;
  std::unique_ptr<report::ReportStore> reports_;
  std::unique_ptr<ScanRecords> records_;
  std::array<absl::Mutex, 64> content_locks_;
};

}  // namespace hashwatch::review_api

#endif  // HASHWATCH_REVIEW_API_ENGINE_H_
