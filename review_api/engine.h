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
#include "matcher/lookup.h"
#include "matcher/own_pictures.h"
#include "matcher/own_signature.h"
#include "matcher/pdq.h"
#include "matcher/routing.h"
#include "queue/review_queue.h"
#include "report/report_store.h"
#include "review_api/config.h"
#include "review_api/decode_budget.h"
#include "review_api/scan_record.h"
#include "review_api/scan_records.h"
#include "review_api/validation.h"

namespace hashwatch::review_api {

// Who acts on the review queue: the authenticated token's name and id and
// whether its role reads every item. Moderators read and reveal only the
// items leased to them, under the same token; leads (and admins) any item,
// the escalated ones included.
struct Reviewer {
  std::string name;
  std::string token_id;  // Principal::token_id; "" without tokens
  bool lead = false;     // lead or admin
};

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

  // ---- Review, acting for `who`. Escalated items go to leads: without
  // `lead`, the escalation lane is left out (and asking for it is
  // PermissionDenied). A lease belongs to the token it was taken with.
  absl::StatusOr<v1::LeaseResponse> Lease(const Reviewer& who,
                                          const v1::LeaseRequest& request);
  absl::StatusOr<v1::ExtendLeaseResponse> ExtendLease(
      const Reviewer& who, const v1::ExtendLeaseRequest& request);
  absl::Status Release(const Reviewer& who, const v1::ReleaseRequest& request);
  // FailedPrecondition unless the lease is the caller's and live. A confirm
  // files a report (with the item's hashes and evidence) and banks the
  // hashes in the platform bank; a reject may allow-list them; both delete
  // the unblurred preview. The queue's decision is the commit point: the
  // rest follows it, and is completed when the engine next opens after a
  // crash, so a decision never stands without its report and entries, nor
  // they without it. Retried (same item, lease, token and decision) after
  // it was recorded, it returns the same answer (the same report id).
  absl::StatusOr<v1::DecideResponse> Decide(const Reviewer& who,
                                            const v1::DecideRequest& request);
  // PermissionDenied (naming why) for a moderator asking for an item not
  // leased to them under this token, or an escalated item.
  absl::StatusOr<v1::ReviewItem> GetItem(
      const Reviewer& who, const v1::GetItemRequest& request) const;
  absl::StatusOr<v1::QueueStats> Stats() const;
  // The caller's right to reveal is checked by the service; who may see
  // which item as for GetItem. Audited before the picture is returned;
  // FailedPrecondition for a decided item or a preview past
  // review.reveal_preview_retention.
  absl::StatusOr<v1::RevealResponse> Reveal(const Reviewer& who,
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
  // Reads every message, then removes; nothing at all when `cancelled`
  // says so then (Cancelled).
  absl::StatusOr<v1::WriteResult> RemoveEntries(
      absl::string_view who, StreamReader<v1::RemoveEntriesRequest> next,
      absl::FunctionRef<bool()> cancelled);
  absl::StatusOr<v1::Entry> DisableEntry(
      absl::string_view who, const v1::DisableEntryRequest& request);
  // Parses the list line by line into one import; malformed lines refuse
  // the whole list unless skip_invalid (at most 1,000 are reported).
  absl::StatusOr<v1::ImportListResponse> ImportList(
      absl::string_view who, const v1::ImportListRequest& request);
  absl::StatusOr<v1::AddImagesResponse> AddImages(
      absl::string_view who, const v1::AddImagesRequest& request);
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

  // Returns expired leases to the queue, deletes expired scan records and
  // reveal previews past their retention, and completes decisions whose
  // follow-up failed.
  absl::Status Housekeeping();

  // Tests only: called with the name of each step of Decide as it is
  // reached ("decide:before", "decide:decided", "decide:reported",
  // "decide:banked", "decide:purged", "decide:acknowledged"), so a crash
  // test can kill the process there. Set before any call.
  void SetStepHookForTesting(std::function<void(absl::string_view)> hook) {
    step_hook_ = std::move(hook);
  }

 private:
  // A scan's hashes, validated (given) or computed (image).
  struct ScanHashes {
    matcher::ContentHashes hashes;  // canonical lowercase hex
    // The PDQ queries: the whole picture's (and its dihedral variants),
    // then those of the pictures recovered from inside it.
    std::vector<matcher::PathQueries> paths;
    int quality = 100;  // exact-hash-only scans are fully trusted
    // The image's own-material signature, computed while banks hold
    // signatures (config scan.own_signatures).
    std::optional<matcher::OwnSignature> own;
  };

  Engine(const ServerConfig& config, Clock* clock,
         std::vector<std::string> lanes, std::string escalation_lane);
  absl::Status EnsureDecisionBanks();
  absl::Status Recover();
  matcher::DecodeOptions Decoding(bool compat) const;
  // Waits for room in the decode budget for decoding `image` (nothing for
  // a JPEG, or for a picture over limits.max_image_pixels, which the
  // decode refuses from its header).
  DecodeBudget::Hold HoldForDecode(absl::string_view image) const;

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
      const ScanHashes& computed, absl::string_view binding);
  absl::Status KeepItemSignature(
      const v1::ScanRequest& request, uint64_t item_id,
      const std::optional<queue::ReviewItem>& existing,
      const std::optional<matcher::OwnSignature>& computed);
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

