// Reports for law enforcement: the durable record handed to a reporting
// hotline (e.g. NCMEC's CyberTipline) when known imagery is matched with
// high confidence, or when a moderator confirms an item. Value types only;
// storage is report_store.h.
//
// Field mapping to CyberTipline concepts: incident_type is the report's
// incident type; file hashes and match evidence describe the uploaded file;
// viewed_by_platform answers "did the reporting company view the file" —
// false for automatic reports, true (with who and when) after a moderator's
// confirm; uploader_* fields are the reported person's account and IP
// capture event as the calling platform gave them; preservation_deadline is
// how long the platform must keep the content and this record.
#ifndef HASHWATCH_REPORT_REPORT_H_
#define HASHWATCH_REPORT_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "matcher/evidence.h"

namespace hashwatch::report {

enum class ReportOrigin { kAutomatic = 1, kModeratorConfirm = 2 };
enum class ReportState { kPending = 1, kSubmitted = 2 };

const char* ReportOriginName(
    ReportOrigin o);                         // "automatic", "moderator_confirm"
const char* ReportStateName(ReportState s);  // "pending", "submitted"

struct Report {
  uint64_t sequence = 0;  // assigned, increasing; the Watch cursor
  std::string id;         // assigned: "r-" + 16 hex digits of the sequence
  absl::Time created;
  ReportOrigin origin = ReportOrigin::kAutomatic;
  ReportState state = ReportState::kPending;
  std::string submission_ref;  // the hotline's reference once submitted

  std::string platform;           // the reporting platform (configuration)
  std::string incident_type;      // e.g. "child_sexual_abuse_material"
  std::string content_id;         // the caller's id of the upload
  matcher::ContentHashes hashes;  // the file's hashes
  // Which list entries matched (their thresholds are not kept).
  std::vector<matcher::MatchEvidence> evidence;
  std::string category;  // the most severe / deciding category

  bool viewed_by_platform = false;
  std::string viewed_by;  // moderator id, when viewed
  absl::Time viewed_at = absl::InfinitePast();
  std::string review_item_id;  // the queue item a confirm came from

  std::string uploader_account;
  std::string uploader_ip;
  absl::Time upload_time = absl::InfinitePast();

  absl::Time preservation_deadline;
};

}  // namespace hashwatch::report

#endif  // HASHWATCH_REPORT_REPORT_H_
