// The bank store: hash banks and their entries on RocksDB, with an exact,
// live in-memory Hamming index over every PDQ entry and key lookups for the
// exact hashes (md5, sha1, sha256), and own-material signatures
// (matcher/own_signature.h) of pictures a bank holds by SHA-256, searched
// through an in-memory OwnSignatureIndex.
//
//   BankStoreOptions options;
//   options.path = "var/hashwatch/banks";
//   HW_ASSIGN_OR_RETURN(auto store, BankStore::Open(options, Clock::Real()));
//   HW_RETURN_IF_ERROR(store->CreateBank("iwf", BankKind::kMatch,
//   {}).status()); HW_ASSIGN_OR_RETURN(WriteResult r, store->AddEntries("iwf",
//   entries)); HW_ASSIGN_OR_RETURN(std::vector<Match> m,
//   store->MatchPdq(variants, 31));
//
// Every write (create, add, remove, disable, delete) is atomic, durable
// before the call returns, and visible to the next match (read-your-writes).
// Small writes are one RocksDB write batch synced to the WAL. Large adds and
// imports (BankImport, or AddEntries over options.import_memory_entries) are
// staged on disk in bounded memory, whatever the list size, and made visible
// at once by ingesting sorted table files into every column family in one
// atomic step: after a crash at any point the bank holds the whole list or
// none of it, and a restart replays no log of it. A match sees each bank as
// before or after a write, never half of one. At start-up the index is
// rebuilt from the database. Matching never waits for a write for more than
// a few ms.
//
// Thread-safety: all methods are safe to call concurrently. Writes to one
// bank are serialised; writes to different banks, and matches, run in
// parallel.
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
#include "matcher/own_signature.h"
#include "matcher/pdq.h"

namespace hashwatch::matcher {

struct BankStoreOptions {
  std::string path;               // Database directory. Required.
  bool create_if_missing = true;  // Create the directory if absent.
  bool sync_writes = true;  // fsync each write batch; off only in benchmarks.
  size_t block_cache_bytes =
      64 << 20;  // RocksDB block cache; 0 = RocksDB's default.
  // One add or import may hold at most this many entries. They stream
  // through bounded memory whatever this is (staged on disk); the bound is on
  // the staging disk space (about 100 bytes an entry). Default 20M.
  size_t max_entries_per_import = 20'000'000;
  // One removal may hold at most this many values: it is one write batch
  // (about 200 bytes per value in memory). Default 20M.
  size_t max_entries_per_write = 20'000'000;
  // Adds and imports of up to this many entries are one write batch in
  // memory; larger ones are staged on disk (under <path>/import-staging) and
  // ingested as sorted table files. Default 50,000.
  size_t import_memory_entries = 50'000;
  // Build the in-memory PDQ index at open. Off for tools that only write or
  // list (the CLI's bank commands): MatchPdq then fails with
  // FailedPrecondition, and opening a 10M-entry store takes no memory for it.
  bool load_index = true;
  // Polled while the index loads; returning true abandons Open with
  // Cancelled (a server told to stop while it is still loading).
  std::function<bool()> cancel_load;
  // A PDQ match returns at most this many matches (closest first); more
  // means a bad list entry or a degenerate query. Default 1000.
  size_t max_matches = 1000;
  MihIndexOptions index;  // Layout of the in-memory PDQ index.
  // Candidate retrieval and verification of MatchOwn. Its index is built at
  // open with the PDQ index (load_index), about 6 MB empty plus about 20 KB
  // per stored signature.
  OwnIndexOptions own_index;
};

// The outcome of an add or remove.
struct WriteResult {
  size_t added = 0;    // new entries
  size_t updated = 0;  // already present; category/source/note/metadata updated
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
  int64_t own_signatures = 0;  // own-material signatures (AddOwnSignature)
  absl::Time last_change;
};

// One bank entry that a query matched.
// Which picture of the upload a PDQ query was made from (the store leaves
// kWhole; the caller that made the queries says, see Match::path), or
// kLocalFeatures: an own-material signature match (MatchOwn sets it).
enum class PathKind { kWhole, kUnbordered, kRegion, kLocalFeatures };

struct Match {
  std::string bank;
  BankKind kind = BankKind::kMatch;
  BankPolicy policy;
  BankEntry entry;
  int distance = 0;  // PDQ Hamming distance; 0 for exact hashes
  int variant = 0;   // index of the query (dihedral variant) that matched
  // Set by the caller from the query that matched: the picture it was made
  // from, its quality, and the path as MatchEvidence::path says it. The
  // store leaves kWhole, -1 (the scan's quality) and "".
  PathKind path_kind = PathKind::kWhole;
  int path_quality = -1;
  std::string path;
  // Local-feature matches (MatchOwn): the verification's inliers; 0
  // otherwise.
  int own_inliers = 0;
};

class BankImport;

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
  // idempotent); a value listed twice is one entry with the last line's
  // fields, and its other lines count as unchanged.
  // InvalidArgument names the first bad entry by index; ResourceExhausted
  // over max_entries_per_write; NotFound for the bank.
  absl::StatusOr<WriteResult> AddEntries(absl::string_view bank,
                                         absl::Span<const NewEntry> entries);
  // The same as AddEntries, streamed: entries are given one at a time and
  // held on disk beyond options.import_memory_entries, so a list of any size
  // imports in bounded memory. NotFound for an unknown bank. The import must
  // not outlive the store.
  absl::StatusOr<std::unique_ptr<BankImport>> StartImport(
      absl::string_view bank);
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
  // max_matches. InvalidArgument for a bad radius; FailedPrecondition when
  // the store was opened without its index.
  absl::StatusOr<std::vector<Match>> MatchPdq(absl::Span<const PdqHash> queries,
                                              int radius) const;
  // The same over the PDQ entries of banks whose policy matches rotated and
  // mirrored copies (BankPolicy.dihedral) only. They are indexed a second
  // time, apart, so that the seven turned variants of a query cost one
  // search of those banks, not of every bank: a hash list of millions that
  // does not ask for them pays nothing for a small bank that does.
  absl::StatusOr<std::vector<Match>> MatchTurnedPdq(
      absl::Span<const PdqHash> queries, int radius) const;
  // PDQ entries of dihedral banks (those MatchTurnedPdq searches).
  size_t TurnedPdqEntries() const;
  // Every enabled entry of every bank whose exact hash equals `value`.
  absl::StatusOr<std::vector<Match>> MatchExact(SignalType signal,
                                                absl::string_view value) const;

