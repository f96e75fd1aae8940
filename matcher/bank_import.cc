// BankImport: streamed adds into one bank. See bank_store.h.
//
// Up to options.import_memory_entries the entries are kept in memory and
// written as one batch (BankStore::Impl::AddBatch). Beyond that they go to a
// staging database of their own (no WAL, no compactions: a crash loses it,
// which is the point) and Commit runs two sorted passes:
//
//   1. Add:    by_value[signal | hex | ordinal]  = fields
//   2. Commit: walk by_value in value order beside the bank's values family
//              (a merge, no random reads): new values get id = first
//              ordinal + the bank's next sequence and go straight to the
//              values table file; every value goes to by_id[id].
//   3. Commit: walk by_id in id order beside the bank's entries family:
//              new entries to the entries and pdq table files; existing ones
//              compared with what is stored, changed ones rewritten; a
//              changed disabled_until also to the disabled table file.
//
// Then the counters and the bank record, and one IngestExternalFiles call
// over all six families (the disabled family only where an entry's state
// changes): RocksDB records it in the MANIFEST atomically, so
// the list is visible whole or not at all, also after a crash, and lives in
// table files rather than in a log to replay.
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/crash_point.h"
#include "common/rocksdb_options.h"
#include "common/rocksdb_slice.h"
#include "common/rocksdb_status.h"
#include "common/status_macros.h"
#include "matcher/bank_store.h"
#include "matcher/internal/bank_records.h"
#include "matcher/internal/bank_store_impl.h"
#include "rocksdb/db.h"
#include "rocksdb/memtablerep.h"
#include "rocksdb/snapshot.h"
#include "rocksdb/sst_file_writer.h"
#include "rocksdb/write_batch.h"

namespace hashwatch::matcher {
namespace {

using namespace internal;  // NOLINT: the store's own layout helpers

// Staging puts per (WAL-less) write batch.
constexpr size_t kStagingBatch = 4096;
// A progress line every this many staged entries.
constexpr size_t kProgressEvery = 250'000;

void PutField(std::string* out, absl::string_view s) {
  AppendBigEndian(out, s.size(), 4);
  out->append(s.data(), s.size());
}

bool GetField(absl::string_view* in, std::string* out) {
  if (in->size() < 4) return false;
  const uint64_t n = ReadBigEndian(*in, 4);
  if (in->size() < 4 + n) return false;
  out->assign(in->data() + 4, n);
  in->remove_prefix(4 + n);
  return true;
}

// A staged entry's fields: four length-prefixed strings, then 'd' and the
// disabled_until (ToMicros, 8 bytes) when the entry gives one, else '-'.
void PutFields(std::string* out, const NewEntry& e) {
  PutField(out, e.category);
  PutField(out, e.source);
  PutField(out, e.note);
  PutField(out, e.metadata_json);
  if (e.disabled_until.has_value()) {
    out->push_back('d');
    AppendBigEndian(out, static_cast<uint64_t>(TimeToMicros(*e.disabled_until)),
                    8);
  } else {
    out->push_back('-');
  }
}

bool GetFields(absl::string_view* in, NewEntry* e) {
  if (!GetField(in, &e->category) || !GetField(in, &e->source) ||
      !GetField(in, &e->note) || !GetField(in, &e->metadata_json) ||
      in->empty()) {
    return false;
  }
  const char state = (*in)[0];
  in->remove_prefix(1);
  e->disabled_until.reset();
  if (state == '-') return true;
  if (state != 'd' || in->size() < 8) return false;
  e->disabled_until = MicrosToTime(static_cast<int64_t>(ReadBigEndian(*in, 8)));
  in->remove_prefix(8);
  return true;
}

absl::Status Corrupt(absl::string_view what) {
  return absl::InternalError(
      absl::StrCat("bank_import: staged record is malformed (", what, ")"));
}

// One table file being written for one column family; opened on the first
// key, so families without changes get no file.
class TableFile {
 public:
  TableFile(const rocksdb::Options& options, rocksdb::ColumnFamilyHandle* cf,
            std::string path)
      : writer_(rocksdb::EnvOptions(), options, cf),
        cf_(cf),
        path_(std::move(path)) {}

