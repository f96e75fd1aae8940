// The vocabulary a match keeps from scan to decision to report: what the
// content hashed to (ContentHashes) and which list entry matched it, how
// closely and under which thresholds (MatchEvidence). A scan fills them
// (matcher/routing.h, CountedEvidence), a review item carries them
// (queue/review_item.h), a report records them (report/report.h).
//
// Plain value types with no dependencies: the queue and the reports use
// them without linking the rest of matcher (CMake target hw_evidence,
// header only). Thread-safety: value types, no shared state.
#ifndef HASHWATCH_MATCHER_EVIDENCE_H_
#define HASHWATCH_MATCHER_EVIDENCE_H_

#include <cstdint>
#include <string>

namespace hashwatch::matcher {

// Hashes of one piece of content, lowercase hex; a digest not computed (or
// not given by the caller) is empty.
struct ContentHashes {
  std::string pdq;       // 64 hex digits
  int pdq_quality = -1;  // 0..100; -1 when there is no PDQ hash
  std::string md5;       // 32 hex digits
  std::string sha1;      // 40 hex digits
  std::string sha256;    // 64 hex digits

  bool empty() const {
    return pdq.empty() && md5.empty() && sha1.empty() && sha256.empty();
  }
};

// One list match. What each store keeps of it: a report keeps all but the
// thresholds; a review item keeps all but entry_id (0 when read back from
// the queue), and the thresholds let the queue's priority weigh the match
// without looking the bank up.
struct MatchEvidence {
  std::string bank;              // e.g. "ncmec-pdq"
  uint64_t entry_id = 0;         // the bank entry's id; 0 when unknown
  std::string signal;            // "pdq", "md5", "sha1" or "sha256"
  std::string hash;              // the bank entry's hash, lowercase hex
  int distance = 0;              // PDQ Hamming distance; 0 for exact hashes
  std::string category;          // the entry's, else its bank's default
  std::string source;            // the list's reference for the entry
  int auto_report_distance = 0;  // the bank's thresholds at match time
  int review_distance = 0;
  // How the content's picture matched (PDQ only): "whole"; "unbordered"
  // (the picture inside a border or bars); "region X,Y,W,H" (a rectangle
  // of a larger canvas, in the uploaded picture's pixels); each followed by
  // "/" and the variant's name when a rotation or mirror matched, e.g.
  // "whole/rotate90". "local features (N inliers)" for a picture found by
  // its own-material signature (matcher/own_signature.h; signal "sha256",
  // the banked picture's digest, at the bank's review distance: such a
  // match is always reviewed). Empty for exact-hash matches and in records
  // written before paths existed (read it as "whole").
  std::string path = {};
};

}  // namespace hashwatch::matcher

#endif  // HASHWATCH_MATCHER_EVIDENCE_H_
