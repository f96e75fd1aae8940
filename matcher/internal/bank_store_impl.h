// BankStore's state, shared by bank_store.cc and bank_import.cc. Internal to
// matcher/.
#ifndef HASHWATCH_MATCHER_INTERNAL_BANK_STORE_IMPL_H_
#define HASHWATCH_MATCHER_INTERNAL_BANK_STORE_IMPL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "matcher/bank.h"
#include "matcher/bank_store.h"
#include "matcher/hamming_index.h"
#include "matcher/own_signature.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"

namespace hashwatch::matcher {

// Holds one bank's write lock while in scope: writes to one bank are
// serialised, writes to different banks run in parallel (a long import into
// one bank does not hold up the moderators' decisions that feed another).
class BankWriteLock {
 public:
  BankWriteLock() = default;
  explicit BankWriteLock(std::shared_ptr<absl::Mutex> mu) : mu_(std::move(mu)) {
    mu_->Lock();
  }
  BankWriteLock(BankWriteLock&& other) noexcept : mu_(std::move(other.mu_)) {}
  BankWriteLock& operator=(BankWriteLock&& other) noexcept {
    if (mu_) mu_->Unlock();
    mu_ = std::move(other.mu_);
    return *this;
  }
  ~BankWriteLock() {
    if (mu_) mu_->Unlock();
  }

 private:
  std::shared_ptr<absl::Mutex> mu_;
};

struct BankStore::Impl {
  BankStoreOptions options;
  Clock* clock = nullptr;
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::Options db_options;  // what the database was opened with
  rocksdb::ColumnFamilyOptions
      cf_options;  // every family's (SST writers use it)
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::ColumnFamilyHandle* banks_cf = nullptr;
  rocksdb::ColumnFamilyHandle* entries_cf = nullptr;
  rocksdb::ColumnFamilyHandle* values_cf = nullptr;
  rocksdb::ColumnFamilyHandle* pdq_cf = nullptr;
  rocksdb::ColumnFamilyHandle* stats_cf = nullptr;
  rocksdb::ColumnFamilyHandle* disabled_cf = nullptr;
  rocksdb::ColumnFamilyHandle* own_cf = nullptr;
  rocksdb::WriteOptions write_options;
  std::unique_ptr<HammingIndex> index;  // null when options.load_index is off
  // The PDQ entries of banks with policy.dihedral, a second time (entries
  // stay in `index` too); null with `index`.
  std::unique_ptr<HammingIndex> turned;
  // Own-material signatures by entry id; null when options.load_index is off.
  std::unique_ptr<OwnSignatureIndex> own_index;
  std::string staging_root;  // <path>/import-staging

  // Serialises bank creation (next_bank_id).
  absl::Mutex create_mu;
  uint32_t next_bank_id ABSL_GUARDED_BY(create_mu) = 1;

  // One write lock per bank id, made on first use and kept (a few bytes per
  // bank ever created).
  absl::Mutex locks_mu;
  absl::flat_hash_map<uint32_t, std::shared_ptr<absl::Mutex>> bank_locks
      ABSL_GUARDED_BY(locks_mu);

  // Guards the in-memory view of the banks and of disabled entries (few:
  // each was disabled by hand).
  mutable absl::Mutex mu;
  std::map<std::string, Bank, std::less<>> banks ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<uint32_t, std::string> bank_names ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<uint64_t, absl::Time> disabled ABSL_GUARDED_BY(mu);

  ~Impl();

  absl::Status Write(rocksdb::WriteBatch* batch, absl::string_view what);
  // A point read; `ro` carries a snapshot where the caller needs one.
  absl::StatusOr<std::optional<std::string>> Get(
      rocksdb::ColumnFamilyHandle* cf, absl::string_view key,
      const rocksdb::ReadOptions& ro = rocksdb::ReadOptions()) const;
  // Reads an entry id stored under `key` in the values family.
  absl::StatusOr<std::optional<uint64_t>> GetId(
      absl::string_view key,
      const rocksdb::ReadOptions& ro = rocksdb::ReadOptions()) const;
  absl::StatusOr<Bank> FindBank(absl::string_view name) const;
  // Finds the bank and takes its write lock; NotFound when it does not exist
  // (or was deleted while waiting for the lock).
  absl::StatusOr<Bank> LockBank(absl::string_view name, BankWriteLock* lock);
  // Applies counter deltas (stats family) into `batch`: reads the stored
  // value, adds, and writes or deletes. Caller holds the bank's write lock.
  absl::Status ApplyCounters(const std::map<std::string, int64_t>& deltas,
                             rocksdb::WriteBatch* batch);
  void PutBankRecord(const Bank& b, rocksdb::WriteBatch* batch);
  void CommitBank(const Bank& b);
  // Start-up: banks, disabled entries and every PDQ entry into the index,
  // and every own-material signature into own_index.
  absl::Status LoadAll();
  absl::Status LoadOwnSignatures();
  absl::StatusOr<std::vector<Match>> ResolveHits(
      const std::vector<IndexHit>& hits,
      const rocksdb::Snapshot* snapshot) const;
  // MatchPdq over `searched` (`index` or `turned`; null: FailedPrecondition).
  absl::StatusOr<std::vector<Match>> MatchIndex(
      const HammingIndex* searched, absl::Span<const PdqHash> queries,
      int radius) const;

  // AddEntries of a batch small enough for one write batch (values already
  // canonical). Caller holds the bank's write lock.
  absl::StatusOr<WriteResult> AddBatch(Bank bank,
                                       absl::Span<const NewEntry> entries);
  // Makes index adds of `bank`'s entries visible (Upsert, or one BulkLoad
  // for many), in `turned` too when the bank matches turned copies.
  void IndexAdd(const Bank& bank,
                absl::Span<const std::pair<uint64_t, PdqHash>> adds);
  // Takes entries out of both indexes (ids that are not there: no-op).
  void IndexRemove(absl::Span<const uint64_t> ids);
  // The bank's PDQ entries into `turned` (on) or out of it (off).
  absl::Status SetTurned(const Bank& bank, bool on);
  // Brings the in-memory view of disabled entries up to date with written
  // states (entry id, disabled_until; InfinitePast: enabled).
  void SetDisabled(absl::Span<const std::pair<uint64_t, absl::Time>> states);
};

}  // namespace hashwatch::matcher

#endif  // HASHWATCH_MATCHER_INTERNAL_BANK_STORE_IMPL_H_
