// Conversions between the hashwatch.v1 messages and the value types a
// client shares with the server: times, signal types, and banks with their
// policies, entries, statistics and write results. The server's services
// and the `hashwatch` client commands both use them, so both print and read
// the same; they need only the generated messages and matcher's value types
// (library hw_bank_convert), nothing of the server.
#ifndef HASHWATCH_REVIEW_API_BANK_CONVERT_H_
#define HASHWATCH_REVIEW_API_BANK_CONVERT_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "hashwatch/v1/bank.pb.h"
#include "hashwatch/v1/common.pb.h"
#include "matcher/bank.h"
#include "matcher/bank_store.h"

namespace hashwatch::review_api {

namespace v1 = ::hashwatch::v1;

// InfinitePast is an unset Timestamp (the epoch, 0 s 0 ns); InfiniteFuture
// (e.g. "disabled forever") is 9999-12-31T23:59:59Z, the largest Timestamp,
// and reads back as InfiniteFuture.
void ToProto(absl::Time t, google::protobuf::Timestamp* out);
absl::Time FromProto(const google::protobuf::Timestamp& t);
// InvalidArgument naming `field` for out-of-range seconds or nanos.
absl::StatusOr<absl::Time> FromProtoChecked(
    const google::protobuf::Timestamp& t, absl::string_view field);

v1::SignalType ToProto(matcher::SignalType s);
// InvalidArgument naming `field` for UNSPECIFIED or unknown values.
absl::StatusOr<matcher::SignalType> FromProto(v1::SignalType s,
                                              absl::string_view field);
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

}  // namespace hashwatch::review_api

#endif  // HASHWATCH_REVIEW_API_BANK_CONVERT_H_
