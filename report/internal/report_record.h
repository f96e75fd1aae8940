// The report store's record encoding (private to report/): how one Report
// is kept in the `reports` family (layout in report_store.cc).
//
// Version 1 is the record codec (common/record_codec.h): the fields of
// Report in declaration order, evidence as a count and then each piece's
// fields. Databases written before it hold JSON objects (ReportStore::ToJson,
// times as RFC 3339 text, "" for none); DecodeReport reads both.
#ifndef HASHWATCH_REPORT_INTERNAL_REPORT_RECORD_H_
#define HASHWATCH_REPORT_INTERNAL_REPORT_RECORD_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "report/report.h"

namespace hashwatch::report::internal {

std::string EncodeReport(const Report& r);

// The report stored under `sequence` (its key, named in errors). DataLoss
// for a malformed record of either format; never throws.
absl::StatusOr<Report> DecodeReport(uint64_t sequence, absl::string_view data);

}  // namespace hashwatch::report::internal

#endif  // HASHWATCH_REPORT_INTERNAL_REPORT_RECORD_H_
