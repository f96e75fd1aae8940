// Value types of the hash banks: signal types, bank kinds and policies, and
// the entries a bank holds. No storage here; see bank_store.h.
//
// A bank is a named list of hashes from one source with one policy (e.g.
// `ncmec-pdq`, `iwf`, `internal-confirmed`), or an allow list of known false
// positives. See docs/design.md, "Banks".
#ifndef HASHWATCH_MATCHER_BANK_H_
#define HASHWATCH_MATCHER_BANK_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hashwatch::matcher {

enum class SignalType : uint8_t { kPdq = 1, kMd5 = 2, kSha1 = 3, kSha256 = 4 };

// "pdq", "md5", "sha1", "sha256".
absl::string_view SignalTypeName(SignalType type);
// Parses the names above (case-insensitive); InvalidArgument otherwise.
absl::StatusOr<SignalType> ParseSignalType(absl::string_view name);
// Hex digits a value of this type has: 64, 32, 40, 64.
int SignalHexDigits(SignalType type);

// Checks a hash value for its type and returns it in canonical form
// (lowercase hex). InvalidArgument names the problem: wrong length (with the
// digit count found and wanted) or a non-hex character.
absl::StatusOr<std::string> CanonicalHashValue(SignalType type,
                                               absl::string_view value);

enum class BankKind : uint8_t { kMatch = 1, kAllow = 2 };
absl::string_view BankKindName(BankKind kind);  // "match", "allow"
absl::StatusOr<BankKind> ParseBankKind(absl::string_view name);

// How matches against one bank are routed (docs/design.md). Distances are PDQ
// Hamming distances (0..256); exact hashes (md5, sha1, sha256) match by
// equality and count as distance 0.
struct BankPolicy {
  // PDQ distance at or below which a match is reported automatically (when
  // auto_report_enabled and the query's quality >= min_quality). Default 10:
  // re-encodes and resizes of one picture typically land well below it,
  // unrelated pictures near 128. bench/'s sweep measures it on your data.
  int auto_report_distance = 10;
  // PDQ distance at or below which a match goes to human review. Default 31,
  // Meta's published guidance for a PDQ match. Must be >= auto_report_distance
  // and <= 64 (the index's maximum radius).
  int review_distance = 31;
  // Queries with PDQ quality below this never auto-report (docs/pdq.md:
  // below 50 the hash is unreliable). 0..100.
  int min_quality = 50;
  // Off: every match of this bank goes to review, however close.
  bool auto_report_enabled = true;
  // Category given to matches whose entry has none (e.g. "A" for IWF).
  std::string default_category;
  // Added to the review priority of items from this bank (see queue/).
  int priority_boost = 0;
  // Matches of a picture recovered from inside the upload (matcher/
  // regions.h). An "unbordered" picture is the upload less a near-uniform
  // frame, so by default it auto-reports like the whole picture. A "region"
  // of a larger canvas (a screenshot, a page, a collage cell) is a weaker
  // finding: it auto-reports only at or below region_auto_report_distance,
  // -1 (the default) never, so it goes to review. Both still need
  // auto_report_enabled and min_quality (of the region's own hash).
  bool unbordered_auto_report = true;
  int region_auto_report_distance = -1;  // -1..auto_report_distance
  // Also match rotated and mirrored copies (the seven other dihedral
  // variants of each query). The entries of such banks are indexed a second
  // time, apart, and only they are searched with the turned variants, so the
  // cost grows with the size of these banks: nothing measurable for a bank
  // of own material, about 30% of image-scan throughput for a list of 1M hashes
  // (README, "Benchmarks", scan_bench's dihedral row). Hence off by default;
  // the server turns it on for the bank of confirmed material it feeds, and
  // its scan.dihedral turns it on for every bank whatever their policy.
  bool dihedral = false;
};

// Checks the policy's ranges; InvalidArgument names the bad field.
absl::Status ValidatePolicy(const BankPolicy& policy);

struct Bank {
  uint32_t id = 0;  // assigned by the store, never reused
  std::string name;
  BankKind kind = BankKind::kMatch;
  BankPolicy policy;
  absl::Time created;
  absl::Time last_change;  // last entry or policy change
};

// A bank name: 1..64 characters of [a-z0-9._-], starting with a letter or
// digit. InvalidArgument otherwise.
absl::Status ValidateBankName(absl::string_view name);

// What a caller supplies to add an entry.
struct NewEntry {
  SignalType signal = SignalType::kPdq;
  std::string value;     // hex; canonicalised by the store
  std::string category;  // free text, e.g. IWF "A"/"B"/"C" or "A1"
  std::string source;    // source reference, e.g. a hotline's list id
  std::string note;
  std::string metadata_json;  // empty or a JSON object
  // The entry's state to store, as BankEntry::disabled_until: InfinitePast
  // enables it, InfiniteFuture disables it indefinitely, another time
  // disables it until then. nullopt (a hotline's list, which does not say):
  // a new entry is enabled and an existing one keeps its state, so that
  // re-importing a list never re-enables an entry disabled by hand.
  std::optional<absl::Time> disabled_until;
};

struct BankEntry {
  uint64_t id = 0;  // (bank id << 40) | sequence; never reused
  std::string bank;
  SignalType signal = SignalType::kPdq;
  std::string value;  // canonical lowercase hex
  std::string category;
  std::string source;
  std::string note;
  std::string metadata_json;
  absl::Time added;
  // The entry never matches before this time. InfinitePast: enabled;
  // InfiniteFuture: disabled indefinitely.
  absl::Time disabled_until = absl::InfinitePast();

  bool DisabledAt(absl::Time now) const { return disabled_until > now; }
};

// Bank number held in an entry id's high bits.
inline uint32_t BankIdOfEntry(uint64_t entry_id) {
  return static_cast<uint32_t>(entry_id >> 40);
}

}  // namespace hashwatch::matcher

#endif  // HASHWATCH_MATCHER_BANK_H_
