// ScanRecord: the idempotency record of one scanned content id, what the
// engine keeps in ScanRecords (scan_records.h) so that a repeated Scan
// answers with the first verdict and creates nothing new. A storage type of
// its own: the engine builds a scan's answer from it, both the first time
// and on a replay, so the two cannot differ.
//
// Encoding: a JSON object whose "v" names its version (1), for example
//   {"v":1,"verdict":"review","novel":false,"reason":"...","item_id":12,
//    "matches":[{"bank":"ncmec","entry_id":3,"signal":"pdq",...}],
//    "hashes":{"pdq":"...","pdq_quality":90,"md5":"...",...}}
// Records written before this type existed are serialized
// hashwatch.v1.ScanResponse messages; DecodeScanRecord reads both (a
// serialized ScanResponse never starts with '{': its first byte is the tag
// of field 1..10). Thread-safety: value types and pure functions.
#ifndef HASHWATCH_REVIEW_API_SCAN_RECORD_H_
#define HASHWATCH_REVIEW_API_SCAN_RECORD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "matcher/evidence.h"
#include "matcher/routing.h"

namespace hashwatch::review_api {

// One match of the scan as routing saw it.
struct RecordedMatch {
  matcher::MatchEvidence evidence;  // thresholds are not kept
  int dihedral_variant = 0;         // the query variant that matched
  bool allow_bank = false;          // the entry is in an allow bank
  bool covered_by_allow = false;    // an allow-bank entry suppressed it
  bool auto_report = false;  // it alone met its bank's auto-report policy
  bool flooding = false;     // demoted to review by the flood guard
};

struct ScanRecord {
  matcher::Verdict verdict = matcher::Verdict::kNoMatch;
  bool novel = false;  // queued with no list match
  std::string reason;  // one human-readable line
  std::vector<RecordedMatch>
      matches;  // match-bank matches first, closest first
  // The content's hashes; empty for verdicts that led to no action (no
  // match, allowed), whose records keep no hashes.
  matcher::ContentHashes hashes;
  std::string report_id;  // set for kAutoReport
  uint64_t item_id = 0;   // set for kReview
};

std::string EncodeScanRecord(const ScanRecord& record);
// DataLoss naming the problem for bytes that are neither encoding.
absl::StatusOr<ScanRecord> DecodeScanRecord(absl::string_view bytes);

}  // namespace hashwatch::review_api

#endif  // HASHWATCH_REVIEW_API_SCAN_RECORD_H_
