#include "matcher/bank_store.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "common/rocksdb_options.h"
#include "common/rocksdb_status.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"

namespace hashwatch::matcher {
namespace {

// Column families and key layouts. Integers are big-endian so that keys sort
// numerically; an entry id is (bank id << 40) | sequence, so one bank's
// entries are one contiguous key range.
//
//   banks:   bank name                              -> bank record (JSON)
//   entries: entry id (u64)                         -> entry record (JSON)
//   values:  bank id (u32) | signal (u8) | hex      -> entry id (u64)
//   pdq:     entry id (u64)                         -> 32 hash bytes (words
//            0..15, little-endian)
//   disabled: entry id (u64)                        -> disabled_until (i64
//            unix µs); only entries disabled at some point
//   stats:   bank id (u32) | 's' | signal name      -> count (i64)
//            bank id (u32) | 'c' | category         -> count (i64)
//            bank id (u32) | 'q'                    -> next sequence (u64)
//   default: "next_bank_id"                         -> u32
//
// The pdq and disabled families duplicate what matching needs in memory, so
// start-up reads fixed-size values instead of parsing every entry record.
constexpr char kBanksCf[] = "banks";
constexpr char kEntriesCf[] = "entries";
constexpr char kValuesCf[] = "values";
constexpr char kPdqCf[] = "pdq";
constexpr char kStatsCf[] = "stats";
constexpr char kDisabledCf[] = "disabled";
constexpr char kNextBankIdKey[] = "next_bank_id";
constexpr int kSeqBits = 40;
constexpr uint64_t kMaxSeq = (uint64_t{1} << kSeqBits) - 1;

absl::string_view View(const rocksdb::Slice& s) {
  return absl::string_view(s.data(), s.size());
}

void PutBigEndian(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
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

std::string ValueKey(uint32_t bank_id, SignalType signal, absl::string_view hex) {
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
std::string SeqKey(uint32_t bank_id) { return absl::StrCat(BankPrefix(bank_id), "q"); }

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
    h.words[i] = static_cast<uint16_t>(static_cast<uint8_t>(v[2 * i]) |
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
  nlohmann::json j = nlohmann::json::parse(data, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::DataLossError("bank_store: bank record is not valid JSON");
  }
  Bank b;
  b.id = j.value("id", 0u);
  b.name = j.value("name", "");
  b.kind = j.value("kind", "match") == "allow" ? BankKind::kAllow : BankKind::kMatch;
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
  if (e.disabled_until != absl::InfinitePast()) j["d"] = ToMicros(e.disabled_until);
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

// Validates an entry's fields other than the hash.
absl::Status ValidateEntryFields(const NewEntry& e) {
  if (e.category.size() > 64) {
    return absl::InvalidArgumentError("category is over 64 characters");
  }
  if (e.source.size() > 1024 || e.note.size() > 4096) {
    return absl::InvalidArgumentError("source or note is too long (1 KiB / 4 KiB)");
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

}  // namespace

struct BankStore::Impl {
  BankStoreOptions options;
  Clock* clock = nullptr;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::ColumnFamilyHandle* banks_cf = nullptr;
  rocksdb::ColumnFamilyHandle* entries_cf = nullptr;
  rocksdb::ColumnFamilyHandle* values_cf = nullptr;
  rocksdb::ColumnFamilyHandle* pdq_cf = nullptr;
  rocksdb::ColumnFamilyHandle* stats_cf = nullptr;
  rocksdb::ColumnFamilyHandle* disabled_cf = nullptr;
  rocksdb::WriteOptions write_options;
  std::unique_ptr<HammingIndex> index;

  // Serialises writers; held for a whole read-modify-write of a batch.
  absl::Mutex write_mu;
  uint32_t next_bank_id ABSL_GUARDED_BY(write_mu) = 1;

  // Guards the in-memory view of the banks and of disabled entries (few:
  // each was disabled by hand).
  mutable absl::Mutex mu;
  std::map<std::string, Bank, std::less<>> banks ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<uint32_t, std::string> bank_names ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<uint64_t, absl::Time> disabled ABSL_GUARDED_BY(mu);

  ~Impl() {
    if (db) {
      for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
      db->Close().PermitUncheckedError();
    }
  }

  absl::Status Write(rocksdb::WriteBatch* batch, absl::string_view what) {
    return FromRocksDb(db->Write(write_options, batch), "bank_store", what);
  }

  absl::StatusOr<std::optional<std::string>> Get(rocksdb::ColumnFamilyHandle* cf,
                                                 absl::string_view key) const {
    std::string value;
    rocksdb::Status s =
        db->Get(rocksdb::ReadOptions(), cf, rocksdb::Slice(key.data(), key.size()), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    HW_RETURN_IF_ERROR(FromRocksDb(s, "bank_store", "read"));
    return std::optional<std::string>(std::move(value));
  }

  // Reads an entry id stored under `key` in the values family.
  absl::StatusOr<std::optional<uint64_t>> GetId(absl::string_view key) const {
    HW_ASSIGN_OR_RETURN(std::optional<std::string> raw, Get(values_cf, key));
    if (!raw.has_value()) return std::optional<uint64_t>();
    if (raw->size() != 8) {
      return absl::DataLossError("bank_store: malformed value index record");
    }
    return std::optional<uint64_t>(GetBigEndian(*raw, 8));
  }

  absl::StatusOr<Bank> FindBank(absl::string_view name) const {
    absl::ReaderMutexLock lock(&mu);
    auto it = banks.find(name);
    if (it == banks.end()) {
      return absl::NotFoundError(absl::StrFormat("bank_store: no bank named \"%s\"", name));
    }
    return it->second;
  }

  // Applies counter deltas (stats family) into `batch`: reads the stored
  // value, adds, and writes or deletes. Caller holds write_mu.
  absl::Status ApplyCounters(const std::map<std::string, int64_t>& deltas,
                             rocksdb::WriteBatch* batch) {
    for (const auto& [key, delta] : deltas) {
      if (delta == 0) continue;
      HW_ASSIGN_OR_RETURN(std::optional<std::string> cur, Get(stats_cf, key));
      int64_t v = cur && cur->size() == 8 ? static_cast<int64_t>(GetBigEndian(*cur, 8)) : 0;
      v += delta;
      if (v <= 0) {
        batch->Delete(stats_cf, key);
      } else {
        batch->Put(stats_cf, key, U64Key(static_cast<uint64_t>(v)));
      }
    }
    return absl::OkStatus();
  }

  void PutBankRecord(const Bank& b, rocksdb::WriteBatch* batch) {
    batch->Put(banks_cf, b.name, EncodeBank(b));
  }

  void CommitBank(const Bank& b) {
    absl::MutexLock lock(&mu);
    banks[b.name] = b;
    bank_names[b.id] = b.name;
  }

  absl::Status LoadAll() {
    // Banks.
    {
      std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), banks_cf));
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        HW_ASSIGN_OR_RETURN(Bank b, DecodeBank(View(it->value())));
        CommitBank(b);
      }
      HW_RETURN_IF_ERROR(FromRocksDb(it->status(), "bank_store", "load banks"));
    }
    {
      HW_ASSIGN_OR_RETURN(std::optional<std::string> next,
                          Get(db->DefaultColumnFamily(), kNextBankIdKey));
      absl::MutexLock lock(&write_mu);
      if (next && next->size() == 4) next_bank_id = static_cast<uint32_t>(GetBigEndian(*next, 4));
    }
    {
      std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), disabled_cf));
      absl::MutexLock lock(&mu);
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        if (it->key().size() != 8 || it->value().size() != 8) {
          return absl::DataLossError("bank_store: malformed disabled record");
        }
        disabled[GetBigEndian(View(it->key()), 8)] =
            FromMicros(static_cast<int64_t>(GetBigEndian(View(it->value()), 8)));
      }
      HW_RETURN_IF_ERROR(FromRocksDb(it->status(), "bank_store", "load disabled entries"));
    }
    // PDQ entries into the index.
    rocksdb::ReadOptions ro;
    ro.fill_cache = false;
    ro.readahead_size = 4 << 20;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, pdq_cf));
    std::vector<std::pair<uint64_t, PdqHash>> entries;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const rocksdb::Slice k = it->key();
      std::optional<PdqHash> parsed = ParsePdqValue(View(it->value()));
      if (k.size() != 8 || !parsed.has_value()) {
        return absl::DataLossError("bank_store: malformed pdq index record");
      }
      entries.emplace_back(GetBigEndian(View(k), 8), *parsed);
    }
    HW_RETURN_IF_ERROR(FromRocksDb(it->status(), "bank_store", "load pdq entries"));
    index->BulkLoad(entries);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<Match>> ResolveHits(const std::vector<IndexHit>& hits) const {
    std::vector<Match> out;
    const absl::Time now = clock->Now();
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
      HW_ASSIGN_OR_RETURN(std::optional<std::string> rec, Get(entries_cf, U64Key(hit.id)));
      if (!rec) continue;  // removed meanwhile
      HW_ASSIGN_OR_RETURN(BankEntry entry, DecodeEntry(hit.id, *rec));
      if (entry.DisabledAt(now)) continue;
      entry.bank = bank.name;
      if (entry.category.empty()) entry.category = bank.policy.default_category;
      out.push_back(Match{bank.name, bank.kind, bank.policy, std::move(entry),
                          hit.distance, hit.variant});
    }
    return out;
  }
};

