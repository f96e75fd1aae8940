#include "cli/proto_convert.h"

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"
#include "cli/common_flags.h"

namespace hashwatch::cli {
std::string FormatProtoTime(const google::protobuf::Timestamp& t) {
  return FormatTimestamp(FromProto(t));
}

matcher::SignalType FromProto(v1::SignalType s) {
  return review_api::FromProto(s, "signal").value_or(matcher::SignalType::kPdq);
}

std::string SignalName(v1::SignalType s) {
  if (s == v1::SIGNAL_TYPE_UNSPECIFIED || !v1::SignalType_IsValid(s))
    return "unspecified";
  return std::string(matcher::SignalTypeName(FromProto(s)));
}

v1::BankPolicy ToProto(const matcher::BankPolicy& p) {
  v1::BankPolicy out;
  review_api::ToProto(p, &out);
  return out;
}

std::string EnumWord(const std::string& name, absl::string_view prefix) {
  absl::string_view word = name;
  absl::ConsumePrefix(&word, prefix);
  return absl::AsciiStrToLower(word);
}

nlohmann::ordered_json HashesJson(const v1::Hashes& h) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  if (!h.pdq().empty()) {
    j["pdq"] = h.pdq();
    j["pdq_quality"] = h.pdq_quality();
  }
  if (!h.md5().empty()) j["md5"] = h.md5();
  if (!h.sha1().empty()) j["sha1"] = h.sha1();
  if (!h.sha256().empty()) j["sha256"] = h.sha256();
  return j;
}

}  // namespace hashwatch::cli
