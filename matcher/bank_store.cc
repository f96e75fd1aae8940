#include "matcher/bank_store.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "common/log.h"
#include "common/rocksdb_options.h"
#include "common/rocksdb_slice.h"
#include "common/rocksdb_status.h"
#include "common/status_macros.h"
#include "matcher/internal/bank_records.h"
#include "matcher/internal/bank_store_impl.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/snapshot.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"

namespace hashwatch::matcher {
namespace {

using namespace internal;  // NOLINT: the store's own layout helpers

// Above this many PDQ adds at once the index rebuilds once (BulkLoad)
// instead of taking them one by one through its delta.
constexpr size_t kBulkIndexAdds = 65'536;

// Progress lines while the index loads, at most this often.
constexpr absl::Duration kLoadLogInterval = absl::Seconds(2);

}  // namespace

BankStore::Impl::~Impl() {
  if (db) {
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    db->Close().PermitUncheckedError();
  }
}

absl::Status BankStore::Impl::Write(rocksdb::WriteBatch* batch,
                                    absl::string_view what) {
  return FromRocksDb(db->Write(write_options, batch), "bank_store", what);
}

absl::StatusOr<std::optional<std::string>> BankStore::Impl::Get(
    rocksdb::ColumnFamilyHandle* cf, absl::string_view key,
    const rocksdb::ReadOptions& ro) const {
  std::string value;
  rocksdb::Status s =
      db->Get(ro, cf, rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  HW_RETURN_IF_ERROR(FromRocksDb(s, "bank_store", "read"));
  return std::optional<std::string>(std::move(value));
}

absl::StatusOr<std::optional<uint64_t>> BankStore::Impl::GetId(
    absl::string_view key, const rocksdb::ReadOptions& ro) const {
  HW_ASSIGN_OR_RETURN(std::optional<std::string> raw, Get(values_cf, key, ro));
  if (!raw.has_value()) return std::optional<uint64_t>();
  if (raw->size() != 8) {
    return absl::DataLossError("bank_store: malformed value index record");
  }
  return std::optional<uint64_t>(ReadBigEndian(*raw, 8));
}

absl::StatusOr<Bank> BankStore::Impl::FindBank(absl::string_view name) const {
  absl::ReaderMutexLock lock(&mu);
  auto it = banks.find(name);
  if (it == banks.end()) {
    return absl::NotFoundError(
        absl::StrFormat("bank_store: no bank named \"%s\"", name));
  }
  return it->second;
}

absl::StatusOr<Bank> BankStore::Impl::LockBank(absl::string_view name,
                                               BankWriteLock* lock) {
  HW_ASSIGN_OR_RETURN(Bank bank, FindBank(name));
  std::shared_ptr<absl::Mutex> mutex;
  {
    absl::MutexLock l(&locks_mu);
    std::shared_ptr<absl::Mutex>& slot = bank_locks[bank.id];
    if (slot == nullptr) slot = std::make_shared<absl::Mutex>();
    mutex = slot;
  }
  *lock = BankWriteLock(std::move(mutex));
  // Deleted (and perhaps re-created under a new id) while we waited.
  HW_ASSIGN_OR_RETURN(Bank now, FindBank(name));
  if (now.id != bank.id) {
    return absl::NotFoundError(
        absl::StrFormat("bank_store: bank \"%s\" was deleted", name));
  }
  return now;
}

absl::Status BankStore::Impl::ApplyCounters(
    const std::map<std::string, int64_t>& deltas, rocksdb::WriteBatch* batch) {
  for (const auto& [key, delta] : deltas) {
    if (delta == 0) continue;
    HW_ASSIGN_OR_RETURN(std::optional<std::string> cur, Get(stats_cf, key));
    int64_t v = cur && cur->size() == 8
                    ? static_cast<int64_t>(ReadBigEndian(*cur, 8))
                    : 0;
    v += delta;
    if (v <= 0) {
      batch->Delete(stats_cf, key);
    } else {
      batch->Put(stats_cf, key, BigEndianKey(static_cast<uint64_t>(v)));
    }
  }
  return absl::OkStatus();
}

void BankStore::Impl::PutBankRecord(const Bank& b, rocksdb::WriteBatch* batch) {
  batch->Put(banks_cf, b.name, EncodeBank(b));
}

void BankStore::Impl::CommitBank(const Bank& b) {
  absl::MutexLock lock(&mu);
  banks[b.name] = b;
  bank_names[b.id] = b.name;
}

absl::Status BankStore::Impl::LoadAll() {
  // Banks.
  {
    std::unique_ptr<rocksdb::Iterator> it(
        db->NewIterator(rocksdb::ReadOptions(), banks_cf));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      HW_ASSIGN_OR_RETURN(Bank b, DecodeBank(ToView(it->value())));
      CommitBank(b);
    }
    HW_RETURN_IF_ERROR(FromRocksDb(it->status(), "bank_store", "load banks"));
  }
  {
    HW_ASSIGN_OR_RETURN(std::optional<std::string> next,
                        Get(db->DefaultColumnFamily(), kNextBankIdKey));
    absl::MutexLock lock(&create_mu);
    if (next && next->size() == 4)
      next_bank_id = static_cast<uint32_t>(ReadBigEndian(*next, 4));
  }
  {
    std::unique_ptr<rocksdb::Iterator> it(
        db->NewIterator(rocksdb::ReadOptions(), disabled_cf));
    absl::MutexLock lock(&mu);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (it->key().size() != 8 || it->value().size() != 8) {
        return absl::DataLossError("bank_store: malformed disabled record");
      }
      disabled[ReadBigEndian(ToView(it->key()), 8)] = MicrosToTime(
          static_cast<int64_t>(ReadBigEndian(ToView(it->value()), 8)));
    }
    HW_RETURN_IF_ERROR(
        FromRocksDb(it->status(), "bank_store", "load disabled entries"));
  }
  if (index == nullptr) return absl::OkStatus();
  HW_RETURN_IF_ERROR(LoadOwnSignatures());
  // PDQ entries into the index, with a progress line every few seconds so
  // that an operator can tell loading from hanging, and a way out.
  uint64_t estimate = 0;
  db->GetIntProperty(pdq_cf, "rocksdb.estimate-num-keys", &estimate);
  const absl::Time start = absl::Now();
  absl::Time last_log = start;
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  ro.readahead_size = 4 << 20;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, pdq_cf));
  std::vector<std::pair<uint64_t, PdqHash>> entries;
  entries.reserve(static_cast<size_t>(estimate));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const rocksdb::Slice k = it->key();
    std::optional<PdqHash> parsed = ParsePdqValue(ToView(it->value()));
    if (k.size() != 8 || !parsed.has_value()) {
      return absl::DataLossError("bank_store: malformed pdq index record");
    }
    entries.emplace_back(ReadBigEndian(ToView(k), 8), *parsed);
    if ((entries.size() & 0xffff) == 0) {
      if (options.cancel_load && options.cancel_load()) {
        return absl::CancelledError("bank_store: loading was cancelled");
      }
      const absl::Time now = absl::Now();
      if (now - last_log >= kLoadLogInterval) {
        last_log = now;
        HW_LOG(kInfo, "bank_store: read %d of about %d PDQ entries (%.1f s)",
               entries.size(), estimate, absl::ToDoubleSeconds(now - start));
      }
    }
  }
  HW_RETURN_IF_ERROR(
      FromRocksDb(it->status(), "bank_store", "load pdq entries"));
  if (options.cancel_load && options.cancel_load()) {
    return absl::CancelledError("bank_store: loading was cancelled");
  }
  const absl::Time read_done = absl::Now();
  index->BulkLoad(entries);
  {
    absl::flat_hash_set<uint32_t> dihedral;
    {
      absl::MutexLock lock(&mu);
      for (const auto& [name, b] : banks) {
        if (b.policy.dihedral) dihedral.insert(b.id);
      }
    }
    std::vector<std::pair<uint64_t, PdqHash>> turned_entries;
    for (const auto& e : entries) {
      if (dihedral.contains(BankIdOfEntry(e.first)))
        turned_entries.push_back(e);
    }
    turned->BulkLoad(turned_entries);
  }
  if (entries.size() >= 100'000) {
    HW_LOG(kInfo,
           "bank_store: indexed %d PDQ entries (read %.1f s, index %.1f s)",
           entries.size(), absl::ToDoubleSeconds(read_done - start),
           absl::ToDoubleSeconds(absl::Now() - read_done));
  }
  return absl::OkStatus();
}