BankStore::BankStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BankStore::~BankStore() = default;

absl::StatusOr<std::unique_ptr<BankStore>> BankStore::Open(
    const BankStoreOptions& options, Clock* clock) {
  if (options.path.empty()) {
    return absl::InvalidArgumentError("bank_store: options.path is empty");
  }
  if (options.max_matches == 0 || options.max_entries_per_write == 0) {
    return absl::InvalidArgumentError(
        "bank_store: max_matches and max_entries_per_write must be > 0");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->clock = clock;
  impl->write_options.sync = options.sync_writes;
  impl->index = NewMihIndex(options.index);

  rocksdb::Options db_options;
  SetCommonDbOptions(&db_options);
  db_options.create_if_missing = options.create_if_missing;
  rocksdb::BlockBasedTableOptions table;
  if (options.block_cache_bytes > 0) {
    table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  }
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, cf_options}, {kBanksCf, cf_options},
      {kEntriesCf, cf_options}, {kValuesCf, cf_options},
      {kPdqCf, cf_options}, {kStatsCf, cf_options}, {kDisabledCf, cf_options}};
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
  HW_RETURN_IF_ERROR(impl->LoadAll());
  return std::unique_ptr<BankStore>(new BankStore(std::move(impl)));
}

absl::StatusOr<Bank> BankStore::CreateBank(absl::string_view name, BankKind kind,
                                           const BankPolicy& policy) {
  HW_RETURN_IF_ERROR(ValidateBankName(name));
  HW_RETURN_IF_ERROR(ValidatePolicy(policy));
  absl::MutexLock write_lock(&impl_->write_mu);
  if (impl_->FindBank(name).ok()) {
    return absl::AlreadyExistsError(
        absl::StrFormat("bank_store: a bank named \"%s\" already exists", name));
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
  PutBigEndian(&next, b.id + 1, 4);
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
  absl::MutexLock write_lock(&impl_->write_mu);
  HW_ASSIGN_OR_RETURN(Bank b, impl_->FindBank(name));
  b.policy = policy;
  b.last_change = impl_->clock->Now();
  rocksdb::WriteBatch batch;
  impl_->PutBankRecord(b, &batch);
  HW_RETURN_IF_ERROR(impl_->Write(&batch, "update policy"));
  impl_->CommitBank(b);
  return b;
}

absl::Status BankStore::DeleteBank(absl::string_view name) {
  absl::MutexLock write_lock(&impl_->write_mu);
  HW_ASSIGN_OR_RETURN(Bank b, impl_->FindBank(name));
  rocksdb::WriteBatch batch;
  const std::string lo = U64Key(uint64_t{b.id} << kSeqBits);
  const std::string hi = U64Key(uint64_t{b.id + 1} << kSeqBits);
  std::vector<uint64_t> pdq_ids;
  {
    std::unique_ptr<rocksdb::Iterator> it(
        impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->pdq_cf));
    for (it->Seek(lo); it->Valid() && it->key().compare(hi) < 0; it->Next()) {
      pdq_ids.push_back(GetBigEndian(View(it->key()), 8));
    }
    HW_RETURN_IF_ERROR(FromRocksDb(it->status(), "bank_store", "delete bank"));
  }
  const std::string prefix = BankPrefix(b.id);
  const std::string prefix_end = BankPrefix(b.id + 1);
  batch.DeleteRange(impl_->entries_cf, lo, hi);
  batch.DeleteRange(impl_->pdq_cf, lo, hi);
  batch.DeleteRange(impl_->disabled_cf, lo, hi);
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
  for (uint64_t id : pdq_ids) impl_->index->Remove(id);
  return absl::OkStatus();
}

