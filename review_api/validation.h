// RequestValidator: every check of a request's fields, in one place. The
// engine passes each request through here before it acts, and gets back
// the request as validated domain values where it needs them; nothing is
// stored when a check fails.
//
// Errors name the field and the bad value: InvalidArgument, except
// ResourceExhausted for sizes over a configured limit and PermissionDenied
// for the escalation lane asked for without a lead's rights. Rules that
// need stored state (a live lease, a bank that receives decisions, a known
// report sequence) are the engine's, not checks of a request's fields.
//
// Thread-safety: immutable after construction; all methods are const.
#ifndef HASHWATCH_REVIEW_API_VALIDATION_H_
#define HASHWATCH_REVIEW_API_VALIDATION_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hashwatch/v1/bank.pb.h"
#include "hashwatch/v1/report.pb.h"
#include "hashwatch/v1/review.pb.h"
#include "hashwatch/v1/scan.pb.h"
#include "matcher/bank.h"
#include "matcher/evidence.h"
#include "matcher/list_import.h"
#include "queue/review_item.h"
#include "report/report_store.h"
#include "review_api/config.h"

namespace hashwatch::review_api {

// Pictures per AddImages call.
inline constexpr int kMaxAddImages = 1000;

class RequestValidator final {
 public:
  // `lanes`: the queue's lanes; `escalation_lane`: the one only leads
  // lease from.
  RequestValidator(const ServerConfig& config, std::vector<std::string> lanes,
                   std::string escalation_lane);

  // Scans: the content id, the context and its lane (when named).
  absl::Status CheckScan(const v1::ScanRequest& request) const;
  // Not empty; at most limits.max_image_bytes (ResourceExhausted).
  absl::Status CheckImage(const std::string& image) const;
  // Precomputed hashes, canonical (lowercase hex); at least one is given,
  // pdq_quality 0..100 with a PDQ hash, -1 without.
  absl::StatusOr<matcher::ContentHashes> GivenHashes(
      const v1::Hashes& given) const;
  // `lane` is one of the queue's lanes; `field` names it in the error.
  absl::Status CheckLane(absl::string_view lane, absl::string_view field) const;

  // Review. The lanes a Lease may take from: those asked for, or, when
  // none is named, every lane (without `lead`, all but the escalation lane).
  struct LeaseArgs {
    int max_items = 1;
    std::vector<std::string> lanes;
  };
  absl::StatusOr<LeaseArgs> Lease(const v1::LeaseRequest& request,
                                  bool lead) const;
  absl::StatusOr<queue::DecisionRequest> Decision(
      const v1::DecideRequest& request) const;
  absl::Status CheckReveal(const v1::RevealRequest& request) const;
  // The case as a queue item (in review.case_lane unless it names one).
  absl::StatusOr<queue::EnqueueRequest> Case(
      const v1::EnqueueCaseRequest& request) const;

  // Banks.
  absl::StatusOr<matcher::BankKind> BankKind(v1::BankKind kind) const;
  // Entry `index` of an AddEntries call.
  absl::StatusOr<matcher::NewEntry> Entry(const v1::NewEntry& entry,
                                          size_t index) const;
  // Value `index` of a RemoveEntries call, canonical.
  absl::StatusOr<std::pair<matcher::SignalType, std::string>> EntryValue(
      const v1::RemoveEntriesRequest::Value& value, size_t index) const;
  // Every message of a streamed call names the same bank; `bank` holds the
  // first one's name (empty before it).
  absl::Status CheckSameBank(absl::string_view name, std::string* bank) const;
  // The signal and the `until` time of a DisableEntry (InfinitePast when
  // unset: re-enable).
  absl::StatusOr<std::pair<matcher::SignalType, absl::Time>> Disable(
      const v1::DisableEntryRequest& request) const;
  // The parser options of an ImportList (bank named, signal if given).
  absl::StatusOr<matcher::ListParseOptions> Import(
      const v1::ImportListRequest& request) const;
  // AddImages: a bank, 1..kMaxAddImages pictures, each named without
  // control characters; labels without control characters. (Each picture's
  // bytes are checked on their own: CheckImage.)
  absl::Status AddImages(const v1::AddImagesRequest& request) const;
  // More than limits.max_entries_per_import (ResourceExhausted)?
  absl::Status CheckImportCount(size_t entries) const;
  // More than limits.max_entries_per_write (ResourceExhausted)?
  absl::Status CheckWriteCount(size_t values) const;

  // Reports.
  absl::Status CheckReportId(absl::string_view id) const;
  absl::Status CheckMarkSubmitted(
      const v1::MarkSubmittedRequest& request) const;
  // A List filter (limit 0 = the default page; at most
  // limits.max_list_reports).
  absl::StatusOr<report::ReportFilter> ReportFilter(
      const v1::ListReportsRequest& request) const;
  // An Export filter: the whole range, paged; returns the request's limit
  // as well (0 = no limit).
  absl::StatusOr<std::pair<report::ReportFilter, size_t>> ExportFilter(
      const v1::ListReportsRequest& request) const;

 private:
  absl::Status CheckContext(const v1::ScanContext& context) const;

  const ServerConfig& config_;
  const std::vector<std::string> lanes_;
  const std::string escalation_lane_;
};

}  // namespace hashwatch::review_api

#endif  // HASHWATCH_REVIEW_API_VALIDATION_H_
