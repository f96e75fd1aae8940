// Conversions between the hashwatch.v1 messages and the CLI's own types
// (the matcher's value types, absl::Time, JSON), so that the --server paths
// print exactly what the direct paths print.
#ifndef HASHWATCH_CLI_PROTO_CONVERT_H_
#define HASHWATCH_CLI_PROTO_CONVERT_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "hashwatch/v1/bank.pb.h"
#include "hashwatch/v1/common.pb.h"
#include "matcher/bank.h"
#include "matcher/bank_store.h"
#include "nlohmann/json.hpp"
#include "review_api/bank_convert.h"

namespace hashwatch::cli {

// Timestamps and the bank messages convert as the server converts them
// (review_api/bank_convert.h): an unset Timestamp is InfinitePast, the largest
// one InfiniteFuture.
using review_api::FromProto;
using review_api::ToProto;

// RFC 3339 (FormatTimestamp), "" when unset.
std::string FormatProtoTime(const google::protobuf::Timestamp& t);

// UNSPECIFIED (or an unknown value) becomes kPdq; check first where it
// matters.
matcher::SignalType FromProto(v1::SignalType s);
// "pdq", "md5", "sha1", "sha256"; "unspecified" for UNSPECIFIED.
std::string SignalName(v1::SignalType s);

v1::BankPolicy ToProto(const matcher::BankPolicy& p);

// An enum value's name without `prefix`, lowercased:
// EnumWord("ITEM_KIND_HASH_MATCH", "ITEM_KIND_") is "hash_match".
std::string EnumWord(const std::string& name, absl::string_view prefix);

// {"pdq", "pdq_quality", "md5", "sha1", "sha256"}, only the hashes set.
nlohmann::ordered_json HashesJson(const v1::Hashes& h);

}  // namespace hashwatch::cli

#endif  // HASHWATCH_CLI_PROTO_CONVERT_H_