absl::StatusOr<WriteResult> BankStore::AddEntries(absl::string_view bank_name,
                                                  absl::Span<const NewEntry> entries) {
  if (entries.size() > impl_->options.max_entries_per_write) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "bank_store: %d entries in one write, over the limit of %d; split the list",
        entries.size(), impl_->options.max_entries_per_write));
  }
  // Validate everything before taking the lock or writing anything.
  std::vector<std::string> values(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    absl::StatusOr<std::string> v = CanonicalHashValue(entries[i].signal, entries[i].value);
    absl::Status s = v.ok() ? ValidateEntryFields(entries[i]) : v.status();
    if (!s.ok()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "bank_store: entry %d: %s", i + 1, absl::StripPrefix(s.message(), "bank: ")));
    }
    values[i] = *std::move(v);
  }

  absl::MutexLock write_lock(&impl_->write_mu);
  HW_ASSIGN_OR_RETURN(Bank bank, impl_->FindBank(bank_name));
  const absl::Time now = impl_->clock->Now();
  HW_ASSIGN_OR_RETURN(std::optional<std::string> seq_raw,
                      impl_->Get(impl_->stats_cf, SeqKey(bank.id)));
  uint64_t seq = 1;
  if (seq_raw.has_value() && seq_raw->size() == 8) seq = GetBigEndian(*seq_raw, 8);

  rocksdb::WriteBatch batch;
  WriteResult result;
  std::map<std::string, int64_t> counters;
  // Value key -> entry written earlier in this batch (duplicates in a list).
  absl::flat_hash_map<std::string, BankEntry> pending;
  std::vector<std::pair<uint64_t, PdqHash>> index_adds;
  for (size_t i = 0; i < entries.size(); ++i) {
    const NewEntry& in = entries[i];
    const std::string vkey = ValueKey(bank.id, in.signal, values[i]);
    std::optional<BankEntry> existing;
    if (auto p = pending.find(vkey); p != pending.end()) {
      existing = p->second;
    } else {
      HW_ASSIGN_OR_RETURN(std::optional<uint64_t> found, impl_->GetId(vkey));
      if (found.has_value()) {
        const uint64_t id = *found;
        HW_ASSIGN_OR_RETURN(std::optional<std::string> rec,
                            impl_->Get(impl_->entries_cf, U64Key(id)));
        if (!rec) {
          return absl::DataLossError(absl::StrFormat(
              "bank_store: value index names entry %d, which is missing", id));
        }
        HW_ASSIGN_OR_RETURN(BankEntry e, DecodeEntry(id, *rec));
        existing = std::move(e);
      }
    }
    BankEntry e;
    if (existing) {
      e = *existing;
      if (e.category == in.category && e.source == in.source && e.note == in.note &&
          e.metadata_json == in.metadata_json) {
        ++result.unchanged;
        continue;
      }
      if (e.category != in.category) {
        --counters[CategoryStatKey(bank.id, e.category)];
        ++counters[CategoryStatKey(bank.id, in.category)];
      }
      ++result.updated;
    } else {
      if (seq > kMaxSeq) {
        return absl::ResourceExhaustedError("bank_store: bank has used all entry ids");
      }
      e.id = (uint64_t{bank.id} << kSeqBits) | seq++;
      e.signal = in.signal;
      e.value = values[i];
      e.added = now;
      batch.Put(impl_->values_cf, vkey, U64Key(e.id));
      ++counters[SignalStatKey(bank.id, in.signal)];
      ++counters[CategoryStatKey(bank.id, in.category)];
      if (in.signal == SignalType::kPdq) {
        absl::StatusOr<PdqHash> h = PdqHash::FromHex(e.value);
        HW_CHECK(h.ok(), "canonical pdq value must parse");
        batch.Put(impl_->pdq_cf, U64Key(e.id), PdqValue(*h));
        index_adds.emplace_back(e.id, *h);
      }
      ++result.added;
    }
    e.category = in.category;
    e.source = in.source;
    e.note = in.note;
    e.metadata_json = in.metadata_json;
    batch.Put(impl_->entries_cf, U64Key(e.id), EncodeEntry(e));
    pending[vkey] = e;
  }
  if (result.added == 0 && result.updated == 0) return result;
  std::string seq_value;
  PutBigEndian(&seq_value, seq, 8);
  batch.Put(impl_->stats_cf, SeqKey(bank.id), seq_value);
  HW_RETURN_IF_ERROR(impl_->ApplyCounters(counters, &batch));
  bank.last_change = now;
  impl_->PutBankRecord(bank, &batch);
  HW_RETURN_IF_ERROR(impl_->Write(&batch, "add entries"));
  impl_->CommitBank(bank);
  for (const auto& [id, h] : index_adds) impl_->index->Upsert(id, h);
  return result;
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
    absl::StatusOr<std::string> v = CanonicalHashValue(values[i].first, values[i].second);
    if (!v.ok()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "bank_store: entry %d: %s", i + 1,
          absl::StripPrefix(v.status().message(), "bank: ")));
    }
    canonical[i] = *std::move(v);
  }
  absl::MutexLock write_lock(&impl_->write_mu);
  HW_ASSIGN_OR_RETURN(Bank bank, impl_->FindBank(bank_name));
  rocksdb::WriteBatch batch;
  WriteResult result;
  std::map<std::string, int64_t> counters;
  std::vector<uint64_t> removed_ids;
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
    HW_ASSIGN_OR_RETURN(std::optional<std::string> rec, impl_->Get(impl_->entries_cf, U64Key(id)));
    std::string category;
    if (rec) {
      HW_ASSIGN_OR_RETURN(BankEntry e, DecodeEntry(id, *rec));
      category = e.category;
    }
    batch.Delete(impl_->values_cf, vkey);
    batch.Delete(impl_->entries_cf, U64Key(id));
    batch.Delete(impl_->disabled_cf, U64Key(id));
    if (values[i].first == SignalType::kPdq) batch.Delete(impl_->pdq_cf, U64Key(id));
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
  for (uint64_t id : removed_ids) impl_->index->Remove(id);  // no-op for exact hashes
  return result;
}

