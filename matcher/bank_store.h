// The bank store: hash banks and their entries on RocksDB, with an exact,
// live in-memory Hamming index over every PDQ entry and key lookups for the
// exact hashes (md5, sha1, sha256).
//
//   BankStoreOptions options;
//   options.path = "var/hashwatch/banks";
//   HW_ASSIGN_OR_RETURN(auto store, BankStore::Open(options, Clock::Real()));
//   HW_RETURN_IF_ERROR(store->CreateBank("iwf", BankKind::kMatch, {}).status());
//   HW_ASSIGN_OR_RETURN(WriteResult r, store->AddEntries("iwf", entries));
//   HW_ASSIGN_OR_RETURN(std::vector<Match> m, store->MatchPdq(variants, 31));
//
// Every write (create, add, remove, disable, delete) is one RocksDB write
// batch, synced to the WAL before the call returns, and is visible to the
// next match (read-your-writes). At start-up the index is rebuilt from the
// database. Matching never waits for a write for more than a few ms.
//
// Thread-safety: all methods are safe to call concurrently. Writes are
// serialised; matches run in parallel with each other and with writes.
#ifndef HASHWATCH_MATCHER_BANK_STORE_H_
#define HASHWATCH_MATCHER_BANK_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/clock.h"
#include "matcher/bank.h"
#include "matcher/hamming_index.h"
#include "matcher/pdq.h"

namespace hashwatch::matcher {

struct BankStoreOptions {
  std::string path;                 // Database directory. Required.
  bool create_if_missing = true;    // Create the directory if absent.
  bool sync_writes = true;          // fsync each write batch; off only in benchmarks.
  size_t block_cache_bytes = 64 << 20;  // RocksDB block cache; 0 = RocksDB's default.
  // One call may add or remove at most this many entries (one write batch
  // holds them all in memory: about 200 bytes each). Default 20M.
  size_t max_entries_per_write = 20'000'000;
  // A PDQ match returns at most this many matches (closest first); more
  // means a bad list entry or a degenerate query. Default 1000.
  size_t max_matches = 1000;
  MihIndexOptions index;            // Layout of the in-memory PDQ index.
};

// The outcome of an add or remove.
struct WriteResult {
  size_t added = 0;      // new entries
  size_t updated = 0;    // already present; category/source/note/metadata updated
  size_t unchanged = 0;  // already present and identical (idempotent re-import)
  size_t removed = 0;
  size_t not_found = 0;  // removals of values the bank does not hold
};

struct BankStats {
  std::string bank;
  int64_t entries = 0;
  std::map<std::string, int64_t> by_signal;    // "pdq" -> count
  std::map<std::string, int64_t> by_category;  // "" for uncategorised
  int64_t disabled = 0;                        // disabled now
  absl::Time last_change;
};

// One bank entry that a query matched.
struct Match {
  std::string bank;
  BankKind kind = BankKind::kMatch;
  BankPolicy policy;
  BankEntry entry;
  int distance = 0;  // PDQ Hamming distance; 0 for exact hashes
  int variant = 0;   // index of the query (dihedral variant) that matched
};

class BankStore final {
 public:
  // Opens (or creates) the database and rebuilds the index. Errors:
  // InvalidArgument (options), Unavailable (locked by another process, or an
  // I/O error), DataLoss (corruption).
  static absl::StatusOr<std::unique_ptr<BankStore>> Open(
      const BankStoreOptions& options, Clock* clock);
  ~BankStore();
  BankStore(const BankStore&) = delete;
  BankStore& operator=(const BankStore&) = delete;

  // Banks. AlreadyExists for a duplicate name; InvalidArgument for a bad
  // name or policy; NotFound for unknown names.
  absl::StatusOr<Bank> CreateBank(absl::string_view name, BankKind kind,
                                  const BankPolicy& policy);
  absl::StatusOr<Bank> GetBank(absl::string_view name) const;
  std::vector<Bank> ListBanks() const;  // by name
  absl::StatusOr<Bank> UpdatePolicy(absl::string_view name,
                                    const BankPolicy& policy);
  // Deletes the bank and all its entries in one batch.
  absl::Status DeleteBank(absl::string_view name);

  // Adds entries atomically: all or nothing. An entry whose (signal, value)
  // the bank already holds keeps its id and added time (re-importing is
  // idempotent). InvalidArgument names the first bad entry by index;
  // ResourceExhausted over max_entries_per_write; NotFound for the bank.
  absl::StatusOr<WriteResult> AddEntries(absl::string_view bank,
                                         absl::Span<const NewEntry> entries);
  // Removes the listed (signal, value) pairs atomically; values the bank
  // does not hold are counted in not_found.
  absl::StatusOr<WriteResult> RemoveEntries(
      absl::string_view bank,
      absl::Span<const std::pair<SignalType, std::string>> values);
  // Entries disabled until `until` never match before it (InfinitePast
  // re-enables). NotFound for an unknown bank or value.
  absl::StatusOr<BankEntry> DisableEntry(absl::string_view bank,
                                         SignalType signal,
                                         absl::string_view value,
                                         absl::Time until);

  // Calls `visit` for every entry of the bank in id order (insertion order);
  // stops early and returns the visitor's error if it returns one.
  absl::Status ForEachEntry(
      absl::string_view bank,
      const std::function<absl::Status(const BankEntry&)>& visit) const;
  absl::StatusOr<BankEntry> GetEntry(uint64_t id) const;
  absl::StatusOr<BankStats> Stats(absl::string_view bank) const;

  // Every enabled PDQ entry of every bank within `radius` (0..64) of any of
  // `queries` (e.g. the eight dihedral variants), closest first, at most
  // max_matches. InvalidArgument for a bad radius.
  absl::StatusOr<std::vector<Match>> MatchPdq(absl::Span<const PdqHash> queries,
                                              int radius) const;
  // Every enabled entry of every bank whose exact hash equals `value`.
  absl::StatusOr<std::vector<Match>> MatchExact(SignalType signal,
                                                absl::string_view value) const;

  size_t IndexedPdqEntries() const;
  size_t IndexMemoryBytes() const;

 private:
  struct Impl;
  explicit BankStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hashwatch::matcher

#endif  // HASHWATCH_MATCHER_BANK_STORE_H_
