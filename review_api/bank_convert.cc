#include "review_api/bank_convert.h"

#include "absl/strings/str_cat.h"

namespace hashwatch::review_api {

namespace {
// 9999-12-31T23:59:59Z, the largest value a Timestamp may hold.
constexpr int64_t kMaxTimestampSeconds = 253402300799;
}  // namespace

void ToProto(absl::Time t, google::protobuf::Timestamp* out) {
  out->Clear();
  if (t == absl::InfinitePast()) return;
  if (t == absl::InfiniteFuture() ||
      absl::ToUnixSeconds(t) >= kMaxTimestampSeconds) {
    out->set_seconds(kMaxTimestampSeconds);
    return;
  }
  const int64_t seconds = absl::ToUnixSeconds(t);  // rounds toward -inf
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds))));
}

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return absl::InfinitePast();
  if (t.seconds() >= kMaxTimestampSeconds) return absl::InfiniteFuture();
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

absl::StatusOr<absl::Time> FromProtoChecked(
    const google::protobuf::Timestamp& t, absl::string_view field) {
  // google.protobuf.Timestamp's documented range: 0001-01-01 .. 9999-12-31.
  if (t.seconds() < -62135596800 || t.seconds() > kMaxTimestampSeconds ||
      t.nanos() < 0 || t.nanos() > 999'999'999) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is not a valid timestamp"));
  }
  return FromProto(t);
}

v1::SignalType ToProto(matcher::SignalType s) {
  switch (s) {
    case matcher::SignalType::kPdq:
      return v1::SIGNAL_TYPE_PDQ;
    case matcher::SignalType::kMd5:
      return v1::SIGNAL_TYPE_MD5;
    case matcher::SignalType::kSha1:
      return v1::SIGNAL_TYPE_SHA1;
    case matcher::SignalType::kSha256:
      return v1::SIGNAL_TYPE_SHA256;
  }
  return v1::SIGNAL_TYPE_UNSPECIFIED;
}

absl::StatusOr<matcher::SignalType> FromProto(v1::SignalType s,
                                              absl::string_view field) {
  switch (s) {
    case v1::SIGNAL_TYPE_PDQ:
      return matcher::SignalType::kPdq;
    case v1::SIGNAL_TYPE_MD5:
      return matcher::SignalType::kMd5;
    case v1::SIGNAL_TYPE_SHA1:
      return matcher::SignalType::kSha1;
    case v1::SIGNAL_TYPE_SHA256:
      return matcher::SignalType::kSha256;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          field, " must be one of SIGNAL_TYPE_PDQ, _MD5, _SHA1, _SHA256"));
  }
}

v1::SignalType SignalFromName(absl::string_view name) {
  auto s = matcher::ParseSignalType(name);
  return s.ok() ? ToProto(*s) : v1::SIGNAL_TYPE_UNSPECIFIED;
}

void ToProto(const matcher::BankPolicy& p, v1::BankPolicy* out) {
  out->set_auto_report_distance(p.auto_report_distance);
  out->set_review_distance(p.review_distance);
  out->set_min_quality(p.min_quality);
  out->set_auto_report_enabled(p.auto_report_enabled);
  out->set_default_category(p.default_category);
  out->set_priority_boost(p.priority_boost);
  out->set_unbordered_auto_report(p.unbordered_auto_report);
  out->set_region_auto_report_distance(p.region_auto_report_distance);
  out->set_dihedral(p.dihedral);
}

matcher::Bank FromProto(const v1::Bank& b) {
  matcher::Bank out;
  out.name = b.name();
  out.kind = b.kind() == v1::BANK_KIND_ALLOW ? matcher::BankKind::kAllow
                                             : matcher::BankKind::kMatch;
  out.policy = FromProto(b.policy());
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
  out.own_signatures = s.own_signatures();
  out.last_change = FromProto(s.last_change());
  return out;
}

matcher::BankEntry FromProto(const v1::Entry& e) {
  matcher::BankEntry out;
  out.id = e.id();
  out.bank = e.bank();
  out.signal =
      FromProto(e.signal(), "signal").value_or(matcher::SignalType::kPdq);
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

matcher::BankPolicy FromProto(const v1::BankPolicy& p) {
  matcher::BankPolicy policy;
  policy.auto_report_distance = p.auto_report_distance();
  policy.review_distance = p.review_distance();
  policy.min_quality = p.min_quality();
  policy.auto_report_enabled = p.auto_report_enabled();
  policy.default_category = p.default_category();
  policy.priority_boost = p.priority_boost();
  if (p.has_unbordered_auto_report())
    policy.unbordered_auto_report = p.unbordered_auto_report();
  if (p.has_region_auto_report_distance())
    policy.region_auto_report_distance = p.region_auto_report_distance();
  if (p.has_dihedral()) policy.dihedral = p.dihedral();
  return policy;
}

void ToProto(const matcher::Bank& b, v1::Bank* out) {
  out->set_name(b.name);
  out->set_kind(b.kind == matcher::BankKind::kAllow ? v1::BANK_KIND_ALLOW
                                                    : v1::BANK_KIND_MATCH);
  ToProto(b.policy, out->mutable_policy());
  ToProto(b.created, out->mutable_created());
  ToProto(b.last_change, out->mutable_last_change());
}

void ToProto(const matcher::BankEntry& e, v1::Entry* out) {
  out->set_id(e.id);
  out->set_bank(e.bank);
  out->set_signal(ToProto(e.signal));
  out->set_value(e.value);
  out->set_category(e.category);
  out->set_source(e.source);
  out->set_note(e.note);
  out->set_metadata_json(e.metadata_json);
  ToProto(e.added, out->mutable_added());
  if (e.disabled_until != absl::InfinitePast()) {
    ToProto(e.disabled_until, out->mutable_disabled_until());
  }
}

void ToProto(const matcher::BankStats& s, v1::BankStats* out) {
  out->set_bank(s.bank);
  out->set_entries(s.entries);
  for (const auto& [k, v] : s.by_signal) (*out->mutable_by_signal())[k] = v;
  for (const auto& [k, v] : s.by_category) (*out->mutable_by_category())[k] = v;
  out->set_disabled(s.disabled);
  out->set_own_signatures(s.own_signatures);
  ToProto(s.last_change, out->mutable_last_change());
}

void ToProto(const matcher::WriteResult& r, v1::WriteResult* out) {
  out->set_added(r.added);
  out->set_updated(r.updated);
  out->set_unchanged(r.unchanged);
  out->set_removed(r.removed);
  out->set_not_found(r.not_found);
}

}  // namespace hashwatch::review_api
