#include "matcher/internal/bank_records.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/legacy_json.h"
#include "common/record_codec.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace hashwatch::matcher::internal {

std::string BankPrefix(uint32_t bank_id) {
  std::string k;
  AppendBigEndian(&k, bank_id, 4);
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
std::string OwnStatKey(uint32_t bank_id) {
  return absl::StrCat(BankPrefix(bank_id), "o");
}

std::string FirstEntryKey(uint32_t bank_id) {
  return BigEndianKey(uint64_t{bank_id} << kSeqBits);
}
std::string EndEntryKey(uint32_t bank_id) {
  return BigEndianKey(uint64_t{bank_id + 1} << kSeqBits);
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

namespace {

// Record format versions (common/record_codec.h). Databases written before
// them hold JSON objects, read by the Decode*Json functions below.
constexpr uint64_t kBankVersion = 1;
constexpr uint64_t kEntryVersion = 1;

std::string BankWhat(absl::string_view name) {
  return absl::StrCat("bank_store: bank \"", name, "\" record");
}

std::string EntryWhat(uint64_t id) {
  return absl::StrFormat("bank_store: entry %d record", id);
}

// A bank record lacking what every bank has.
absl::Status CheckBank(const Bank& b) {
  if (b.id == 0 || b.name.empty()) {
    return absl::DataLossError("bank_store: bank record lacks id or name");
  }
  if (absl::Status policy = ValidatePolicy(b.policy); !policy.ok()) {
    return absl::DataLossError(
        absl::StrCat(BankWhat(b.name), " is corrupt: ", policy.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<SignalType> CheckSignal(uint64_t id, int64_t signal) {
  if (signal < static_cast<int>(SignalType::kPdq) ||
      signal > static_cast<int>(SignalType::kSha256)) {
    return absl::DataLossError(absl::StrFormat("%s is corrupt: signal type %d",
                                               EntryWhat(id), signal));
  }
  return static_cast<SignalType>(signal);
}

// Added after version 1 shipped: the policy for recovered pictures and
// rotated copies, written only when it differs from what a record without
// it means (kLegacyRecovery: the defaults when it was added, dihedral then
// on), so older records decode unchanged whatever today's defaults are.
struct LegacyRecovery {
  bool unbordered_auto_report = true;
  int region_auto_report_distance = -1;
  bool dihedral = true;
};
constexpr LegacyRecovery kLegacyRecovery;

bool DecodeRecoveryPolicy(RecordDecoder& d, BankPolicy* policy) {
  if (d.done()) {
    policy->unbordered_auto_report = kLegacyRecovery.unbordered_auto_report;
    policy->region_auto_report_distance =
        kLegacyRecovery.region_auto_report_distance;
    policy->dihedral = kLegacyRecovery.dihedral;
    return true;
  }
  return d.Bool(&policy->unbordered_auto_report) &&
         d.Int(&policy->region_auto_report_distance) &&
         d.Bool(&policy->dihedral);
}

absl::StatusOr<Bank> DecodeBankVersioned(absl::string_view data) {
  Bank b;
  RecordDecoder d(data);
  uint64_t version = 0, id = 0;
  const bool ok =
      d.Varint(&version) && d.Varint(&id) && id <= UINT32_MAX &&
      d.Bytes(&b.name) && d.Enum(&b.kind, 1, 2) &&
      d.Int(&b.policy.auto_report_distance) &&
      d.Int(&b.policy.review_distance) && d.Int(&b.policy.min_quality) &&
      d.Bool(&b.policy.auto_report_enabled) &&
      d.Bytes(&b.policy.default_category) && d.Int(&b.policy.priority_boost) &&
      d.Time(&b.created) && d.Time(&b.last_change) &&
      DecodeRecoveryPolicy(d, &b.policy) && d.done();
  if (!ok) {
    return absl::DataLossError(absl::StrCat(BankWhat(b.name), " is corrupt"));
  }
  b.id = static_cast<uint32_t>(id);
  HW_RETURN_IF_ERROR(CheckBank(b));
  return b;
}

absl::StatusOr<Bank> DecodeBankJson(absl::string_view data) {
  HW_ASSIGN_OR_RETURN(nlohmann::json j,
                      ParseJsonRecord(data, "bank_store: bank record"));
  Bank b;
  b.policy.review_distance = 31;
  b.policy.min_quality = 50;
  b.policy.auto_report_distance = 0;
  b.policy.auto_report_enabled = false;
  b.policy.priority_boost = 0;
  // Written before rotated copies were a policy; they have matched them
  // since it became one (on by default then).
  b.policy.dihedral = kLegacyRecovery.dihedral;
  std::string kind = "match";
  int64_t created_us = 0, last_change_us = 0;
  JsonFieldReader r(j);
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
  HW_RETURN_IF_ERROR(r.status(BankWhat(b.name)));
  b.kind = kind == "allow" ? BankKind::kAllow : BankKind::kMatch;
  b.created = MicrosToTime(created_us);
  b.last_change = MicrosToTime(last_change_us);
  HW_RETURN_IF_ERROR(CheckBank(b));
  return b;
}

absl::StatusOr<BankEntry> DecodeEntryVersioned(uint64_t id,
                                               absl::string_view data) {
  BankEntry e;
  e.id = id;
  RecordDecoder d(data);
  uint64_t version = 0, signal = 0;
  const bool ok = d.Varint(&version) && d.Varint(&signal) &&
                  d.Bytes(&e.value) && d.Bytes(&e.category) &&
                  d.Bytes(&e.source) && d.Bytes(&e.note) &&
                  d.Bytes(&e.metadata_json) && d.Time(&e.added) &&
                  d.Time(&e.disabled_until) && d.done();
  if (!ok)
    return absl::DataLossError(absl::StrCat(EntryWhat(id), " is corrupt"));
  HW_ASSIGN_OR_RETURN(
      e.signal, CheckSignal(id, static_cast<int64_t>(
                                    std::min<uint64_t>(signal, INT64_MAX))));
  return e;
}

absl::StatusOr<BankEntry> DecodeEntryJson(uint64_t id, absl::string_view data) {
  HW_ASSIGN_OR_RETURN(nlohmann::json j, ParseJsonRecord(data, EntryWhat(id)));
  BankEntry e;
  e.id = id;
  int signal = 1;
  int64_t added_us = 0, disabled_us = INT64_MIN;
  JsonFieldReader r(j);
  r.Get("s", &signal);
  r.Get("v", &e.value);
  r.Get("c", &e.category);
  r.Get("src", &e.source);
  r.Get("n", &e.note);
  r.Get("m", &e.metadata_json);
  r.Get("a", &added_us);
  r.Get("d", &disabled_us);
  HW_RETURN_IF_ERROR(r.status(EntryWhat(id)));
  HW_ASSIGN_OR_RETURN(e.signal, CheckSignal(id, signal));
  e.added = MicrosToTime(added_us);
  e.disabled_until = MicrosToTime(disabled_us);
  return e;
}

}  // namespace

std::string EncodeBank(const Bank& b) {
  RecordEncoder e(kBankVersion);
  e.Varint(b.id);
  e.Bytes(b.name);
  e.Varint(static_cast<uint64_t>(b.kind));
  e.Signed(b.policy.auto_report_distance);
  e.Signed(b.policy.review_distance);
  e.Signed(b.policy.min_quality);
  e.Bool(b.policy.auto_report_enabled);
  e.Bytes(b.policy.default_category);
  e.Signed(b.policy.priority_boost);
  e.Time(b.created);
  e.Time(b.last_change);
  if (b.policy.unbordered_auto_report !=
          kLegacyRecovery.unbordered_auto_report ||
      b.policy.region_auto_report_distance !=
          kLegacyRecovery.region_auto_report_distance ||
      b.policy.dihedral != kLegacyRecovery.dihedral) {
    e.Bool(b.policy.unbordered_auto_report);
    e.Signed(b.policy.region_auto_report_distance);
    e.Bool(b.policy.dihedral);
  }
  return e.Release();
}

absl::StatusOr<Bank> DecodeBank(absl::string_view data) {
  if (HasRecordVersion(data, kBankVersion)) return DecodeBankVersioned(data);
  return DecodeBankJson(data);
}

std::string EncodeEntry(const BankEntry& e) {
  RecordEncoder enc(kEntryVersion);
  enc.Varint(static_cast<uint64_t>(e.signal));
  enc.Bytes(e.value);
  enc.Bytes(e.category);
  enc.Bytes(e.source);
  enc.Bytes(e.note);
  enc.Bytes(e.metadata_json);
  enc.Time(e.added);
  enc.Time(e.disabled_until);
  return enc.Release();
}

absl::StatusOr<BankEntry> DecodeEntry(uint64_t id, absl::string_view data) {
  if (HasRecordVersion(data, kEntryVersion))
    return DecodeEntryVersioned(id, data);
  return DecodeEntryJson(id, data);
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
  return BigEndianKey(static_cast<uint64_t>(TimeToMicros(until)));
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
