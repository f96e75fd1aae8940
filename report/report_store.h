// ReportStore: reports on their own RocksDB database, written with the WAL
// synced before Create returns, one report per (content id, origin) — a
// repeated create returns the first report and writes nothing. Reports are
// listed by creation order, filtered, exported as JSON lines, and watched
// from a cursor (the sequence) so a submitter can forward them to the
// hotline and resume after a restart.
//
// Thread-safety: all methods are thread-safe.
#ifndef HASHWATCH_REPORT_REPORT_STORE_H_
#define HASHWATCH_REPORT_REPORT_STORE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "report/report.h"

namespace hashwatch::report {

struct ReportStoreOptions {
  std::string path;  // Database directory. Required.
  bool create_if_missing = true;
  bool sync_writes = true;  // fsync each create; off only in benchmarks.
  // Legal preservation period: preservation_deadline = created + this.
  // Default 365 days.
  absl::Duration retention = absl::Hours(24 * 365);
  std::string platform = "hashwatch";  // written into every report
  std::string incident_type = "child_sexual_abuse_material";
};

struct ReportFilter {
  absl::Time from = absl::InfinitePast();  // created >= from
  absl::Time to = absl::InfiniteFuture();  // created < to
  std::optional<ReportState> state;
  std::string bank;             // some evidence from this bank
  uint64_t after_sequence = 0;  // cursor: sequence > this
  size_t limit = 1000;          // at most this many
};

class ReportStore final {
 public:
  static absl::StatusOr<std::unique_ptr<ReportStore>> Open(
      const ReportStoreOptions& options, Clock* clock);
  ~ReportStore();
  ReportStore(const ReportStore&) = delete;
  ReportStore& operator=(const ReportStore&) = delete;

  // Stores `draft` (id, sequence, created, platform, incident type and
  // preservation deadline are assigned) and returns it; when a report with
  // the same content id and origin exists, returns that one unchanged.
  // InvalidArgument: empty content id, or no file hashes, no evidence and no
  // review item (a confirmed case may have no file).
  absl::StatusOr<Report> Create(const Report& draft);
  // NotFound for an unknown id.
  absl::StatusOr<Report> Get(absl::string_view id) const;
  absl::StatusOr<std::vector<Report>> List(const ReportFilter& filter) const;
  // Marks a report submitted with the hotline's reference (idempotent).
  absl::StatusOr<Report> MarkSubmitted(absl::string_view id,
                                       absl::string_view ref);
  // Blocks until a report with sequence > after exists or `deadline` passes
  // (real time); returns the highest sequence stored.
  uint64_t WaitForReports(uint64_t after, absl::Time deadline) const;
  uint64_t LastSequence() const;

  // One JSON object per report (the export and log format).
  static std::string ToJson(const Report& r);

 private:
  struct Impl;
  explicit ReportStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hashwatch::report

#endif  // HASHWATCH_REPORT_REPORT_STORE_H_
