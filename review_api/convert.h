// Conversions between the libraries' value types (matcher/, queue/,
// report/) and the hashwatch.v1 protobuf messages, and from absl::Status to
// grpc::Status. The only place the two vocabularies meet; the part clients
// share (times, signal types, banks) is review_api/bank_convert.h, included
// here.
#ifndef HASHWATCH_REVIEW_API_CONVERT_H_
#define HASHWATCH_REVIEW_API_CONVERT_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "grpcpp/support/status.h"
#include "hashwatch/v1/report.pb.h"
#include "hashwatch/v1/review.pb.h"
#include "hashwatch/v1/scan.pb.h"
#include "matcher/evidence.h"
#include "matcher/routing.h"
#include "queue/review_queue.h"
#include "report/report.h"
#include "report/report_store.h"
#include "review_api/bank_convert.h"
#include "review_api/scan_record.h"

namespace hashwatch::review_api {

namespace v1 = ::hashwatch::v1;

grpc::Status ToGrpc(const absl::Status& status);

// pdq_quality is 0 in the message when there is no PDQ hash (-1 here).
void ToProto(const matcher::ContentHashes& h, v1::Hashes* out);
matcher::ContentHashes FromProto(const v1::Hashes& h);

v1::Verdict ToProto(matcher::Verdict v);
// A scan's answer as the engine keeps it, and back (content_id, replayed
// and error are not part of the record).
void ToProto(const ScanRecord& r, v1::ScanResponse* out);
ScanRecord FromProto(const v1::ScanResponse& r);

void ToProto(const report::Report& r, v1::Report* out);
absl::StatusOr<report::ReportFilter> FromProto(const v1::ListReportsRequest& r,
                                               int max_limit);

void ToProto(const queue::ReviewItem& item, v1::ReviewItem* out);
void ToProto(const queue::Decision& d, v1::Decision* out);
void ToProto(const queue::QueueStats& s, v1::QueueStats* out);
queue::CallerContext FromProto(const v1::ScanContext& c);

}  // namespace hashwatch::review_api

#endif  // HASHWATCH_REVIEW_API_CONVERT_H_
