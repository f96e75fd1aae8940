// ScanRecord: the idempotency record of one scanned content id, what the
// engine keeps in ScanRecords (scan_records.h) so that a repeated Scan
// answers with the first verdict and creates nothing new. A storage type of
// its own: the engine builds a scan's answer from it, both the first time
// and on a replay, so the two cannot differ.
//
// Encoding: a JSON object whose "v" names its version (1), for example
//   {"v":1,"verdict":"review","novel":false,"reason":"...","item_id":12,
//    "matches":[{"bank":"ncmec","entry_id":3,"signal":"pdq",...}],
//    "hashes":{"pdq":"...","pdq_quality":90,"md5":"...",...},
//    "content":"<32 hex digits>"}
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
  // What binds the record to the content it answered for (ContentBinding
  // in engine_scan.cc): 32 hex digits of a SHA-256 over the content id and
  // the content's SHA-256, or for a hash-only scan every hash given. Not a
  // hash of the content on its own: it matches no list entry. Empty in
  // records written before it existed (they are compared by `hashes`).
  std::string content_binding;
};

// The content binding of a scan of `content_id`: from the SHA-256 alone
// for an image (`image`), else from every hash of `hashes`.
std::string ContentBinding(absl::string_view content_id, bool image,
                           const matcher::ContentHashes& hashes);
// Whether two sets of hashes name the same content: by the SHA-256 when
// both have one, else every digest both have is equal (at least one).
bool SameContent(const matcher::ContentHashes& a,
                 const matcher::ContentHashes& b);
// Whether `record` answered for this content: by its binding, or for a
// record written without one by its hashes (none kept: false, so the
// content is scanned again).
bool RecordIsFor(const ScanRecord& record, absl::string_view binding,
                 const matcher::ContentHashes& hashes);
// The id a report or review item of new content is filed under when the
// stores already hold one for `content_id` and other content: the content
// id (cut to 239 bytes), '#', and 16 digits of the binding.
std::string RefiledContentId(absl::string_view content_id,
                             absl::string_view binding);

std::string EncodeScanRecord(const ScanRecord& record);
// DataLoss naming the problem for bytes that are neither encoding.
absl::StatusOr<ScanRecord> DecodeScanRecord(absl::string_view bytes);

}  // namespace hashwatch::review_api

#endif  // HASHWATCH_REVIEW_API_SCAN_RECORD_H_