absl::Status BankStore::Impl::LoadOwnSignatures() {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  ro.readahead_size = 4 << 20;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, own_cf));
  size_t loaded = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const absl::string_view key = ToView(it->key());
    if (key.size() != 8) {
      return absl::DataLossError(absl::StrFormat(
          "bank_store: malformed own signature key (%d bytes, want 8)",
          key.size()));
    }
    const uint64_t id = ReadBigEndian(key, 8);
    absl::StatusOr<OwnSignature> sig = OwnSignature::Parse(ToView(it->value()));
    absl::Status added = sig.ok() ? own_index->Add(id, *sig) : sig.status();
    if (!added.ok()) {
      return absl::DataLossError(absl::StrFormat(
          "bank_store: malformed own signature record of entry %d (key "
          "%016x): %s",
          id, id, added.message()));
    }
    if ((++loaded & 0x3ff) == 0 && options.cancel_load &&
        options.cancel_load()) {
      return absl::CancelledError("bank_store: loading was cancelled");
    }
  }
  HW_RETURN_IF_ERROR(
      FromRocksDb(it->status(), "bank_store", "load own signatures"));
  if (loaded >= 10'000) {
    HW_LOG(kInfo, "bank_store: indexed %d own-material signatures", loaded);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Match>> BankStore::Impl::ResolveHits(
    const std::vector<IndexHit>& hits,
    const rocksdb::Snapshot* snapshot) const {
  std::vector<Match> out;
  const absl::Time now = clock->Now();
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  for (const IndexHit& hit : hits) {
    if (out.size() >= options.max_matches) break;
    Bank bank;
    {
      absl::ReaderMutexLock lock(&mu);
      auto d = disabled.find(hit.id);
      if (d != disabled.end() && d->second > now) continue;
      auto name = bank_names.find(BankIdOfEntry(hit.id));
      if (name == bank_names.end()) continue;  // bank deleted meanwhile
      bank = banks.at(name->second);
    }
    // Absent: removed meanwhile, or indexed by an import not yet visible.
    HW_ASSIGN_OR_RETURN(std::optional<std::string> rec,
                        Get(entries_cf, BigEndianKey(hit.id), ro));
    if (!rec) continue;
    HW_ASSIGN_OR_RETURN(BankEntry entry, DecodeEntry(hit.id, *rec));
    if (entry.DisabledAt(now)) continue;
    entry.bank = bank.name;
    if (entry.category.empty()) entry.category = bank.policy.default_category;
    Match m;
    m.bank = bank.name;
    m.kind = bank.kind;
    m.policy = bank.policy;
    m.entry = std::move(entry);
    m.distance = hit.distance;
    m.variant = hit.variant;
    out.push_back(std::move(m));
  }
  return out;
}

void BankStore::Impl::IndexAdd(
    const Bank& bank, absl::Span<const std::pair<uint64_t, PdqHash>> adds) {
  if (index == nullptr) return;
  for (HammingIndex* to : {index.get(), turned.get()}) {
    if (to == turned.get() && !bank.policy.dihedral) continue;
    if (adds.size() >= kBulkIndexAdds) {
      to->BulkLoad(adds);
    } else {
      for (const auto& [id, h] : adds) to->Upsert(id, h);
    }
  }
}

void BankStore::Impl::IndexRemove(absl::Span<const uint64_t> ids) {
  if (index == nullptr) return;
  for (uint64_t id : ids) {
    index->Remove(id);
    turned->Remove(id);
  }
}

absl::Status BankStore::Impl::SetTurned(const Bank& bank, bool on) {
  if (turned == nullptr) return absl::OkStatus();
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, pdq_cf));
  const std::string hi = EndEntryKey(bank.id);
  for (it->Seek(FirstEntryKey(bank.id));
       it->Valid() && it->key().compare(hi) < 0; it->Next()) {
    const uint64_t id = ReadBigEndian(ToView(it->key()), 8);
    std::optional<PdqHash> h = ParsePdqValue(ToView(it->value()));
    if (!h.has_value()) {
      return absl::DataLossError("bank_store: malformed pdq index record");
    }
    if (on) {
      turned->Upsert(id, *h);
    } else {
      turned->Remove(id);
    }
  }
  return FromRocksDb(it->status(), "bank_store", "index turned copies");
}