  absl::Status Put(absl::string_view key, absl::string_view value) {
    HW_RETURN_IF_ERROR(OpenOnce());
    return FromRocksDb(writer_.Put(rocksdb::Slice(key.data(), key.size()),
                                   rocksdb::Slice(value.data(), value.size())),
                       "bank_import", "write table file");
  }
  absl::Status Delete(absl::string_view key) {
    HW_RETURN_IF_ERROR(OpenOnce());
    return FromRocksDb(writer_.Delete(rocksdb::Slice(key.data(), key.size())),
                       "bank_import", "write table file");
  }
  // Finishes (and syncs) the file; adds it to `args` when it has keys.
  absl::Status Finish(std::vector<rocksdb::IngestExternalFileArg>* args) {
    if (!open_) return absl::OkStatus();
    HW_RETURN_IF_ERROR(
        FromRocksDb(writer_.Finish(), "bank_import", "finish table file"));
    rocksdb::IngestExternalFileArg arg;
    arg.column_family = cf_;
    arg.external_files = {path_};
    arg.options.move_files = true;  // hard links: no copy
    args->push_back(std::move(arg));
    return absl::OkStatus();
  }

 private:
  absl::Status OpenOnce() {
    if (open_) return absl::OkStatus();
    open_ = true;
    return FromRocksDb(writer_.Open(path_), "bank_import",
                       absl::StrCat("create ", path_));
  }

  rocksdb::SstFileWriter writer_;
  rocksdb::ColumnFamilyHandle* cf_;
  std::string path_;
  bool open_ = false;
};

}  // namespace

// The staging database of one import, deleted with it.
class BankImport::Staging {
 public:
  static absl::StatusOr<std::unique_ptr<Staging>> Create(
      const std::string& root) {
    static std::atomic<uint64_t> counter{0};
    auto s = std::unique_ptr<Staging>(new Staging());
    s->dir_ = absl::StrCat(root, "/", getpid(), "-", counter.fetch_add(1), "-",
                           absl::ToUnixNanos(absl::Now()));
    std::error_code ec;
    std::filesystem::create_directories(s->dir_, ec);
    if (ec) {
      return absl::UnavailableError(absl::StrCat("bank_import: cannot create ",
                                                 s->dir_, ": ", ec.message()));
    }
    rocksdb::Options options;
    SetCommonDbOptions(&options);
    options.create_if_missing = true;
    // Sorting space only: uncompressed, flushed in 32 MB runs (at most two
    // memtables per family in memory), never compacted; the passes merge
    // the runs as they read.
    options.compression = rocksdb::kNoCompression;
    // Appended unsorted and sorted once per flush: a skip list's random
    // inserts were a third of an import's time.
    options.memtable_factory.reset(new rocksdb::VectorRepFactory());
    options.allow_concurrent_memtable_write = false;
    options.write_buffer_size = 32 << 20;
    options.max_write_buffer_number = 2;
    options.disable_auto_compactions = true;
    options.level0_file_num_compaction_trigger = 1 << 30;
    options.level0_slowdown_writes_trigger = 1 << 30;
    options.level0_stop_writes_trigger = 1 << 30;
    options.soft_pending_compaction_bytes_limit = 0;
    options.hard_pending_compaction_bytes_limit = 0;
    rocksdb::ColumnFamilyOptions cf(options);
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
        {rocksdb::kDefaultColumnFamilyName, cf},
        {"by_value", cf},
        {"by_id", cf}};
    rocksdb::DB* raw = nullptr;
    HW_RETURN_IF_ERROR(FromRocksDb(
        rocksdb::DB::Open(options, s->dir_ + "/db", cfs, &s->handles_, &raw),
        "bank_import", absl::StrCat("open staging ", s->dir_)));
    s->db_.reset(raw);
    s->write_options_.disableWAL = true;
    return s;
  }

