#include "matcher/internal/bank_records.h"

#include <cstring>
#include <limits>
#include <string>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace hashwatch::matcher::internal {

void PutBigEndian(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i)
    out->push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t GetBigEndian(absl::string_view in, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

std::string U64Key(uint64_t v) {
  std::string k;
  PutBigEndian(&k, v, 8);
  return k;
}

std::string BankPrefix(uint32_t bank_id) {
  std::string k;
  PutBigEndian(&k, bank_id, 4);
  return k;
}

std::string ValueKey(uint32_t bank_id, SignalType signal,
                     absl::string_view hex) {
  std::string k = BankPrefix(bank_id);
  k.push_back(static_cast<char>(signal));
  k.append(hex.data(), hex.size());
  return k;
}

std::string SignalStatKey(uint32_t bank_id, SignalType signal) {
  return absl::StrCat(BankPrefix(bank_id), "s", SignalTypeName(signal));
}
std::string CategoryStatKey(uint32_t bank_id, absl::string_view category) {
  return absl::StrCat(BankPrefix(bank_id), "c", category);
}
std::string SeqKey(uint32_t bank_id) {
  return absl::StrCat(BankPrefix(bank_id), "q");
}

std::string FirstEntryKey(uint32_t bank_id) {
  return U64Key(uint64_t{bank_id} << kSeqBits);
}
std::string EndEntryKey(uint32_t bank_id) {
  return U64Key(uint64_t{bank_id + 1} << kSeqBits);
}

int64_t ToMicros(absl::Time t) {
  if (t == absl::InfinitePast()) return INT64_MIN;
  if (t == absl::InfiniteFuture()) return INT64_MAX;
  return absl::ToUnixMicros(t);
}
absl::Time FromMicros(int64_t us) {
  if (us == INT64_MIN) return absl::InfinitePast();
  if (us == INT64_MAX) return absl::InfiniteFuture();
  return absl::FromUnixMicros(us);
}

std::string PdqValue(const PdqHash& h) {
  std::string v;
  for (uint16_t w : h.words) {
    v.push_back(static_cast<char>(w & 0xff));
    v.push_back(static_cast<char>(w >> 8));
  }
  return v;
}

std::optional<PdqHash> ParsePdqValue(absl::string_view v) {
  if (v.size() != 32) return std::nullopt;
  PdqHash h;
  for (int i = 0; i < 16; ++i) {
    h.words[i] =
        static_cast<uint16_t>(static_cast<uint8_t>(v[2 * i]) |
                              (static_cast<uint8_t>(v[2 * i + 1]) << 8));
  }
  return h;
}

std::string EncodeBank(const Bank& b) {
  nlohmann::json j;
  j["id"] = b.id;
  j["name"] = b.name;
  j["kind"] = std::string(BankKindName(b.kind));
  j["auto_report_distance"] = b.policy.auto_report_distance;
  j["review_distance"] = b.policy.review_distance;
  j["min_quality"] = b.policy.min_quality;
  j["auto_report_enabled"] = b.policy.auto_report_enabled;
  j["default_category"] = b.policy.default_category;
  j["priority_boost"] = b.policy.priority_boost;
  j["created_us"] = ToMicros(b.created);
  j["last_change_us"] = ToMicros(b.last_change);
  return j.dump();
}

namespace {

// Reads a stored record's fields: an absent field keeps its default; a field
// of another type, or out of the C++ type's range, marks the record corrupt
// (nlohmann's value() would throw instead).
class RecordReader {
 public:
  explicit RecordReader(const nlohmann::json& j) : j_(j) {}

  template <typename T>
  void Get(const char* key, T* out) {
    const auto it = j_.find(key);
    if (it == j_.end() || !bad_.empty()) return;
    if constexpr (std::is_same_v<T, std::string>) {
      if (it->is_string()) return void(*out = it->template get<std::string>());
    } else if constexpr (std::is_same_v<T, bool>) {
      if (it->is_boolean()) return void(*out = it->template get<bool>());
    } else {
      static_assert(std::is_integral_v<T>);
      if (it->is_number_unsigned()) {
        const uint64_t v = it->template get<uint64_t>();
        if (v <= static_cast<uint64_t>(std::numeric_limits<T>::max())) {
          return void(*out = static_cast<T>(v));
        }
      } else if (it->is_number_integer()) {
        const int64_t v = it->template get<int64_t>();
        if (v >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
            (v < 0 || static_cast<uint64_t>(v) <=
                          static_cast<uint64_t>(std::numeric_limits<T>::max()))) {
          return void(*out = static_cast<T>(v));
        }
      }
    }
    bad_ = key;
  }

  // OK, or DataLoss naming `what` and the first bad field.
  absl::Status status(absl::string_view what) const {
    if (bad_.empty()) return absl::OkStatus();
    return absl::DataLossError(absl::StrFormat(
        "bank_store: %s record is corrupt: field \"%s\" has the wrong type "
        "or range",
        what, bad_));
  }

 private:
  const nlohmann::json& j_;
  std::string bad_;
};

}  // namespace

absl::StatusOr<Bank> DecodeBank(absl::string_view data) {
  nlohmann::json j =
      nlohmann::json::parse(data, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::DataLossError("bank_store: bank record is not valid JSON");
  }
  Bank b;
  b.policy.review_distance = 31;
  b.policy.min_quality = 50;
  b.policy.auto_report_distance = 0;
  b.policy.auto_report_enabled = false;
  b.policy.priority_boost = 0;
  std::string kind = "match";
  int64_t created_us = 0, last_change_us = 0;
  RecordReader r(j);
  r.Get("id", &b.id);
  r.Get("name", &b.name);
  r.Get("kind", &kind);
  r.Get("auto_report_distance", &b.policy.auto_report_distance);
  r.Get("review_distance", &b.policy.review_distance);
  r.Get("min_quality", &b.policy.min_quality);
  r.Get("auto_report_enabled", &b.policy.auto_report_enabled);
  r.Get("default_category", &b.policy.default_category);
  r.Get("priority_boost", &b.policy.priority_boost);
  r.Get("created_us", &created_us);
  r.Get("last_change_us", &last_change_us);
  HW_RETURN_IF_ERROR(r.status(absl::StrCat("bank \"", b.name, "\"")));
  b.kind = kind == "allow" ? BankKind::kAllow : BankKind::kMatch;
  b.created = FromMicros(created_us);
  b.last_change = FromMicros(last_change_us);
  if (b.id == 0 || b.name.empty()) {
    return absl::DataLossError("bank_store: bank record lacks id or name");
  }
  return b;
}

std::string EncodeEntry(const BankEntry& e) {
  nlohmann::json j;
  j["s"] = static_cast<int>(e.signal);
  j["v"] = e.value;
  if (!e.category.empty()) j["c"] = e.category;
  if (!e.source.empty()) j["src"] = e.source;
  if (!e.note.empty()) j["n"] = e.note;
  if (!e.metadata_json.empty()) j["m"] = e.metadata_json;
  j["a"] = ToMicros(e.added);
  if (e.disabled_until != absl::InfinitePast())
    j["d"] = ToMicros(e.disabled_until);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::StatusOr<BankEntry> DecodeEntry(uint64_t id, absl::string_view data) {
  nlohmann::json j = nlohmann::json::parse(data, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::DataLossError(
        absl::StrFormat("bank_store: entry %d record is not valid JSON", id));
  }
  BankEntry e;
  e.id = id;
  int signal = 1;
  int64_t added_us = 0, disabled_us = INT64_MIN;
  RecordReader r(j);
  r.Get("s", &signal);
  r.Get("v", &e.value);
  r.Get("c", &e.category);
  r.Get("src", &e.source);
  r.Get("n", &e.note);
  r.Get("m", &e.metadata_json);
  r.Get("a", &added_us);
  r.Get("d", &disabled_us);
  HW_RETURN_IF_ERROR(r.status(absl::StrFormat("entry %d", id)));
  if (signal < static_cast<int>(SignalType::kPdq) ||
      signal > static_cast<int>(SignalType::kSha256)) {
    return absl::DataLossError(absl::StrFormat(
        "bank_store: entry %d record is corrupt: signal type %d", id, signal));
  }
  e.signal = static_cast<SignalType>(signal);
  e.added = FromMicros(added_us);
  e.disabled_until = FromMicros(disabled_us);
  return e;
}

bool CountUpdate(uint32_t bank_id, const BankEntry& e, const NewEntry& in,
                 std::map<std::string, int64_t>* counters,
                 WriteResult* result) {
  if (SameFields(e, in)) {
    ++result->unchanged;
    return false;
  }
  if (e.category != in.category) {
    --(*counters)[CategoryStatKey(bank_id, e.category)];
    ++(*counters)[CategoryStatKey(bank_id, in.category)];
  }
  ++result->updated;
  return true;
}

void ApplyFields(const NewEntry& in, BankEntry* e) {
  e->category = in.category;
  e->source = in.source;
  e->note = in.note;
  e->metadata_json = in.metadata_json;
  if (in.disabled_until.has_value()) e->disabled_until = *in.disabled_until;
}

std::string DisabledValue(absl::Time until) {
  return U64Key(static_cast<uint64_t>(ToMicros(until)));
}

// Validates an entry's fields other than the hash.
absl::Status ValidateEntryFields(const NewEntry& e) {
  if (e.category.size() > 64) {
    return absl::InvalidArgumentError("category is over 64 characters");
  }
  if (e.source.size() > 1024 || e.note.size() > 4096) {
    return absl::InvalidArgumentError(
        "source or note is too long (1 KiB / 4 KiB)");
  }
  if (!e.metadata_json.empty()) {
    if (e.metadata_json.size() > 16384) {
      return absl::InvalidArgumentError("metadata is over 16 KiB");
    }
    nlohmann::json j = nlohmann::json::parse(e.metadata_json, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      return absl::InvalidArgumentError("metadata is not a JSON object");
    }
  }
  return absl::OkStatus();
}

}  // namespace hashwatch::matcher::internal