void BankStore::Impl::SetDisabled(
    absl::Span<const std::pair<uint64_t, absl::Time>> states) {
  if (states.empty()) return;
  absl::MutexLock lock(&mu);
  for (const auto& [id, until] : states) {
    if (until == absl::InfinitePast()) {
      disabled.erase(id);
    } else {
      disabled[id] = until;
    }
  }
}

absl::StatusOr<WriteResult> BankStore::Impl::AddBatch(
    Bank bank, absl::Span<const NewEntry> entries) {
  const absl::Time now = clock->Now();
  WriteResult result;
  // Each value once, in the order of its first line, with its last line's
  // fields; its other lines count as unchanged (BankImport's staged path
  // counts the same way), so a re-import of any list reports no change.
  struct Group {
    std::string vkey;
    const NewEntry* last;
  };
  std::vector<Group> groups;
  absl::flat_hash_map<std::string, size_t> group_of;
  for (const NewEntry& in : entries) {
    std::string vkey = ValueKey(bank.id, in.signal, in.value);
    auto [it, inserted] = group_of.emplace(vkey, groups.size());
    if (inserted) {
      groups.push_back({std::move(vkey), &in});
      continue;
    }
    groups[it->second].last = &in;
    ++result.unchanged;
  }

  HW_ASSIGN_OR_RETURN(std::optional<std::string> seq_raw,
                      Get(stats_cf, SeqKey(bank.id)));
  uint64_t seq = 1;
  if (seq_raw.has_value() && seq_raw->size() == 8)
    seq = ReadBigEndian(*seq_raw, 8);
  rocksdb::WriteBatch batch;
  std::map<std::string, int64_t> counters;
  std::vector<std::pair<uint64_t, PdqHash>> index_adds;
  std::vector<std::pair<uint64_t, absl::Time>> disabled_states;
  size_t written = 0;
  for (const Group& g : groups) {
    const NewEntry& in = *g.last;
    HW_ASSIGN_OR_RETURN(std::optional<uint64_t> found, GetId(g.vkey));
    BankEntry e;
    if (found.has_value()) {
      HW_ASSIGN_OR_RETURN(std::optional<std::string> rec,
                          Get(entries_cf, BigEndianKey(*found)));
      if (!rec) {
        return absl::DataLossError(absl::StrFormat(
            "bank_store: value index names entry %d, which is missing",
            *found));
      }
      HW_ASSIGN_OR_RETURN(e, DecodeEntry(*found, *rec));
      if (!CountUpdate(bank.id, e, in, &counters, &result)) continue;
    } else {
      if (seq > kMaxSeq) {
        return absl::ResourceExhaustedError(
            "bank_store: bank has used all entry ids");
      }
      e.id = (uint64_t{bank.id} << kSeqBits) | seq++;
      e.signal = in.signal;
      e.value = in.value;
      e.added = now;
      batch.Put(values_cf, g.vkey, BigEndianKey(e.id));
      ++counters[SignalStatKey(bank.id, in.signal)];
      ++counters[CategoryStatKey(bank.id, in.category)];
      if (in.signal == SignalType::kPdq) {
        absl::StatusOr<PdqHash> h = PdqHash::FromHex(e.value);
        HW_CHECK(h.ok(), "canonical pdq value must parse");
        batch.Put(pdq_cf, BigEndianKey(e.id), PdqValue(*h));
        index_adds.emplace_back(e.id, *h);
      }
      ++result.added;
    }
    const absl::Time was_disabled_until = e.disabled_until;
    ApplyFields(in, &e);
    if (e.disabled_until != was_disabled_until) {
      if (e.disabled_until == absl::InfinitePast()) {
        batch.Delete(disabled_cf, BigEndianKey(e.id));
      } else {
        batch.Put(disabled_cf, BigEndianKey(e.id),
                  DisabledValue(e.disabled_until));
      }
      disabled_states.emplace_back(e.id, e.disabled_until);
    }
    batch.Put(entries_cf, BigEndianKey(e.id), EncodeEntry(e));
    ++written;
  }
  if (written == 0) return result;
  std::string seq_value;
  AppendBigEndian(&seq_value, seq, 8);
  batch.Put(stats_cf, SeqKey(bank.id), seq_value);
  HW_RETURN_IF_ERROR(ApplyCounters(counters, &batch));
  bank.last_change = now;
  PutBankRecord(bank, &batch);
  HW_RETURN_IF_ERROR(Write(&batch, "add entries"));
  CommitBank(bank);
  SetDisabled(disabled_states);
  IndexAdd(bank, index_adds);
  return result;
}

