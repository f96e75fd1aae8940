// Engine: the reports (ReportService).
#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "review_api/convert.h"
#include "review_api/engine.h"

namespace hashwatch::review_api {
namespace {

// Reports a Watch sends per batch, and an Export reads per page.
constexpr size_t kWatchBatch = 500;
constexpr size_t kExportPage = 1000;
// How long a Watch waits for a new report before it asks keep_going again.
constexpr absl::Duration kWatchPoll = absl::Milliseconds(250);

}  // namespace

absl::StatusOr<v1::Report> Engine::GetReport(
    const v1::GetReportRequest& request) const {
  HW_RETURN_IF_ERROR(validator_.CheckReportId(request.id()));
  HW_ASSIGN_OR_RETURN(const report::Report r, reports_->Get(request.id()));
  v1::Report out;
  ToProto(r, &out);
  return out;
}

absl::StatusOr<v1::ListReportsResponse> Engine::ListReports(
    const v1::ListReportsRequest& request) const {
  HW_ASSIGN_OR_RETURN(const report::ReportFilter filter,
                      validator_.ReportFilter(request));
  HW_ASSIGN_OR_RETURN(const std::vector<report::Report> list,
                      reports_->List(filter));
  v1::ListReportsResponse response;
  for (const report::Report& r : list) ToProto(r, response.add_reports());
  return response;
}

absl::Status Engine::ExportReports(const v1::ListReportsRequest& request,
                                   StreamWriter<v1::ExportChunk> write) const {
  HW_ASSIGN_OR_RETURN(auto filter_limit, validator_.ExportFilter(request));
  report::ReportFilter& filter = filter_limit.first;
  size_t remaining = filter_limit.second == 0 ? SIZE_MAX : filter_limit.second;
  v1::ExportChunk chunk;
  while (remaining > 0) {
    filter.limit = std::min(kExportPage, remaining);
    HW_ASSIGN_OR_RETURN(const std::vector<report::Report> batch,
                        reports_->List(filter));
    for (const report::Report& r : batch) {
      chunk.set_json_line(report::ReportStore::ToJson(r));
      HW_RETURN_IF_ERROR(write(chunk));
      filter.after_sequence = r.sequence;
    }
    remaining -= batch.size();
    if (batch.size() < filter.limit) break;
  }
  return absl::OkStatus();
}

absl::Status Engine::WatchReports(
    const v1::WatchReportsRequest& request, StreamWriter<v1::Report> write,
    absl::FunctionRef<absl::Status()> keep_going) const {
  if (request.after_sequence() > reports_->LastSequence()) {
    return absl::OutOfRangeError(absl::StrCat(
        "after_sequence ", request.after_sequence(),
        " is beyond the last report's sequence ", reports_->LastSequence(),
        "; resume from a sequence this server gave"));
  }
  report::ReportFilter filter;
  filter.after_sequence = request.after_sequence();
  filter.limit = kWatchBatch;
  v1::Report out;
  while (true) {
    HW_RETURN_IF_ERROR(keep_going());
    HW_ASSIGN_OR_RETURN(const std::vector<report::Report> batch,
                        reports_->List(filter));
    for (const report::Report& r : batch) {
      out.Clear();
      ToProto(r, &out);
      HW_RETURN_IF_ERROR(write(out));
      filter.after_sequence = r.sequence;
    }
    if (batch.size() < filter.limit) {
      // Wakes as soon as a report is filed; the timeout bounds how long
      // keep_going goes unasked.
      reports_->WaitForReports(filter.after_sequence, absl::Now() + kWatchPoll);
    }
  }
}

absl::StatusOr<v1::Report> Engine::MarkSubmitted(
    absl::string_view who, const v1::MarkSubmittedRequest& request) {
  HW_RETURN_IF_ERROR(validator_.CheckMarkSubmitted(request));
  HW_ASSIGN_OR_RETURN(
      const report::Report r,
      reports_->MarkSubmitted(request.id(), request.submission_ref()));
  HW_LOG(kInfo, "report %s marked submitted by %s", r.id, who);
  v1::Report out;
  ToProto(r, &out);
  return out;
}

}  // namespace hashwatch::review_api
