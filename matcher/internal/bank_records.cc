#include "matcher/internal/bank_records.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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

absl::StatusOr<Bank> DecodeBank(absl::string_view data) {
  nlohmann::json j =
      nlohmann::json::parse(data, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::DataLossError("bank_store: bank record is not valid JSON");
  }
  Bank b;
  b.id = j.value("id", 0u);
  b.name = j.value("name", "");
  b.kind =
      j.value("kind", "match") == "allow" ? BankKind::kAllow : BankKind::kMatch;
  b.policy.auto_report_distance = j.value("auto_report_distance", 0);
  b.policy.review_distance = j.value("review_distance", 31);
  b.policy.min_quality = j.value("min_quality", 50);
  b.policy.auto_report_enabled = j.value("auto_report_enabled", false);
  b.policy.default_category = j.value("default_category", "");
  b.policy.priority_boost = j.value("priority_boost", 0);
  b.created = FromMicros(j.value("created_us", int64_t{0}));
  b.last_change = FromMicros(j.value("last_change_us", int64_t{0}));
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
  e.signal = static_cast<SignalType>(j.value("s", 1));
  e.value = j.value("v", "");
  e.category = j.value("c", "");
  e.source = j.value("src", "");
  e.note = j.value("n", "");
  e.metadata_json = j.value("m", "");
  e.added = FromMicros(j.value("a", int64_t{0}));
  e.disabled_until = FromMicros(j.value("d", INT64_MIN));
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