BankStore::BankStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BankStore::~BankStore() = default;

absl::StatusOr<std::unique_ptr<BankStore>> BankStore::Open(
    const BankStoreOptions& options, Clock* clock) {
  if (options.path.empty()) {
    return absl::InvalidArgumentError("bank_store: options.path is empty");
  }
  if (options.max_matches == 0 || options.max_entries_per_write == 0 ||
      options.max_entries_per_import == 0 ||
      options.import_memory_entries == 0) {
    return absl::InvalidArgumentError(
        "bank_store: max_matches, max_entries_per_write, "
        "max_entries_per_import and import_memory_entries must be > 0");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->clock = clock;
  impl->write_options.sync = options.sync_writes;
  if (options.load_index) {
    impl->index = NewMihIndex(options.index);
    impl->turned = NewMihIndex(options.index);
    impl->own_index = std::make_unique<OwnSignatureIndex>(options.own_index);
  }
  impl->staging_root = options.path + "/import-staging";

  rocksdb::Options& db_options = impl->db_options;
  SetCommonDbOptions(&db_options);
  db_options.create_if_missing = options.create_if_missing;
  rocksdb::BlockBasedTableOptions table;
  if (options.block_cache_bytes > 0) {
    table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  }
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  impl->cf_options.table_factory.reset(
      rocksdb::NewBlockBasedTableFactory(table));
  const rocksdb::ColumnFamilyOptions& cf_options = impl->cf_options;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, cf_options},
      {kBanksCf, cf_options},
      {kEntriesCf, cf_options},
      {kValuesCf, cf_options},
      {kPdqCf, cf_options},
      {kStatsCf, cf_options},
      {kDisabledCf, cf_options},
      {kOwnCf, cf_options}};  // created in databases older than it
  rocksdb::DB* raw = nullptr;
  HW_RETURN_IF_ERROR(FromRocksDb(
      rocksdb::DB::Open(db_options, options.path, cfs, &impl->handles, &raw),
      "bank_store", absl::StrCat("open ", options.path)));
  impl->db.reset(raw);
  impl->banks_cf = impl->handles[1];
  impl->entries_cf = impl->handles[2];
  impl->values_cf = impl->handles[3];
  impl->pdq_cf = impl->handles[4];
  impl->stats_cf = impl->handles[5];
  impl->disabled_cf = impl->handles[6];
  impl->own_cf = impl->handles[7];
  // What an import staged before a crash (the database lock is ours now, so
  // no other process is using it).
  std::error_code ec;
  std::filesystem::remove_all(impl->staging_root, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat(
        "bank_store: cannot remove ", impl->staging_root, ": ", ec.message()));
  }
  HW_RETURN_IF_ERROR(impl->LoadAll());
  return std::unique_ptr<BankStore>(new BankStore(std::move(impl)));
}

absl::StatusOr<Bank> BankStore::CreateBank(absl::string_view name,
                                           BankKind kind,
                                           const BankPolicy& policy) {
  HW_RETURN_IF_ERROR(ValidateBankName(name));
  HW_RETURN_IF_ERROR(ValidatePolicy(policy));
  absl::MutexLock create_lock(&impl_->create_mu);
  if (impl_->FindBank(name).ok()) {
    return absl::AlreadyExistsError(absl::StrFormat(
        "bank_store: a bank named \"%s\" already exists", name));
  }
  Bank b;
  b.id = impl_->next_bank_id;
  b.name = std::string(name);
  b.kind = kind;
  b.policy = policy;
  b.created = b.last_change = impl_->clock->Now();
  rocksdb::WriteBatch batch;
  impl_->PutBankRecord(b, &batch);
  std::string next;
  AppendBigEndian(&next, b.id + 1, 4);
  batch.Put(impl_->db->DefaultColumnFamily(), kNextBankIdKey, next);
  HW_RETURN_IF_ERROR(impl_->Write(&batch, "create bank"));
  impl_->next_bank_id = b.id + 1;
  impl_->CommitBank(b);
  return b;
}