  ~Staging() {
    if (db_) {
      for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
      db_->Close().PermitUncheckedError();
      db_.reset();
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  const std::string& dir() const { return dir_; }
  rocksdb::ColumnFamilyHandle* by_value() const { return handles_[1]; }
  rocksdb::ColumnFamilyHandle* by_id() const { return handles_[2]; }

  absl::Status Put(rocksdb::ColumnFamilyHandle* cf, absl::string_view key,
                   absl::string_view value) {
    rocksdb::Status s = batch_.Put(cf, rocksdb::Slice(key.data(), key.size()),
                                   rocksdb::Slice(value.data(), value.size()));
    HW_RETURN_IF_ERROR(FromRocksDb(s, "bank_import", "stage"));
    return batch_.Count() >= kStagingBatch ? Flush() : absl::OkStatus();
  }
  absl::Status Flush() {
    if (batch_.Count() == 0) return absl::OkStatus();
    rocksdb::Status s = db_->Write(write_options_, &batch_);
    batch_.Clear();
    return FromRocksDb(s, "bank_import", "stage");
  }
  // Everything staged in `cf`, sorted and flushed, read in key order.
  std::unique_ptr<rocksdb::Iterator> Scan(rocksdb::ColumnFamilyHandle* cf) {
    rocksdb::Status flushed = db_->Flush(rocksdb::FlushOptions(), cf);
    if (!flushed.ok()) {
      return std::unique_ptr<rocksdb::Iterator>(
          rocksdb::NewErrorIterator(flushed));
    }
    rocksdb::ReadOptions ro;
    ro.fill_cache = false;
    ro.readahead_size = 2 << 20;
    return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(ro, cf));
  }

 private:
  Staging() = default;
  std::string dir_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::WriteOptions write_options_;
  rocksdb::WriteBatch batch_;
};

BankImport::BankImport(BankStore::Impl* store, std::string bank)
    : store_(store), bank_(std::move(bank)) {}

BankImport::~BankImport() = default;

absl::Status BankImport::Add(const NewEntry& entry) {
  if (failed_ || committed_) {
    return absl::FailedPreconditionError(
        "bank_import: this import has failed or is committed");
  }
  auto fail = [this](absl::Status s) {
    failed_ = true;
    return s;
  };
  if (added_ >= store_->options.max_entries_per_import) {
    return fail(absl::ResourceExhaustedError(absl::StrFormat(
        "bank_store: more than %d entries in one import, over the limit; "
        "split the list",
        store_->options.max_entries_per_import)));
  }
  absl::StatusOr<std::string> value =
      CanonicalHashValue(entry.signal, entry.value);
  absl::Status s = value.ok() ? ValidateEntryFields(entry) : value.status();
  if (!s.ok()) {
    return fail(absl::InvalidArgumentError(
        absl::StrFormat("bank_store: entry %d: %s", added_ + 1,
                        absl::StripPrefix(s.message(), "bank: "))));
  }
  const uint64_t ordinal = added_++;
  if (staging_ == nullptr &&
      buffered_.size() < store_->options.import_memory_entries) {
    buffered_.push_back(entry);
    NewEntry& buffered = buffered_.back();
    buffered.value = *std::move(value);
    // As stored (µs), so that a re-import compares equal.
    if (buffered.disabled_until.has_value()) {
      buffered.disabled_until =
          MicrosToTime(TimeToMicros(*buffered.disabled_until));
    }
    return absl::OkStatus();
  }
  if (staging_ == nullptr) {
    absl::StatusOr<std::unique_ptr<Staging>> staging =
        Staging::Create(store_->staging_root);
    if (!staging.ok()) return fail(staging.status());
    staging_ = *std::move(staging);
    std::vector<NewEntry> buffered = std::move(buffered_);
    buffered_.clear();
    buffered_.shrink_to_fit();
    for (size_t i = 0; i < buffered.size(); ++i) {
      if (absl::Status st = Stage(buffered[i], buffered[i].value, i); !st.ok())
        return fail(st);
    }
  }
  if (absl::Status st = Stage(entry, *value, ordinal); !st.ok())
    return fail(st);
  if (progress_ && added_ % kProgressEvery == 0) {
    progress_(absl::StrCat(added_, " entries staged"));
  }
  return absl::OkStatus();
}

absl::Status BankImport::Stage(const NewEntry& entry,
                               absl::string_view canonical, uint64_t ordinal) {
  std::string key;
  key.push_back(static_cast<char>(entry.signal));
  key.append(canonical.data(), canonical.size());
  AppendBigEndian(&key, ordinal, 8);
  std::string fields;
  PutFields(&fields, entry);
  return staging_->Put(staging_->by_value(), key, fields);
}

absl::StatusOr<WriteResult> BankImport::Commit() {
  if (failed_ || committed_) {
    return absl::FailedPreconditionError(
        "bank_import: this import has failed or is committed");
  }
  committed_ = true;
  BankWriteLock lock;
  HW_ASSIGN_OR_RETURN(Bank bank, store_->LockBank(bank_, &lock));
  if (staging_ == nullptr) {
    std::vector<NewEntry> entries = std::move(buffered_);
    return store_->AddBatch(std::move(bank), entries);
  }
  absl::StatusOr<WriteResult> result = CommitStaged(std::move(bank));
  staging_.reset();  // deletes the staging database and any table files left
  return result;
}

absl::StatusOr<WriteResult> BankImport::CommitStaged(Bank bank) {
  BankStore::Impl& db = *store_;
  auto progress = [this](absl::string_view what) {
    if (progress_) progress_(what);
  };
  HW_RETURN_IF_ERROR(staging_->Flush());
  progress(absl::StrCat("merging ", added_, " entries with the bank"));
  rocksdb::ManagedSnapshot snapshot(db.db.get());
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.snapshot();
  ro.fill_cache = false;
  const absl::Time now = db.clock->Now();
  HW_ASSIGN_OR_RETURN(std::optional<std::string> seq_raw,
                      db.Get(db.stats_cf, SeqKey(bank.id), ro));
  uint64_t seq_base = 1;
  if (seq_raw.has_value() && seq_raw->size() == 8)
    seq_base = ReadBigEndian(*seq_raw, 8);
  if (seq_base + added_ > kMaxSeq) {
    return absl::ResourceExhaustedError(
        "bank_store: bank has used all entry ids");
  }
  WriteResult result;
  std::map<std::string, int64_t> counters;
  uint64_t next_seq = seq_base;
  const std::string& dir = staging_->dir();
  const rocksdb::Options sst_options(db.db_options, db.cf_options);
  TableFile values(sst_options, db.values_cf, dir + "/values.sst");
  TableFile entries(sst_options, db.entries_cf, dir + "/entries.sst");
  TableFile pdq(sst_options, db.pdq_cf, dir + "/pdq.sst");
  TableFile stats(sst_options, db.stats_cf, dir + "/stats.sst");
  TableFile banks(sst_options, db.banks_cf, dir + "/banks.sst");
  TableFile disabled(sst_options, db.disabled_cf, dir + "/disabled.sst");

  // Pass 2: values, beside the bank's values family.
  {
    const std::string lo = BankPrefix(bank.id);
    const std::string hi = BankPrefix(bank.id + 1);
    rocksdb::Slice hi_slice(hi);
    rocksdb::ReadOptions bounded = ro;
    bounded.iterate_upper_bound = &hi_slice;
    std::unique_ptr<rocksdb::Iterator> stored(
        db.db->NewIterator(bounded, db.values_cf));
    bool sought = false;
    std::unique_ptr<rocksdb::Iterator> it =
        staging_->Scan(staging_->by_value());
    it->SeekToFirst();
    NewEntry last;
    while (it->Valid()) {
      // One group: every occurrence of one (signal, value), by ordinal.
      const absl::string_view first_key = ToView(it->key());
      if (first_key.size() < 9) return Corrupt("by_value key");
      const std::string group(first_key.substr(0, first_key.size() - 8));
      const uint64_t ordinal = ReadBigEndian(first_key.substr(group.size()), 8);
      size_t occurrences = 0;
      for (; it->Valid() && ToView(it->key()).size() == group.size() + 8 &&
             ToView(it->key()).substr(0, group.size()) == group;
           it->Next()) {
        NewEntry e;
        absl::string_view v = ToView(it->value());
        if (!GetFields(&v, &e)) return Corrupt("by_value fields");
        // A value listed again: one entry with the last line's fields; the
        // other lines count as unchanged.
        if (occurrences++ > 0) ++result.unchanged;
        last = std::move(e);
      }
      HW_RETURN_IF_ERROR(
          FromRocksDb(it->status(), "bank_import", "read staged values"));
      const auto signal = static_cast<SignalType>(group[0]);
      const absl::string_view hex = absl::string_view(group).substr(1);
      const std::string vkey = ValueKey(bank.id, signal, hex);
      if (!sought) {
        stored->Seek(vkey);
        sought = true;
      } else if (stored->Valid() && ToView(stored->key()) < vkey) {
        stored->Seek(vkey);
      }
      HW_RETURN_IF_ERROR(
          FromRocksDb(stored->status(), "bank_import", "read values"));
      std::string record;
      uint64_t id;
      if (stored->Valid() && ToView(stored->key()) == vkey) {
        if (stored->value().size() != 8) {
          return absl::DataLossError(
              "bank_store: malformed value index record");
        }
        id = ReadBigEndian(ToView(stored->value()), 8);
        record.push_back('E');
      } else {
        id = (uint64_t{bank.id} << kSeqBits) | (seq_base + ordinal);
        next_seq = std::max(next_seq, seq_base + ordinal + 1);
        HW_RETURN_IF_ERROR(values.Put(vkey, BigEndianKey(id)));
        record.push_back('N');
        record.push_back(static_cast<char>(signal));
        PutField(&record, hex);
      }
      PutFields(&record, last);
      HW_RETURN_IF_ERROR(
          staging_->Put(staging_->by_id(), BigEndianKey(id), record));
    }
    HW_RETURN_IF_ERROR(staging_->Flush());
  }

  // Pass 3: entries, beside the bank's entries family.
  progress("writing entries");
  std::vector<std::pair<uint64_t, PdqHash>> index_adds;
  std::vector<std::pair<uint64_t, absl::Time>> disabled_states;
  size_t written = 0;
  {
    const std::string hi = EndEntryKey(bank.id);
    rocksdb::Slice hi_slice(hi);
    rocksdb::ReadOptions bounded = ro;
    bounded.iterate_upper_bound = &hi_slice;
    std::unique_ptr<rocksdb::Iterator> stored(
        db.db->NewIterator(bounded, db.entries_cf));
    std::unique_ptr<rocksdb::Iterator> it = staging_->Scan(staging_->by_id());
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const absl::string_view key = ToView(it->key());
      absl::string_view v = ToView(it->value());
      if (key.size() != 8 || v.empty()) return Corrupt("by_id record");
      const uint64_t id = ReadBigEndian(key, 8);
      const char type = v[0];
      v.remove_prefix(1);
      NewEntry in;
      BankEntry e;
      if (type == 'N') {
        if (v.empty()) return Corrupt("by_id signal");
        e.signal = static_cast<SignalType>(v[0]);
        v.remove_prefix(1);
        if (!GetField(&v, &e.value) || !GetFields(&v, &in))
          return Corrupt("by_id fields");
        e.id = id;
        e.added = now;
        ++counters[SignalStatKey(bank.id, e.signal)];
        ++counters[CategoryStatKey(bank.id, in.category)];
        if (e.signal == SignalType::kPdq) {
          absl::StatusOr<PdqHash> h = PdqHash::FromHex(e.value);
          HW_CHECK(h.ok(), "canonical pdq value must parse");
          HW_RETURN_IF_ERROR(pdq.Put(key, PdqValue(*h)));
          if (db.index != nullptr) index_adds.emplace_back(id, *h);
        }
        ++result.added;
      } else if (type == 'E') {
        if (!GetFields(&v, &in)) return Corrupt("by_id fields");
        stored->Seek(rocksdb::Slice(key.data(), key.size()));
        HW_RETURN_IF_ERROR(
            FromRocksDb(stored->status(), "bank_import", "read entries"));
        if (!stored->Valid() || ToView(stored->key()) != key) {
          return absl::DataLossError(absl::StrFormat(
              "bank_store: value index names entry %d, which is missing", id));
        }
        HW_ASSIGN_OR_RETURN(e, DecodeEntry(id, ToView(stored->value())));
        if (!CountUpdate(bank.id, e, in, &counters, &result)) continue;
      } else {
        return Corrupt("by_id type");
      }
      const absl::Time was_disabled_until = e.disabled_until;
      ApplyFields(in, &e);
      if (e.disabled_until != was_disabled_until) {
        HW_RETURN_IF_ERROR(
            e.disabled_until == absl::InfinitePast()
                ? disabled.Delete(key)
                : disabled.Put(key, DisabledValue(e.disabled_until)));
        disabled_states.emplace_back(id, e.disabled_until);
      }
      HW_RETURN_IF_ERROR(entries.Put(key, EncodeEntry(e)));
      ++written;
    }
    HW_RETURN_IF_ERROR(
        FromRocksDb(it->status(), "bank_import", "read staged entries"));
  }
  if (written == 0) return result;

