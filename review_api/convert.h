// Conversions between the libraries' value types (matcher/, queue/,
// report/) and the hashwatch.v1 protobuf messages, and from absl::Status to
// grpc::Status. The only place the two vocabularies meet.
#ifndef HASHWATCH_REVIEW_API_CONVERT_H_
#define HASHWATCH_REVIEW_API_CONVERT_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "grpcpp/support/status.h"
#include "hashwatch/v1/bank.pb.h"
#include "hashwatch/v1/report.pb.h"
#include "hashwatch/v1/review.pb.h"
#include "hashwatch/v1/scan.pb.h"
#include "matcher/bank.h"
#include "matcher/bank_store.h"
#include "matcher/evidence.h"
#include "matcher/routing.h"
#include "queue/review_queue.h"
#include "report/report.h"
#include "report/report_store.h"
#include "review_api/scan_record.h"

namespace hashwatch::review_api {

namespace v1 = ::hashwatch::v1;

grpc::Status ToGrpc(const absl::Status& status);

// InfinitePast is an unset Timestamp (the epoch, 0 s 0 ns); InfiniteFuture
// (e.g. "disabled forever") is 9999-12-31T23:59:59Z, the largest Timestamp,
// and reads back as InfiniteFuture.
void ToProto(absl::Time t, google::protobuf::Timestamp* out);
absl::Time FromProto(const google::protobuf::Timestamp& t);
// InvalidArgument naming `field` for out-of-range seconds or nanos.
absl::StatusOr<absl::Time> FromProtoChecked(const google::protobuf::Timestamp& t,
                                            absl::string_view field);

v1::SignalType ToProto(matcher::SignalType s);
// InvalidArgument naming `field` for UNSPECIFIED or unknown values.
absl::StatusOr<matcher::SignalType> FromProto(v1::SignalType s, absl::string_view field);
// "pdq" etc. -> enum (for the queue's and reports' string signal names).
v1::SignalType SignalFromName(absl::string_view name);

void ToProto(const matcher::BankPolicy& p, v1::BankPolicy* out);
matcher::BankPolicy FromProto(const v1::BankPolicy& p);
void ToProto(const matcher::Bank& b, v1::Bank* out);
void ToProto(const matcher::BankEntry& e, v1::Entry* out);
void ToProto(const matcher::BankStats& s, v1::BankStats* out);
void ToProto(const matcher::WriteResult& r, v1::WriteResult* out);
// The reverse, for clients.
matcher::Bank FromProto(const v1::Bank& b);
matcher::BankStats FromProto(const v1::BankStats& s);
matcher::BankEntry FromProto(const v1::Entry& e);
matcher::WriteResult FromProto(const v1::WriteResult& r);

// pdq_quality is 0 in the message when there is no PDQ hash (-1 here).
void ToProto(const matcher::ContentHashes& h, v1::Hashes* out);
matcher::ContentHashes FromProto(const v1::Hashes& h);

v1::Verdict ToProto(matcher::Verdict v);
// A scan's answer as the engine keeps it, and back (content_id, replayed
// and error are not part of the record).
void ToProto(const ScanRecord& r, v1::ScanResponse* out);
ScanRecord FromProto(const v1::ScanResponse& r);

void ToProto(const report::Report& r, v1::Report* out);
absl::StatusOr<report::ReportFilter> FromProto(const v1::ListReportsRequest& r, int max_limit);

void ToProto(const queue::ReviewItem& item, v1::ReviewItem* out);
void ToProto(const queue::Decision& d, v1::Decision* out);
void ToProto(const queue::QueueStats& s, v1::QueueStats* out);
queue::CallerContext FromProto(const v1::ScanContext& c);

}  // namespace hashwatch::review_api

#endif  // HASHWATCH_REVIEW_API_CONVERT_H_