absl::StatusOr<BankEntry> BankStore::DisableEntry(absl::string_view bank_name,
                                                  SignalType signal,
                                                  absl::string_view value,
                                                  absl::Time until) {
  HW_ASSIGN_OR_RETURN(std::string canonical, CanonicalHashValue(signal, value));
  absl::MutexLock write_lock(&impl_->write_mu);
  HW_ASSIGN_OR_RETURN(Bank bank, impl_->FindBank(bank_name));
  HW_ASSIGN_OR_RETURN(std::optional<uint64_t> found,
                      impl_->GetId(ValueKey(bank.id, signal, canonical)));
  if (!found.has_value()) {
    return absl::NotFoundError(absl::StrFormat("bank_store: bank \"%s\" has no %s %s",
                                               bank.name, SignalTypeName(signal), canonical));
  }
  const uint64_t id = *found;
  HW_ASSIGN_OR_RETURN(std::optional<std::string> rec, impl_->Get(impl_->entries_cf, U64Key(id)));
  if (!rec) return absl::DataLossError("bank_store: entry record missing");
  HW_ASSIGN_OR_RETURN(BankEntry e, DecodeEntry(id, *rec));
  e.disabled_until = until;
  rocksdb::WriteBatch batch;
  batch.Put(impl_->entries_cf, U64Key(id), EncodeEntry(e));
  if (until == absl::InfinitePast()) {
    batch.Delete(impl_->disabled_cf, U64Key(id));
  } else {
    batch.Put(impl_->disabled_cf, U64Key(id), U64Key(static_cast<uint64_t>(ToMicros(until))));
  }
  bank.last_change = impl_->clock->Now();
  impl_->PutBankRecord(bank, &batch);
  HW_RETURN_IF_ERROR(impl_->Write(&batch, "disable entry"));
  impl_->CommitBank(bank);
  {
    absl::MutexLock lock(&impl_->mu);
    if (until == absl::InfinitePast()) {
      impl_->disabled.erase(id);
    } else {
      impl_->disabled[id] = until;
    }
  }
  e.bank = bank.name;
  return e;
}