absl::StatusOr<Bank> BankStore::GetBank(absl::string_view name) const {
  return impl_->FindBank(name);
}

std::vector<Bank> BankStore::ListBanks() const {
  absl::ReaderMutexLock lock(&impl_->mu);
  std::vector<Bank> out;
  for (const auto& [name, bank] : impl_->banks) out.push_back(bank);
  return out;
}

absl::StatusOr<Bank> BankStore::UpdatePolicy(absl::string_view name,
                                             const BankPolicy& policy) {
  HW_RETURN_IF_ERROR(ValidatePolicy(policy));
  BankWriteLock lock;
  HW_ASSIGN_OR_RETURN(Bank b, impl_->LockBank(name, &lock));
  const bool turning_on = policy.dihedral && !b.policy.dihedral;
  const bool turning_off = !policy.dihedral && b.policy.dihedral;
  b.policy = policy;
  b.last_change = impl_->clock->Now();
  rocksdb::WriteBatch batch;
  impl_->PutBankRecord(b, &batch);
  // Turned copies start matching once the entries are indexed for them; a
  // failure to index leaves the policy as it was.
  if (turning_on) HW_RETURN_IF_ERROR(impl_->SetTurned(b, true));
  absl::Status written = impl_->Write(&batch, "update policy");
  if (!written.ok()) {
    if (turning_on) impl_->SetTurned(b, false).IgnoreError();
    return written;
  }
  impl_->CommitBank(b);
  if (turning_off) HW_RETURN_IF_ERROR(impl_->SetTurned(b, false));
  return b;
}

absl::Status BankStore::DeleteBank(absl::string_view name) {
  BankWriteLock lock;
  HW_ASSIGN_OR_RETURN(Bank b, impl_->LockBank(name, &lock));
  rocksdb::WriteBatch batch;
  const std::string lo = FirstEntryKey(b.id);
  const std::string hi = EndEntryKey(b.id);
  std::vector<uint64_t> pdq_ids;
  {
    std::unique_ptr<rocksdb::Iterator> it(
        impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->pdq_cf));
    for (it->Seek(lo); it->Valid() && it->key().compare(hi) < 0; it->Next()) {
      pdq_ids.push_back(ReadBigEndian(ToView(it->key()), 8));
    }
    HW_RETURN_IF_ERROR(FromRocksDb(it->status(), "bank_store", "delete bank"));
  }
  std::vector<uint64_t> own_ids;
  if (impl_->own_index != nullptr) {
    std::unique_ptr<rocksdb::Iterator> it(
        impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->own_cf));
    for (it->Seek(lo); it->Valid() && it->key().compare(hi) < 0; it->Next()) {
      own_ids.push_back(ReadBigEndian(ToView(it->key()), 8));
    }
    HW_RETURN_IF_ERROR(FromRocksDb(it->status(), "bank_store", "delete bank"));
  }
  const std::string prefix = BankPrefix(b.id);
  const std::string prefix_end = BankPrefix(b.id + 1);
  batch.DeleteRange(impl_->entries_cf, lo, hi);
  batch.DeleteRange(impl_->pdq_cf, lo, hi);
  batch.DeleteRange(impl_->disabled_cf, lo, hi);
  batch.DeleteRange(impl_->own_cf, lo, hi);
  batch.DeleteRange(impl_->values_cf, prefix, prefix_end);
  batch.DeleteRange(impl_->stats_cf, prefix, prefix_end);
  batch.Delete(impl_->banks_cf, b.name);
  HW_RETURN_IF_ERROR(impl_->Write(&batch, "delete bank"));
  {
    absl::MutexLock lock(&impl_->mu);
    impl_->banks.erase(b.name);
    impl_->bank_names.erase(b.id);
    absl::erase_if(impl_->disabled, [&](const auto& kv) {
      return BankIdOfEntry(kv.first) == b.id;
    });
  }
  impl_->IndexRemove(pdq_ids);
  if (impl_->own_index != nullptr) {
    for (uint64_t id : own_ids) impl_->own_index->Remove(id);
  }
  return absl::OkStatus();
}

absl::StatusOr<WriteResult> BankStore::AddEntries(
    absl::string_view bank_name, absl::Span<const NewEntry> entries) {
  HW_ASSIGN_OR_RETURN(std::unique_ptr<BankImport> import,
                      StartImport(bank_name));
  for (const NewEntry& e : entries) HW_RETURN_IF_ERROR(import->Add(e));
  return import->Commit();
}

absl::StatusOr<std::unique_ptr<BankImport>> BankStore::StartImport(
    absl::string_view bank_name) {
  HW_RETURN_IF_ERROR(impl_->FindBank(bank_name).status());
  return std::unique_ptr<BankImport>(
      new BankImport(impl_.get(), std::string(bank_name)));
}

