#include "cli/proto_convert.h"

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"
#include "cli/common_flags.h"

namespace hashwatch::cli {
namespace {

// 9999-12-31T23:59:59Z, the largest value a Timestamp may hold.
constexpr int64_t kMaxTimestampSeconds = 253402300799;

}  // namespace

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return absl::InfinitePast();
  if (t.seconds() >= kMaxTimestampSeconds) return absl::InfiniteFuture();
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

void ToProto(absl::Time t, google::protobuf::Timestamp* out) {
  out->Clear();
  if (t == absl::InfinitePast()) return;
  if (t == absl::InfiniteFuture() || absl::ToUnixSeconds(t) >= kMaxTimestampSeconds) {
    out->set_seconds(kMaxTimestampSeconds);
    return;
  }
  const int64_t seconds = absl::ToUnixSeconds(t);
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds))));
}

std::string FormatProtoTime(const google::protobuf::Timestamp& t) {
  return FormatTimestamp(FromProto(t));
}

v1::SignalType ToProto(matcher::SignalType s) {
  switch (s) {
    case matcher::SignalType::kPdq: return v1::SIGNAL_TYPE_PDQ;
    case matcher::SignalType::kMd5: return v1::SIGNAL_TYPE_MD5;
    case matcher::SignalType::kSha1: return v1::SIGNAL_TYPE_SHA1;
    case matcher::SignalType::kSha256: return v1::SIGNAL_TYPE_SHA256;
  }
  return v1::SIGNAL_TYPE_UNSPECIFIED;
}

matcher::SignalType FromProto(v1::SignalType s) {
  switch (s) {
    case v1::SIGNAL_TYPE_MD5: return matcher::SignalType::kMd5;
    case v1::SIGNAL_TYPE_SHA1: return matcher::SignalType::kSha1;
    case v1::SIGNAL_TYPE_SHA256: return matcher::SignalType::kSha256;
    default: return matcher::SignalType::kPdq;
  }
}

std::string SignalName(v1::SignalType s) {
  if (s == v1::SIGNAL_TYPE_UNSPECIFIED || !v1::SignalType_IsValid(s)) return "unspecified";
  return std::string(matcher::SignalTypeName(FromProto(s)));
}

v1::BankPolicy ToProto(const matcher::BankPolicy& p) {
  v1::BankPolicy out;
  out.set_auto_report_distance(p.auto_report_distance);
  out.set_review_distance(p.review_distance);
  out.set_min_quality(p.min_quality);
  out.set_auto_report_enabled(p.auto_report_enabled);
  out.set_default_category(p.default_category);
  out.set_priority_boost(p.priority_boost);
  return out;
}

matcher::Bank FromProto(const v1::Bank& b) {
  matcher::Bank out;
  out.name = b.name();
  out.kind = b.kind() == v1::BANK_KIND_ALLOW ? matcher::BankKind::kAllow
                                             : matcher::BankKind::kMatch;
  out.policy.auto_report_distance = b.policy().auto_report_distance();
  out.policy.review_distance = b.policy().review_distance();
  out.policy.min_quality = b.policy().min_quality();
  out.policy.auto_report_enabled = b.policy().auto_report_enabled();
  out.policy.default_category = b.policy().default_category();
  out.policy.priority_boost = b.policy().priority_boost();
  out.created = FromProto(b.created());
  out.last_change = FromProto(b.last_change());
  return out;
}

matcher::BankStats FromProto(const v1::BankStats& s) {
  matcher::BankStats out;
  out.bank = s.bank();
  out.entries = s.entries();
  out.by_signal.insert(s.by_signal().begin(), s.by_signal().end());
  out.by_category.insert(s.by_category().begin(), s.by_category().end());
  out.disabled = s.disabled();
  out.last_change = FromProto(s.last_change());
  return out;
}

matcher::BankEntry FromProto(const v1::Entry& e) {
  matcher::BankEntry out;
  out.id = e.id();
  out.bank = e.bank();
  out.signal = FromProto(e.signal());
  out.value = e.value();
  out.category = e.category();
  out.source = e.source();
  out.note = e.note();
  out.metadata_json = e.metadata_json();
  out.added = FromProto(e.added());
  out.disabled_until = FromProto(e.disabled_until());
  return out;
}

matcher::WriteResult FromProto(const v1::WriteResult& r) {
  matcher::WriteResult out;
  out.added = r.added();
  out.updated = r.updated();
  out.unchanged = r.unchanged();
  out.removed = r.removed();
  out.not_found = r.not_found();
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