  // The bank's counters and record.
  if (result.added > 0) counters[SeqKey(bank.id)] = 0;  // written below
  for (const auto& [key, delta] : counters) {
    if (key == SeqKey(bank.id)) {
      HW_RETURN_IF_ERROR(stats.Put(key, BigEndianKey(next_seq)));
      continue;
    }
    if (delta == 0) continue;
    HW_ASSIGN_OR_RETURN(std::optional<std::string> cur,
                        db.Get(db.stats_cf, key, ro));
    int64_t value = cur && cur->size() == 8
                        ? static_cast<int64_t>(ReadBigEndian(*cur, 8))
                        : 0;
    value += delta;
    HW_RETURN_IF_ERROR(
        value <= 0
            ? stats.Delete(key)
            : stats.Put(key, BigEndianKey(static_cast<uint64_t>(value))));
  }
  bank.last_change = now;
  HW_RETURN_IF_ERROR(banks.Put(bank.name, EncodeBank(bank)));

  std::vector<rocksdb::IngestExternalFileArg> args;
  for (TableFile* f : {&banks, &entries, &values, &pdq, &stats, &disabled}) {
    HW_RETURN_IF_ERROR(f->Finish(&args));
  }
  CrashPoint("import.files_written");
  progress(absl::StrFormat("making the import visible (%d added, %d updated)",
                           result.added, result.updated));
  // Indexed first: until the ingestion below, searches that find these ids
  // resolve them to nothing (their entries are not there yet).
  db.IndexAdd(bank, index_adds);
  absl::Status ingested = FromRocksDb(db.db->IngestExternalFiles(args),
                                      "bank_store", "ingest the import");
  if (!ingested.ok()) {
    std::vector<uint64_t> ids;
    ids.reserve(index_adds.size());
    for (const auto& [id, h] : index_adds) ids.push_back(id);
    db.IndexRemove(ids);
    return ingested;
  }
  CrashPoint("import.ingested");
  db.CommitBank(bank);
  db.SetDisabled(disabled_states);
  return result;
}

}  // namespace hashwatch::matcher