absl::StatusOr<WriteResult> BankStore::RemoveEntries(
    absl::string_view bank_name,
    absl::Span<const std::pair<SignalType, std::string>> values) {
  if (values.size() > impl_->options.max_entries_per_write) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "bank_store: %d removals in one write, over the limit of %d",
        values.size(), impl_->options.max_entries_per_write));
  }
  std::vector<std::string> canonical(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    absl::StatusOr<std::string> v =
        CanonicalHashValue(values[i].first, values[i].second);
    if (!v.ok()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("bank_store: entry %d: %s", i + 1,
                          absl::StripPrefix(v.status().message(), "bank: ")));
    }
    canonical[i] = *std::move(v);
  }
  BankWriteLock lock;
  HW_ASSIGN_OR_RETURN(Bank bank, impl_->LockBank(bank_name, &lock));
  rocksdb::WriteBatch batch;
  WriteResult result;
  std::map<std::string, int64_t> counters;
  std::vector<uint64_t> removed_ids;
  std::vector<uint64_t> removed_own;  // SHA-256 entries with a signature
  absl::flat_hash_map<std::string, bool> seen;
  for (size_t i = 0; i < values.size(); ++i) {
    const std::string vkey = ValueKey(bank.id, values[i].first, canonical[i]);
    if (!seen.emplace(vkey, true).second) continue;  // listed twice
    HW_ASSIGN_OR_RETURN(std::optional<uint64_t> found, impl_->GetId(vkey));
    if (!found.has_value()) {
      ++result.not_found;
      continue;
    }
    const uint64_t id = *found;
    HW_ASSIGN_OR_RETURN(std::optional<std::string> rec,
                        impl_->Get(impl_->entries_cf, BigEndianKey(id)));
    std::string category;
    if (rec) {
      HW_ASSIGN_OR_RETURN(BankEntry e, DecodeEntry(id, *rec));
      category = e.category;
    }
    batch.Delete(impl_->values_cf, vkey);
    batch.Delete(impl_->entries_cf, BigEndianKey(id));
    batch.Delete(impl_->disabled_cf, BigEndianKey(id));
    if (values[i].first == SignalType::kPdq)
      batch.Delete(impl_->pdq_cf, BigEndianKey(id));
    if (values[i].first == SignalType::kSha256) {
      HW_ASSIGN_OR_RETURN(std::optional<std::string> own,
                          impl_->Get(impl_->own_cf, BigEndianKey(id)));
      if (own.has_value()) {
        batch.Delete(impl_->own_cf, BigEndianKey(id));
        --counters[OwnStatKey(bank.id)];
        removed_own.push_back(id);
      }
    }
    removed_ids.push_back(id);
    --counters[SignalStatKey(bank.id, values[i].first)];
    --counters[CategoryStatKey(bank.id, category)];
    ++result.removed;
  }
  if (result.removed == 0) return result;
  HW_RETURN_IF_ERROR(impl_->ApplyCounters(counters, &batch));
  bank.last_change = impl_->clock->Now();
  impl_->PutBankRecord(bank, &batch);
  HW_RETURN_IF_ERROR(impl_->Write(&batch, "remove entries"));
  impl_->CommitBank(bank);
  {
    absl::MutexLock lock(&impl_->mu);
    for (uint64_t id : removed_ids) impl_->disabled.erase(id);
  }
  impl_->IndexRemove(removed_ids);  // no-op for exact hashes
  if (impl_->own_index != nullptr) {
    for (uint64_t id : removed_own) impl_->own_index->Remove(id);
  }
  return result;
}

absl::StatusOr<BankEntry> BankStore::DisableEntry(absl::string_view bank_name,
                                                  SignalType signal,
                                                  absl::string_view value,
                                                  absl::Time until) {
  HW_ASSIGN_OR_RETURN(std::string canonical, CanonicalHashValue(signal, value));
  BankWriteLock lock;
  HW_ASSIGN_OR_RETURN(Bank bank, impl_->LockBank(bank_name, &lock));
  HW_ASSIGN_OR_RETURN(std::optional<uint64_t> found,
                      impl_->GetId(ValueKey(bank.id, signal, canonical)));
  if (!found.has_value()) {
    return absl::NotFoundError(
        absl::StrFormat("bank_store: bank \"%s\" has no %s %s", bank.name,
                        SignalTypeName(signal), canonical));
  }
  const uint64_t id = *found;
  HW_ASSIGN_OR_RETURN(std::optional<std::string> rec,
                      impl_->Get(impl_->entries_cf, BigEndianKey(id)));
  if (!rec) return absl::DataLossError("bank_store: entry record missing");
  HW_ASSIGN_OR_RETURN(BankEntry e, DecodeEntry(id, *rec));
  until = MicrosToTime(TimeToMicros(until));  // what the record holds
  e.disabled_until = until;
  rocksdb::WriteBatch batch;
  batch.Put(impl_->entries_cf, BigEndianKey(id), EncodeEntry(e));
  if (until == absl::InfinitePast()) {
    batch.Delete(impl_->disabled_cf, BigEndianKey(id));
  } else {
    batch.Put(impl_->disabled_cf, BigEndianKey(id), DisabledValue(until));
  }
  bank.last_change = impl_->clock->Now();
  impl_->PutBankRecord(bank, &batch);
  HW_RETURN_IF_ERROR(impl_->Write(&batch, "disable entry"));
  impl_->CommitBank(bank);
  impl_->SetDisabled({{id, until}});
  e.bank = bank.name;
  return e;
}