  size_t IndexedPdqEntries() const;
  size_t IndexMemoryBytes() const;

  // Own material. A signature belongs to one SHA-256 entry and goes with it:
  // RemoveEntries of that entry and DeleteBank of its bank delete it in the
  // same write batch.
  //
  // Stores the own-material signature of a picture the bank holds: the
  // bank must hold an entry (kSha256, sha256_hex) -- its SHA-256 entry --
  // and the signature is kept under that entry's id, replacing any earlier
  // one (idempotent per picture: the same signature again writes nothing).
  // Durable (synced WAL) before it returns, visible to the next MatchOwn.
  // Works without the index (load_index off): it only writes. NotFound:
  // unknown bank or no such entry; InvalidArgument: bad hex, an empty
  // signature, or one that does not survive OwnSignature::Serialize and
  // Parse (values out of range).
  absl::Status AddOwnSignature(absl::string_view bank,
                               absl::string_view sha256_hex,
                               const OwnSignature& signature);
  // Whether the bank holds a signature for that picture. NotFound: unknown
  // bank; InvalidArgument: bad hex. False when the bank has no such entry.
  absl::StatusOr<bool> HasOwnSignature(absl::string_view bank,
                                       absl::string_view sha256_hex) const;
  // Every enabled entry whose stored signature matches `query`
  // (OwnSignatureIndex::Search + IsOwnMatch), most inliers first, at most
  // max_matches. Each Match: the SHA-256 entry, its bank/kind/policy,
  // path_kind = kLocalFeatures, path = "local features",
  // own_inliers = inliers, distance = the bank's policy.review_distance
  // (a local-feature match counts as the weakest match the bank still sends
  // to review; routing never auto-reports it), variant 0.
  // FailedPrecondition when the store was opened without its index.
  absl::StatusOr<std::vector<Match>> MatchOwn(const OwnSignature& query) const;
  size_t OwnSignatureCount() const;  // signatures in the index (0 without)
  size_t OwnIndexMemoryBytes() const;

 private:
  friend class BankImport;
  struct Impl;
  explicit BankStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A streamed add into one bank (BankStore::StartImport):
//
//   HW_ASSIGN_OR_RETURN(std::unique_ptr<BankImport> import,
//   store->StartImport("ncmec")); for (...)
//   HW_RETURN_IF_ERROR(import->Add(entry)); HW_ASSIGN_OR_RETURN(WriteResult r,
//   import->Commit());
//
// Nothing is visible before Commit, which makes the whole list visible at
// once (and durable) or, on error, nothing. Destroying an import without
// Commit abandons it and deletes what it staged; so does a crash (the next
// Open deletes it). Adding costs about as much as parsing; Commit merges the
// staged entries with the bank in sorted order (sequential reads, no random
// lookups), and holds the bank's write lock meanwhile. Not thread-safe: one
// thread feeds one import.
class BankImport final {
 public:
  ~BankImport();
  BankImport(const BankImport&) = delete;
  BankImport& operator=(const BankImport&) = delete;

  // Validates and stages one entry. InvalidArgument names it by its number
  // (1-based, in Add order); ResourceExhausted past max_entries_per_import;
  // Unavailable for staging I/O errors. After an error the import can only
  // be abandoned.
  absl::Status Add(const NewEntry& entry);
  // Entries added so far.
  size_t size() const { return added_; }
  // Called with a line of progress once the import is staged on disk: every
  // 250,000 entries staged, then at each step of Commit ("merging with the
  // bank", "writing entries", "making the import visible"). For tools that
  // show an operator where a long import is.
  void set_progress(std::function<void(absl::string_view)> progress) {
    progress_ = std::move(progress);
  }
  // Makes the import visible; counts as AddEntries does. Call once.
  absl::StatusOr<WriteResult> Commit();

 private:
  friend class BankStore;
  class Staging;
  BankImport(BankStore::Impl* store, std::string bank);
  absl::Status Stage(const NewEntry& entry, absl::string_view canonical,
                     uint64_t ordinal);
  absl::StatusOr<WriteResult> CommitStaged(Bank bank);

  BankStore::Impl* store_;
  std::string bank_;
  size_t added_ = 0;
  bool failed_ = false;
  bool committed_ = false;
  std::function<void(absl::string_view)> progress_;
  std::vector<NewEntry> buffered_;    // until import_memory_entries
  std::unique_ptr<Staging> staging_;  // beyond it
};

}  // namespace hashwatch::matcher

#endif  // HASHWATCH_MATCHER_BANK_STORE_H_
