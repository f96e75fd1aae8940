#include "matcher/bank.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"

namespace hashwatch::matcher {

absl::string_view SignalTypeName(SignalType type) {
  switch (type) {
    case SignalType::kPdq:
      return "pdq";
    case SignalType::kMd5:
      return "md5";
    case SignalType::kSha1:
      return "sha1";
    case SignalType::kSha256:
      return "sha256";
  }
  return "unknown";
}

absl::StatusOr<SignalType> ParseSignalType(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == "pdq") return SignalType::kPdq;
  if (lower == "md5") return SignalType::kMd5;
  if (lower == "sha1") return SignalType::kSha1;
  if (lower == "sha256") return SignalType::kSha256;
  return absl::InvalidArgumentError(absl::StrFormat(
      "bank: unknown signal type \"%s\" (want pdq, md5, sha1 or sha256)",
      name));
}

int SignalHexDigits(SignalType type) {
  switch (type) {
    case SignalType::kMd5:
      return 32;
    case SignalType::kSha1:
      return 40;
    case SignalType::kPdq:
    case SignalType::kSha256:
      return 64;
  }
  return 0;
}

absl::StatusOr<std::string> CanonicalHashValue(SignalType type,
                                               absl::string_view value) {
  const int want = SignalHexDigits(type);
  if (static_cast<int>(value.size()) != want) {
    return absl::InvalidArgumentError(
        absl::StrFormat("bank: %s hash has %d characters, want %d hex digits",
                        SignalTypeName(type), value.size(), want));
  }
  std::string out(value);
  for (size_t i = 0; i < out.size(); ++i) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(out[i]))) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "bank: character %d of the %s hash is not a hex digit", i + 1,
          SignalTypeName(type)));
    }
    out[i] = absl::ascii_tolower(static_cast<unsigned char>(out[i]));
  }
  return out;
}

absl::string_view BankKindName(BankKind kind) {
  return kind == BankKind::kAllow ? "allow" : "match";
}

absl::StatusOr<BankKind> ParseBankKind(absl::string_view name) {
  if (name == "match") return BankKind::kMatch;
  if (name == "allow") return BankKind::kAllow;
  return absl::InvalidArgumentError(absl::StrFormat(
      "bank: unknown bank kind \"%s\" (want match or allow)", name));
}

absl::Status ValidatePolicy(const BankPolicy& p) {
  if (p.review_distance < 0 || p.review_distance > 64) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "bank: review_distance is %d, want 0..64", p.review_distance));
  }
  if (p.auto_report_distance < 0 ||
      p.auto_report_distance > p.review_distance) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "bank: auto_report_distance is %d, want 0..review_distance (%d)",
        p.auto_report_distance, p.review_distance));
  }
  if (p.min_quality < 0 || p.min_quality > 100) {
    return absl::InvalidArgumentError(
        absl::StrFormat("bank: min_quality is %d, want 0..100", p.min_quality));
  }
  if (p.priority_boost < -1000 || p.priority_boost > 1000) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "bank: priority_boost is %d, want -1000..1000", p.priority_boost));
  }
  if (p.region_auto_report_distance < -1 ||
      p.region_auto_report_distance > p.auto_report_distance) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "bank: region_auto_report_distance is %d, want -1 (never) "
        "..auto_report_distance (%d)",
        p.region_auto_report_distance, p.auto_report_distance));
  }
  if (p.default_category.size() > 64) {
    return absl::InvalidArgumentError(
        "bank: default_category is over 64 characters");
  }
  return absl::OkStatus();
}

absl::Status ValidateBankName(absl::string_view name) {
  if (name.empty() || name.size() > 64) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "bank: name \"%s\" has %d characters, want 1..64", name, name.size()));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && !(i > 0 && (c == '.' || c == '_' || c == '-'))) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "bank: name \"%s\" has a bad character at %d (want a-z 0-9 . _ -, "
          "starting with a letter or digit)",
          name, i + 1));
    }
  }
  return absl::OkStatus();
}

}  // namespace hashwatch::matcher