absl::Status BankStore::ForEachEntry(
    absl::string_view bank_name,
    const std::function<absl::Status(const BankEntry&)>& visit) const {
  HW_ASSIGN_OR_RETURN(Bank bank, impl_->FindBank(bank_name));
  const std::string lo = FirstEntryKey(bank.id);
  const std::string hi = EndEntryKey(bank.id);
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(ro, impl_->entries_cf));
  for (it->Seek(lo); it->Valid() && it->key().compare(hi) < 0; it->Next()) {
    HW_ASSIGN_OR_RETURN(
        BankEntry e,
        DecodeEntry(ReadBigEndian(ToView(it->key()), 8), ToView(it->value())));
    e.bank = bank.name;
    HW_RETURN_IF_ERROR(visit(e));
  }
  return FromRocksDb(it->status(), "bank_store", "list entries");
}

absl::StatusOr<BankEntry> BankStore::GetEntry(uint64_t id) const {
  HW_ASSIGN_OR_RETURN(std::optional<std::string> rec,
                      impl_->Get(impl_->entries_cf, BigEndianKey(id)));
  if (!rec)
    return absl::NotFoundError(absl::StrFormat("bank_store: no entry %d", id));
  HW_ASSIGN_OR_RETURN(BankEntry e, DecodeEntry(id, *rec));
  absl::ReaderMutexLock lock(&impl_->mu);
  auto name = impl_->bank_names.find(BankIdOfEntry(id));
  if (name != impl_->bank_names.end()) e.bank = name->second;
  return e;
}

absl::StatusOr<BankStats> BankStore::Stats(absl::string_view bank_name) const {
  HW_ASSIGN_OR_RETURN(Bank bank, impl_->FindBank(bank_name));
  BankStats stats;
  stats.bank = bank.name;
  stats.last_change = bank.last_change;
  const std::string prefix = BankPrefix(bank.id);
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->stats_cf));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    const absl::string_view key = ToView(it->key()).substr(4);
    if (key.empty() || key[0] == 'q' || it->value().size() != 8) continue;
    const int64_t count =
        static_cast<int64_t>(ReadBigEndian(ToView(it->value()), 8));
    if (key[0] == 's') {
      stats.by_signal[std::string(key.substr(1))] = count;
      stats.entries += count;
    } else if (key[0] == 'c') {
      stats.by_category[std::string(key.substr(1))] = count;
    } else if (key == "o") {
      stats.own_signatures = count;
    }
  }
  HW_RETURN_IF_ERROR(FromRocksDb(it->status(), "bank_store", "stats"));
  const absl::Time now = impl_->clock->Now();
  absl::ReaderMutexLock lock(&impl_->mu);
  for (const auto& [id, until] : impl_->disabled) {
    if (BankIdOfEntry(id) == bank.id && until > now) ++stats.disabled;
  }
  return stats;
}

absl::StatusOr<std::vector<Match>> BankStore::Impl::MatchIndex(
    const HammingIndex* searched, absl::Span<const PdqHash> queries,
    int radius) const {
  if (radius < 0 || radius > 64) {
    return absl::InvalidArgumentError(
        absl::StrFormat("bank_store: radius is %d, want 0..64", radius));
  }
  if (searched == nullptr) {
    return absl::FailedPreconditionError(
        "bank_store: opened without its PDQ index");
  }
  if (queries.empty()) return std::vector<Match>();
  // The snapshot is taken after the search: ids that an import indexed
  // before making them visible resolve to nothing until it commits.
  std::vector<IndexHit> hits = searched->SearchMany(queries, radius);
  rocksdb::ManagedSnapshot snapshot(db.get());
  return ResolveHits(hits, snapshot.snapshot());
}

absl::StatusOr<std::vector<Match>> BankStore::MatchPdq(
    absl::Span<const PdqHash> queries, int radius) const {
  return impl_->MatchIndex(impl_->index.get(), queries, radius);
}

absl::StatusOr<std::vector<Match>> BankStore::MatchTurnedPdq(
    absl::Span<const PdqHash> queries, int radius) const {
  HW_ASSIGN_OR_RETURN(std::vector<Match> found,
                      impl_->MatchIndex(impl_->turned.get(), queries, radius));
  // A bank whose policy was turned off while this search ran.
  std::erase_if(found, [](const Match& m) { return !m.policy.dihedral; });
  return found;
}

size_t BankStore::TurnedPdqEntries() const {
  return impl_->turned == nullptr ? 0 : impl_->turned->size();
}

absl::StatusOr<std::vector<Match>> BankStore::MatchExact(
    SignalType signal, absl::string_view value) const {
  HW_ASSIGN_OR_RETURN(std::string canonical, CanonicalHashValue(signal, value));
  std::vector<IndexHit> hits;
  rocksdb::ManagedSnapshot snapshot(impl_->db.get());
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.snapshot();
  for (const Bank& bank : ListBanks()) {
    HW_ASSIGN_OR_RETURN(std::optional<uint64_t> found,
                        impl_->GetId(ValueKey(bank.id, signal, canonical), ro));
    if (found.has_value()) hits.push_back({*found, 0, 0});
  }
  return impl_->ResolveHits(hits, snapshot.snapshot());
}