  // Review helpers (engine_review.cc, engine_decide.cc).
  // OK when `who` may read `item` (see GetItem).
  absl::Status CheckNeedToKnow(const Reviewer& who,
                               const queue::ReviewItem& item) const;
  // Records the decision in the queue, or finds it recorded by an earlier
  // try of the same request; returns the item as decided.
  absl::StatusOr<queue::ReviewItem> RecordDecision(
      const Reviewer& who, const v1::DecideRequest& request,
      const queue::DecisionRequest& decision, queue::Decision* decided);
  // Everything a final decision entails after the queue recorded it, each
  // step idempotent, then acknowledged to the queue.
  absl::Status CompleteDecision(const queue::ReviewItem& item,
                                v1::DecideResponse* response);
  // Completes every decision the queue holds as pending (after a crash).
  // `all`: also those younger than a minute (at Open; Housekeeping leaves
  // them to the Decide still running).
  absl::Status CompletePendingDecisions(bool all);
  absl::StatusOr<int64_t> PurgeOldRevealPreviews();
  absl::StatusOr<std::string> FileConfirmedReport(const queue::ReviewItem& item,
                                                  const queue::Decision& d);
  absl::StatusOr<matcher::OwnPicture> PrepareOwnPicture(
      const v1::AddImagesRequest::Image& image,
      const matcher::OwnSignatureOptions& options) const;
  absl::StatusOr<std::vector<std::string>> BankItemHashes(
      const queue::ReviewItem& item, const std::string& bank,
      const std::string& category, const std::string& note);
  // Adds the item's kept own-material signature (if any) to `bank`, under
  // the SHA-256 entry BankItemHashes added; "bank:signature" when it did.
  absl::StatusOr<std::optional<std::string>> BankItemSignature(
      const queue::ReviewItem& item, const std::string& bank);

  const ServerConfig config_;
  Clock* const clock_;
  const std::string escalation_lane_;
  const RequestValidator validator_;
  matcher::RoutingOptions routing_;
  matcher::FloodGuard flood_guard_;
  std::unique_ptr<matcher::BankStore> banks_;
  std::unique_ptr<queue::ReviewQueue> queue_;
  std::unique_ptr<report::ReportStore> reports_;
  std::unique_ptr<ScanRecords> records_;
  std::array<absl::Mutex, 64> content_locks_;
  std::function<void(absl::string_view)> step_hook_;
  mutable DecodeBudget decode_budget_;  // limits.decode_budget_pixels
};

}  // namespace hashwatch::review_api

#endif  // HASHWATCH_REVIEW_API_ENGINE_H_
