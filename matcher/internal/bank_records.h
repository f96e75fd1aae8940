// The bank store's on-disk layout: column families, keys and record
// encodings, shared by bank_store.cc (small writes, reads, start-up) and
// bank_import.cc (staged bulk imports). Internal to matcher/.
//
// Integers in keys are big-endian so that keys sort numerically; an entry id
// is (bank id << 40) | sequence, so one bank's entries are one contiguous
// key range.
//
//   banks:    bank name                              -> bank record
//   entries:  entry id (u64)                         -> entry record
//
// Bank and entry records are in the record codec (common/record_codec.h),
// version 1: a bank's id, name, kind, policy (auto_report_distance,
// review_distance, min_quality, auto_report_enabled, default_category,
// priority_boost), created and last_change; an entry's signal, value,
// category, source, note, metadata_json, added and disabled_until.
// Databases written before it hold JSON objects, which still decode.
//
//   values:   bank id (u32) | signal (u8) | hex      -> entry id (u64)
//   pdq:      entry id (u64)                         -> 32 hash bytes (words
//             0..15, little-endian)
//   disabled: entry id (u64)                         -> disabled_until (i64
//             unix µs); only entries disabled at some point
//   stats:    bank id (u32) | 's' | signal name      -> count (i64)
//             bank id (u32) | 'c' | category         -> count (i64)
//             bank id (u32) | 'q'                    -> next sequence (u64)
//             bank id (u32) | 'o'                    -> own signatures (i64)
//   own:      entry id (u64) of a SHA-256 entry      -> OwnSignature::
//             Serialize() bytes (matcher/own_signature.h); databases
//             written before it have no such family (created at open)
//   default:  "next_bank_id"                         -> u32
//
// The pdq and disabled families duplicate what matching needs in memory, so
// start-up reads fixed-size values instead of parsing every entry record.
#ifndef HASHWATCH_MATCHER_INTERNAL_BANK_RECORDS_H_
#define HASHWATCH_MATCHER_INTERNAL_BANK_RECORDS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/ordered_key.h"
#include "matcher/bank.h"
#include "matcher/bank_store.h"
#include "matcher/pdq.h"

namespace hashwatch::matcher::internal {

inline constexpr char kBanksCf[] = "banks";
inline constexpr char kEntriesCf[] = "entries";
inline constexpr char kValuesCf[] = "values";
inline constexpr char kPdqCf[] = "pdq";
inline constexpr char kStatsCf[] = "stats";
inline constexpr char kDisabledCf[] = "disabled";
inline constexpr char kOwnCf[] = "own";
inline constexpr char kNextBankIdKey[] = "next_bank_id";
inline constexpr int kSeqBits = 40;
inline constexpr uint64_t kMaxSeq = (uint64_t{1} << kSeqBits) - 1;

std::string BankPrefix(uint32_t bank_id);
// The first and one-past-last entry ids of a bank, as keys.
std::string FirstEntryKey(uint32_t bank_id);
std::string EndEntryKey(uint32_t bank_id);
std::string ValueKey(uint32_t bank_id, SignalType signal,
                     absl::string_view hex);
std::string SignalStatKey(uint32_t bank_id, SignalType signal);
std::string CategoryStatKey(uint32_t bank_id, absl::string_view category);
std::string SeqKey(uint32_t bank_id);
// The count of own-material signatures the bank holds.
std::string OwnStatKey(uint32_t bank_id);

std::string PdqValue(const PdqHash& h);
std::optional<PdqHash> ParsePdqValue(absl::string_view v);

std::string EncodeBank(const Bank& b);
absl::StatusOr<Bank> DecodeBank(absl::string_view data);
std::string EncodeEntry(const BankEntry& e);
absl::StatusOr<BankEntry> DecodeEntry(uint64_t id, absl::string_view data);

// Validates an entry's fields other than the hash.
absl::Status ValidateEntryFields(const NewEntry& e);

// Whether a stored entry already has what `in` would write: re-importing it
// changes nothing. An `in` that does not give disabled_until leaves the
// entry's state as it is.
inline bool SameFields(const BankEntry& e, const NewEntry& in) {
  return e.category == in.category && e.source == in.source &&
         e.note == in.note && e.metadata_json == in.metadata_json &&
         (!in.disabled_until.has_value() ||
          *in.disabled_until == e.disabled_until);
}

// Writes what `in` gives into `e` (the hash, id and added time stay).
void ApplyFields(const NewEntry& in, BankEntry* e);

// Counts `in` against the stored entry `e` of bank `bank_id`: unchanged
// (returns false), or updated (returns true; the category counters in
// `counters` move with it). Leaves `e` as it is.
bool CountUpdate(uint32_t bank_id, const BankEntry& e, const NewEntry& in,
                 std::map<std::string, int64_t>* counters, WriteResult* result);

// The disabled family's value for an entry disabled until `until`.
std::string DisabledValue(absl::Time until);

}  // namespace hashwatch::matcher::internal

#endif  // HASHWATCH_MATCHER_INTERNAL_BANK_RECORDS_H_