absl::Status BankStore::AddOwnSignature(absl::string_view bank_name,
                                        absl::string_view sha256_hex,
                                        const OwnSignature& signature) {
  HW_ASSIGN_OR_RETURN(std::string canonical,
                      CanonicalHashValue(SignalType::kSha256, sha256_hex));
  if (signature.features.empty()) {
    return absl::InvalidArgumentError(
        "bank_store: an own signature with no features");
  }
  // What is stored must load again (Open fails on a record that does not
  // parse), and the index holds what a reopened store would: the parsed
  // bytes, positions rounded to 1/16 pixel.
  const std::string bytes = signature.Serialize();
  absl::StatusOr<OwnSignature> parsed = OwnSignature::Parse(bytes);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("bank_store: own signature does not serialise: ",
                     parsed.status().message()));
  }
  BankWriteLock lock;
  HW_ASSIGN_OR_RETURN(Bank bank, impl_->LockBank(bank_name, &lock));
  HW_ASSIGN_OR_RETURN(
      std::optional<uint64_t> found,
      impl_->GetId(ValueKey(bank.id, SignalType::kSha256, canonical)));
  if (!found.has_value()) {
    return absl::NotFoundError(absl::StrFormat(
        "bank_store: bank \"%s\" has no sha256 %s", bank.name, canonical));
  }
  const std::string key = BigEndianKey(*found);
  HW_ASSIGN_OR_RETURN(std::optional<std::string> old,
                      impl_->Get(impl_->own_cf, key));
  if (old.has_value() && *old == bytes) {
    // Stored already; the index holds it (loaded at open, or added below).
    return absl::OkStatus();
  }
  rocksdb::WriteBatch batch;
  batch.Put(impl_->own_cf, key, bytes);
  if (!old.has_value()) {
    HW_RETURN_IF_ERROR(
        impl_->ApplyCounters({{OwnStatKey(bank.id), 1}}, &batch));
  }
  bank.last_change = impl_->clock->Now();
  impl_->PutBankRecord(bank, &batch);
  HW_RETURN_IF_ERROR(impl_->Write(&batch, "add own signature"));
  impl_->CommitBank(bank);
  if (impl_->own_index != nullptr) {
    // Cannot fail: the signature has features (checked above).
    HW_RETURN_IF_ERROR(impl_->own_index->Add(*found, *parsed));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> BankStore::HasOwnSignature(
    absl::string_view bank_name, absl::string_view sha256_hex) const {
  HW_ASSIGN_OR_RETURN(std::string canonical,
                      CanonicalHashValue(SignalType::kSha256, sha256_hex));
  HW_ASSIGN_OR_RETURN(Bank bank, impl_->FindBank(bank_name));
  rocksdb::ManagedSnapshot snapshot(impl_->db.get());
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.snapshot();
  HW_ASSIGN_OR_RETURN(
      std::optional<uint64_t> found,
      impl_->GetId(ValueKey(bank.id, SignalType::kSha256, canonical), ro));
  if (!found.has_value()) return false;
  HW_ASSIGN_OR_RETURN(std::optional<std::string> own,
                      impl_->Get(impl_->own_cf, BigEndianKey(*found), ro));
  return own.has_value();
}

absl::StatusOr<std::vector<Match>> BankStore::MatchOwn(
    const OwnSignature& query) const {
  if (impl_->own_index == nullptr) {
    return absl::FailedPreconditionError(
        "bank_store: opened without its own-material index");
  }
  if (query.features.empty()) return std::vector<Match>();
  std::vector<OwnMatch> found = impl_->own_index->Search(query);
  // As MatchPdq: the snapshot after the search, so that an id whose entry
  // was removed meanwhile resolves to nothing.
  rocksdb::ManagedSnapshot snapshot(impl_->db.get());
  std::vector<IndexHit> hits;
  absl::flat_hash_map<uint64_t, int> inliers;
  for (const OwnMatch& m : found) {
    if (!IsOwnMatch(m.verification, impl_->options.own_index.match)) continue;
    hits.push_back({m.id, 0, 0});
    inliers[m.id] = m.verification.inliers;
  }
  HW_ASSIGN_OR_RETURN(std::vector<Match> out,
                      impl_->ResolveHits(hits, snapshot.snapshot()));
  for (Match& m : out) {
    m.distance = m.policy.review_distance;
    m.variant = 0;
    m.path_kind = PathKind::kLocalFeatures;
    m.path = "local features";
    m.own_inliers = inliers[m.entry.id];
  }
  return out;
}

size_t BankStore::OwnSignatureCount() const {
  return impl_->own_index == nullptr ? 0 : impl_->own_index->size();
}
size_t BankStore::OwnIndexMemoryBytes() const {
  return impl_->own_index == nullptr ? 0 : impl_->own_index->MemoryBytes();
}

size_t BankStore::IndexedPdqEntries() const {
  return impl_->index == nullptr ? 0 : impl_->index->size();
}
size_t BankStore::IndexMemoryBytes() const {
  return impl_->index == nullptr ? 0 : impl_->index->MemoryBytes();
}

}  // namespace hashwatch::matcher