absl::Status BankStore::ForEachEntry(
    absl::string_view bank_name,
    const std::function<absl::Status(const BankEntry&)>& visit) const {
  HW_ASSIGN_OR_RETURN(Bank bank, impl_->FindBank(bank_name));
  const std::string lo = U64Key(uint64_t{bank.id} << kSeqBits);
  const std::string hi = U64Key(uint64_t{bank.id + 1} << kSeqBits);
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro, impl_->entries_cf));
  for (it->Seek(lo); it->Valid() && it->key().compare(hi) < 0; it->Next()) {
    HW_ASSIGN_OR_RETURN(BankEntry e, DecodeEntry(GetBigEndian(View(it->key()), 8),
                                                 View(it->value())));
    e.bank = bank.name;
    HW_RETURN_IF_ERROR(visit(e));
  }
  return FromRocksDb(it->status(), "bank_store", "list entries");
}

absl::StatusOr<BankEntry> BankStore::GetEntry(uint64_t id) const {
  HW_ASSIGN_OR_RETURN(std::optional<std::string> rec, impl_->Get(impl_->entries_cf, U64Key(id)));
  if (!rec) return absl::NotFoundError(absl::StrFormat("bank_store: no entry %d", id));
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
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    const absl::string_view key = View(it->key()).substr(4);
    if (key.empty() || key[0] == 'q' || it->value().size() != 8) continue;
    const int64_t count = static_cast<int64_t>(GetBigEndian(View(it->value()), 8));
    if (key[0] == 's') {
      stats.by_signal[std::string(key.substr(1))] = count;
      stats.entries += count;
    } else if (key[0] == 'c') {
      stats.by_category[std::string(key.substr(1))] = count;
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

absl::StatusOr<std::vector<Match>> BankStore::MatchPdq(absl::Span<const PdqHash> queries,
                                                       int radius) const {
  if (radius < 0 || radius > 64) {
    return absl::InvalidArgumentError(
        absl::StrFormat("bank_store: radius is %d, want 0..64", radius));
  }
  if (queries.empty()) return std::vector<Match>();
  return impl_->ResolveHits(impl_->index->SearchMany(queries, radius));
}

absl::StatusOr<std::vector<Match>> BankStore::MatchExact(SignalType signal,
                                                         absl::string_view value) const {
  HW_ASSIGN_OR_RETURN(std::string canonical, CanonicalHashValue(signal, value));
  std::vector<IndexHit> hits;
  for (const Bank& bank : ListBanks()) {
    HW_ASSIGN_OR_RETURN(std::optional<uint64_t> found,
                        impl_->GetId(ValueKey(bank.id, signal, canonical)));
    if (found.has_value()) hits.push_back({*found, 0, 0});
  }
  return impl_->ResolveHits(hits);
}

size_t BankStore::IndexedPdqEntries() const { return impl_->index->size(); }
size_t BankStore::IndexMemoryBytes() const { return impl_->index->MemoryBytes(); }

}  // namespace hashwatch::matcher
