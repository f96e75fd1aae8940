#include "review_api/scan_records.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/hash/hash.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/log.h"
#include "common/ordered_key.h"
#include "common/rocksdb_options.h"
#include "common/rocksdb_slice.h"
#include "common/rocksdb_status.h"
#include "common/status_macros.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"

namespace hashwatch::review_api {
namespace {

// Column families:
//  default  content id -> 8-byte big-endian expiry (unix us, kNever = kept)
//           + the answer bytes
//  reveal   8-byte big-endian item id -> preview JPEG
//  expiry   EncodeExpiry(expiry) + content id -> "" for every record with
//           an expiry: exactly one key per such record, none for kept ones
//  meta     kExpiryIndexedKey -> "1" once the expiry family indexes every
//           record (absent in databases written before it existed);
//           kFloodPrefix + entry id -> end of the entry's flood quarantine;
//           kSignaturePrefix + item id -> the item's own-material signature
enum Family { kRecords = 0, kReveal = 1, kExpiry = 2, kMeta = 3 };

constexpr char kComponent[] = "scan_records";
constexpr int64_t kNever = INT64_MAX;  // TimeToMicros(InfiniteFuture)
constexpr char kExpiryIndexedKey[] = "expiry_index_complete";
// meta: kFloodPrefix + 8-byte big-endian bank entry id -> the ordered time
// (common/ordered_key.h) at which its flood quarantine ends.
constexpr absl::string_view kFloodPrefix = "flood/";
// meta: kSignaturePrefix + 8-byte big-endian review item id -> the item's
// own-material signature, until its decision.
constexpr absl::string_view kSignaturePrefix = "own-signature/";
// Expiry keys a purge reads before deleting their records (and records per
// back-fill write): bounds its memory and write batches.
constexpr size_t kBatchRecords = 10'000;
// Content ids are hashed to one of kSlots slots; slot s is locked by stripe
// s % kIdStripes. A purge write holds one stripe: 1/64 of content ids, about
// 150 records. Put counts are kept per slot, finer, so that a purge re-reads
// only the few keys whose slot saw a Put while it ran.
constexpr size_t kIdStripes = 64;
constexpr size_t kSlots = 4096;
static_assert(kSlots % kIdStripes == 0);

// 8 bytes that sort as the signed value (common/ordered_key.h), so
// expiries before 1970 (InfinitePast) still sort first.
std::string EncodeExpiry(int64_t us) {
  std::string out;
  AppendOrderedInt64(&out, us);
  return out;
}

std::string ExpiryKey(int64_t expires_us, rocksdb::Slice content_id) {
  std::string key = EncodeExpiry(expires_us);
  key.append(content_id.data(), content_id.size());
  return key;
}

// The expiry prefix of a stored record; nullopt when the value is too short
// to hold one (never written by this class).
std::optional<int64_t> RecordExpiry(rocksdb::Slice value) {
  if (value.size() < 8) return std::nullopt;
  return static_cast<int64_t>(ReadBigEndian(ToView(value)));
}

}  // namespace

struct ScanRecords::Impl {
  Clock* clock = nullptr;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // indexed by Family

  // A content id's record and expiry key change only under its stripe:
  // Put's read-modify-write, and a purge's check-and-delete.
  std::array<absl::Mutex, kIdStripes> id_stripes;
  // Puts completed per slot (incremented after the write, under the
  // stripe; wraps).
  std::array<std::atomic<uint32_t>, kSlots> puts_per_slot{};
  // One purge pass at a time.
  absl::Mutex purge_mu;
  // Where a purge pass starts, so the tombstones of earlier passes are not
  // walked again: no expiry key is below min(purge_from, lowest_put).
  int64_t purge_from ABSL_GUARDED_BY(purge_mu) = INT64_MIN;
  // The lowest expiry written by a Put since the last pass started (noted
  // after the write, so a pass that misses it sees the note).
  std::atomic<int64_t> lowest_put{kNever};

  static size_t SlotOf(rocksdb::Slice content_id) {
    return absl::Hash<absl::string_view>()(
               absl::string_view(content_id.data(), content_id.size())) %
           kSlots;
  }
  absl::Mutex& StripeOfSlot(size_t slot) {
    return id_stripes[slot % kIdStripes];
  }

  using PutCounts = std::vector<uint32_t>;
  PutCounts CountPuts() const {
    PutCounts counts(kSlots);
    for (size_t i = 0; i < kSlots; ++i) {
      counts[i] = puts_per_slot[i].load(std::memory_order_acquire);
    }
    return counts;
  }

  void NotePut(int64_t expires_us) {
    int64_t seen = lowest_put.load();
    while (expires_us < seen &&
           !lowest_put.compare_exchange_weak(seen, expires_us)) {
    }
  }

  absl::Status IndexOldRecords();
  absl::StatusOr<int64_t> DeleteIfCurrent(
      const std::vector<std::string>& index_keys, const PutCounts& read_at);

  ~Impl() {
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    if (db) db->Close().PermitUncheckedError();
  }
};

// Deletes the record of each expiry key, with the key, if the key still
// exists: the keys were read by an iterator made just after `read_at` was
// counted, and a Put since may have moved a record's expiry (deleting the
// key read). Keys whose slot saw no Put since are current; the others are
// read again. Checked and deleted under the id's stripe, one write per
// stripe, so Puts of other ids are not held up.
absl::StatusOr<int64_t> ScanRecords::Impl::DeleteIfCurrent(
    const std::vector<std::string>& index_keys, const PutCounts& read_at) {
  // (slot, key), in key order within a stripe.
  std::vector<std::pair<size_t, rocksdb::Slice>> by_stripe;
  by_stripe.reserve(index_keys.size());
  for (const std::string& key : index_keys) {
    if (key.size() < 8) {
      return absl::DataLossError("scan_records: malformed expiry key");
    }
    by_stripe.emplace_back(
        SlotOf(rocksdb::Slice(key.data() + 8, key.size() - 8)), key);
  }
  std::stable_sort(by_stripe.begin(), by_stripe.end(),
                   [](const auto& a, const auto& b) {
                     return a.first % kIdStripes < b.first % kIdStripes;
                   });
  std::vector<rocksdb::Slice> current, unsure;
  std::vector<rocksdb::PinnableSlice> values;
  std::vector<rocksdb::Status> found;
  int64_t deleted = 0;
  for (size_t i = 0; i < by_stripe.size();) {
    const size_t stripe = by_stripe[i].first % kIdStripes;
    absl::MutexLock id_lock(&id_stripes[stripe]);
    current.clear();
    unsure.clear();
    for (; i < by_stripe.size() && by_stripe[i].first % kIdStripes == stripe;
         ++i) {
      const auto& [slot, key] = by_stripe[i];
      const bool put_since =
          puts_per_slot[slot].load(std::memory_order_relaxed) != read_at[slot];
      (put_since ? unsure : current).push_back(key);
    }
    if (!unsure.empty()) {
      values.clear();
      values.resize(unsure.size());
      found.assign(unsure.size(), rocksdb::Status());
      db->MultiGet(rocksdb::ReadOptions(), handles[kExpiry], unsure.size(),
                   unsure.data(), values.data(), found.data(),
                   /*sorted_input=*/true);
      for (size_t k = 0; k < unsure.size(); ++k) {
        if (found[k].IsNotFound()) continue;
        HW_RETURN_IF_ERROR(
            FromRocksDb(found[k], kComponent, "purge: read the expiry index"));
        current.push_back(unsure[k]);
      }
    }
    rocksdb::WriteBatch batch;
    for (const rocksdb::Slice& key : current) {
      const rocksdb::Slice content_id(key.data() + 8, key.size() - 8);
      HW_RETURN_IF_ERROR(FromRocksDb(
          batch.Delete(handles[kRecords], content_id), kComponent, "purge"));
      HW_RETURN_IF_ERROR(FromRocksDb(batch.Delete(handles[kExpiry], key),
                                     kComponent, "purge"));
    }
    if (!current.empty()) {
      HW_RETURN_IF_ERROR(FromRocksDb(db->Write(rocksdb::WriteOptions(), &batch),
                                     kComponent, "purge"));
      deleted += static_cast<int64_t>(current.size());
    }
  }
  return deleted;
}

// Builds the expiry index of a database written before it existed: one pass
// over every record, then the marker, so the pass runs once. Idempotent if
// interrupted (the marker is written last, after every index key).
absl::Status ScanRecords::Impl::IndexOldRecords() {
  rocksdb::ReadOptions read_options;
  read_options.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(
      db->NewIterator(read_options, handles[kRecords]));
  rocksdb::WriteBatch batch;
  int64_t indexed = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::optional<int64_t> expires = RecordExpiry(it->value());
    if (!expires || *expires == kNever) continue;
    HW_RETURN_IF_ERROR(
        FromRocksDb(batch.Put(handles[kExpiry], ExpiryKey(*expires, it->key()),
                              rocksdb::Slice()),
                    kComponent, "index"));
    if (++indexed % static_cast<int64_t>(kBatchRecords) == 0) {
      HW_RETURN_IF_ERROR(FromRocksDb(db->Write(rocksdb::WriteOptions(), &batch),
                                     kComponent, "index"));
      batch.Clear();
    }
  }
  HW_RETURN_IF_ERROR(FromRocksDb(it->status(), kComponent, "index scan"));
  HW_RETURN_IF_ERROR(FromRocksDb(
      batch.Put(handles[kMeta], kExpiryIndexedKey, "1"), kComponent, "index"));
  rocksdb::WriteOptions sync;
  sync.sync = true;
  HW_RETURN_IF_ERROR(FromRocksDb(db->Write(sync, &batch), kComponent, "index"));
  if (indexed > 0)
    HW_LOG(kInfo, "scan_records: indexed the expiry of %d records", indexed);
  return absl::OkStatus();
}

ScanRecords::ScanRecords(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ScanRecords::~ScanRecords() = default;

absl::StatusOr<std::unique_ptr<ScanRecords>> ScanRecords::Open(
    const ScanRecordsOptions& options, Clock* clock) {
  if (options.path.empty())
    return absl::InvalidArgumentError("scan_records: path is empty");
  if (clock == nullptr)
    return absl::InvalidArgumentError("scan_records: clock is null");
  auto impl = std::make_unique<Impl>();
  impl->clock = clock;
  rocksdb::Options db_options;
  SetCommonDbOptions(&db_options);
  db_options.create_if_missing = options.create_if_missing;
  // Most scans are of new content ids: a bloom filter answers "not stored"
  // without reading data blocks.
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions records_options;
  records_options.table_factory.reset(
      rocksdb::NewBlockBasedTableFactory(table));
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, records_options},
      {"reveal", rocksdb::ColumnFamilyOptions()},
      {"expiry", rocksdb::ColumnFamilyOptions()},
      {"meta", rocksdb::ColumnFamilyOptions()}};
  rocksdb::DB* raw = nullptr;
  HW_RETURN_IF_ERROR(FromRocksDb(
      rocksdb::DB::Open(db_options, options.path, cfs, &impl->handles, &raw),
      kComponent, absl::StrCat("open ", options.path)));
  impl->db.reset(raw);
  std::string indexed;
  rocksdb::Status s =
      impl->db->Get(rocksdb::ReadOptions(), impl->handles[kMeta],
                    kExpiryIndexedKey, &indexed);
  if (s.IsNotFound()) {
    HW_RETURN_IF_ERROR(impl->IndexOldRecords());
  } else {
    HW_RETURN_IF_ERROR(
        FromRocksDb(s, kComponent, "open: read the index marker"));
  }
  return std::unique_ptr<ScanRecords>(new ScanRecords(std::move(impl)));
}

absl::StatusOr<std::optional<std::string>> ScanRecords::Get(
    absl::string_view content_id) const {
  std::string value;
  rocksdb::Status s = impl_->db->Get(
      rocksdb::ReadOptions(), impl_->handles[kRecords],
      rocksdb::Slice(content_id.data(), content_id.size()), &value);
  if (s.IsNotFound()) return std::nullopt;
  HW_RETURN_IF_ERROR(FromRocksDb(s, kComponent, "get"));
  const std::optional<int64_t> expires = RecordExpiry(value);
  if (!expires) return absl::DataLossError("scan_records: malformed record");
  if (*expires != kNever &&
      absl::ToUnixMicros(impl_->clock->Now()) >= *expires) {
    return std::nullopt;
  }
  return value.substr(8);
}

absl::Status ScanRecords::Put(absl::string_view content_id,
                              absl::string_view answer, absl::Time expires,
                              bool sync) {
  Impl& d = *impl_;
  const int64_t expires_us = TimeToMicros(expires);
  const rocksdb::Slice key(content_id.data(), content_id.size());
  std::string value;
  AppendBigEndian(&value, static_cast<uint64_t>(expires_us));
  value.append(answer.data(), answer.size());

  const size_t slot = Impl::SlotOf(key);
  absl::MutexLock id_lock(&d.StripeOfSlot(slot));
  rocksdb::WriteBatch batch;
  // The record being replaced, if any: its expiry key goes with it, or it
  // would later purge this record at the old time.
  rocksdb::PinnableSlice old;
  rocksdb::Status s =
      d.db->Get(rocksdb::ReadOptions(), d.handles[kRecords], key, &old);
  if (s.ok()) {
    const std::optional<int64_t> old_expires = RecordExpiry(old);
    if (old_expires && *old_expires != kNever && *old_expires != expires_us) {
      HW_RETURN_IF_ERROR(FromRocksDb(
          batch.Delete(d.handles[kExpiry], ExpiryKey(*old_expires, key)),
          kComponent, "put"));
    }
  } else if (!s.IsNotFound()) {
    return FromRocksDb(s, kComponent, "put: read the stored record");
  }
  HW_RETURN_IF_ERROR(FromRocksDb(batch.Put(d.handles[kRecords], key, value),
                                 kComponent, "put"));
  if (expires_us != kNever) {
    HW_RETURN_IF_ERROR(
        FromRocksDb(batch.Put(d.handles[kExpiry], ExpiryKey(expires_us, key),
                              rocksdb::Slice()),
                    kComponent, "put"));
  }
  rocksdb::WriteOptions write_options;
  write_options.sync = sync;
  HW_RETURN_IF_ERROR(
      FromRocksDb(d.db->Write(write_options, &batch), kComponent, "put"));
  d.puts_per_slot[slot].fetch_add(1, std::memory_order_release);
  if (expires_us != kNever) d.NotePut(expires_us);
  return absl::OkStatus();
}

absl::StatusOr<int64_t> ScanRecords::PurgeExpired() {
  Impl& d = *impl_;
  absl::MutexLock pass(&d.purge_mu);
  const int64_t now = absl::ToUnixMicros(d.clock->Now());
  const int64_t end_us = now == kNever ? kNever : now + 1;
  // Both taken before the iterator: a Put counted or noted after this may
  // or may not be seen by it; one before, is.
  const Impl::PutCounts read_at = d.CountPuts();
  d.purge_from = std::min(d.purge_from, d.lowest_put.exchange(kNever));
  const std::string start = EncodeExpiry(d.purge_from);
  // Keys with expiry <= now sort before it.
  const std::string end = EncodeExpiry(end_us);
  const rocksdb::Slice end_slice(end);
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &end_slice;
  std::unique_ptr<rocksdb::Iterator> it(
      d.db->NewIterator(read_options, d.handles[kExpiry]));
  std::vector<std::string> batch;
  batch.reserve(kBatchRecords);
  int64_t purged = 0;
  it->Seek(start);
  while (it->Valid()) {
    batch.clear();
    for (; it->Valid() && batch.size() < kBatchRecords; it->Next()) {
      batch.emplace_back(it->key().data(), it->key().size());
    }
    HW_RETURN_IF_ERROR(
        FromRocksDb(it->status(), kComponent, "purge: read the expiry index"));
    HW_ASSIGN_OR_RETURN(const int64_t deleted,
                        d.DeleteIfCurrent(batch, read_at));
    purged += deleted;
  }
  HW_RETURN_IF_ERROR(
      FromRocksDb(it->status(), kComponent, "purge: read the expiry index"));
  // Every key up to `end` that the iterator saw is gone; keys written since
  // it was made are noted in lowest_put.
  d.purge_from = end_us;
  return purged;
}

absl::Status ScanRecords::PutRevealPreview(uint64_t item_id,
                                           absl::string_view jpeg) {
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  return FromRocksDb(impl_->db->Put(write_options, impl_->handles[kReveal],
                                    BigEndianKey(item_id),
                                    rocksdb::Slice(jpeg.data(), jpeg.size())),
                     kComponent, "put reveal preview");
}

absl::Status ScanRecords::DeleteRevealPreview(uint64_t item_id) {
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  return FromRocksDb(impl_->db->Delete(write_options, impl_->handles[kReveal],
                                       BigEndianKey(item_id)),
                     kComponent, "delete reveal preview");
}

absl::StatusOr<std::string> ScanRecords::GetRevealPreview(
    uint64_t item_id) const {
  std::string value;
  rocksdb::Status s =
      impl_->db->Get(rocksdb::ReadOptions(), impl_->handles[kReveal],
                     BigEndianKey(item_id), &value);
  if (s.IsNotFound()) {
    return absl::NotFoundError(
        absl::StrCat("no unblurred preview is kept for item ", item_id));
  }
  HW_RETURN_IF_ERROR(FromRocksDb(s, kComponent, "get reveal preview"));
  return value;
}

absl::StatusOr<std::vector<uint64_t>> ScanRecords::RevealPreviewIds(
    uint64_t after, int max_ids) const {
  std::vector<uint64_t> ids;
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->handles[kReveal]));
  for (it->Seek(BigEndianKey(after));
       it->Valid() && static_cast<int>(ids.size()) < max_ids; it->Next()) {
    if (it->key().size() != 8) {
      return absl::DataLossError(
          absl::StrCat("scans: malformed reveal preview key of ",
                       it->key().size(), " bytes"));
    }
    const uint64_t id = ReadBigEndian(ToView(it->key()));
    if (id > after) ids.push_back(id);
  }
  HW_RETURN_IF_ERROR(
      FromRocksDb(it->status(), kComponent, "list reveal previews"));
  return ids;
}

absl::Status ScanRecords::PutItemSignature(uint64_t item_id,
                                           absl::string_view signature) {
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  const std::string key = absl::StrCat(kSignaturePrefix, BigEndianKey(item_id));
  return FromRocksDb(impl_->db->Put(write_options, impl_->handles[kMeta], key,
                                    ToSlice(signature)),
                     kComponent, "put item signature");
}

absl::StatusOr<std::string> ScanRecords::GetItemSignature(
    uint64_t item_id) const {
  std::string value;
  rocksdb::Status s = impl_->db->Get(
      rocksdb::ReadOptions(), impl_->handles[kMeta],
      absl::StrCat(kSignaturePrefix, BigEndianKey(item_id)), &value);
  if (s.IsNotFound()) {
    return absl::NotFoundError(
        absl::StrCat("no own-material signature is kept for item ", item_id));
  }
  HW_RETURN_IF_ERROR(FromRocksDb(s, kComponent, "get item signature"));
  return value;
}

absl::Status ScanRecords::DeleteItemSignature(uint64_t item_id) {
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  return FromRocksDb(
      impl_->db->Delete(write_options, impl_->handles[kMeta],
                        absl::StrCat(kSignaturePrefix, BigEndianKey(item_id))),
      kComponent, "delete item signature");
}

absl::Status ScanRecords::PutFloodQuarantine(uint64_t entry_id,
                                             absl::Time until) {
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  const std::string key = absl::StrCat(kFloodPrefix, BigEndianKey(entry_id));
  std::string value;
  AppendOrderedTime(&value, until);
  return FromRocksDb(
      impl_->db->Put(write_options, impl_->handles[kMeta], key, value),
      kComponent, "put flood quarantine");
}

absl::StatusOr<std::vector<std::pair<uint64_t, absl::Time>>>
ScanRecords::FloodQuarantines() const {
  std::vector<std::pair<uint64_t, absl::Time>> out;
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->handles[kMeta]));
  for (it->Seek(ToSlice(kFloodPrefix));
       it->Valid() && absl::StartsWith(ToView(it->key()), kFloodPrefix);
       it->Next()) {
    const absl::string_view key = ToView(it->key());
    const absl::string_view value = ToView(it->value());
    if (key.size() != kFloodPrefix.size() + 8 || value.size() != 8) {
      return absl::DataLossError(absl::StrCat(
          "scans: malformed flood quarantine record (key of ", key.size(),
          " bytes, value of ", value.size(), " bytes)"));
    }
    out.emplace_back(ReadBigEndian(key.substr(kFloodPrefix.size())),
                     ReadOrderedTime(value));
  }
  HW_RETURN_IF_ERROR(
      FromRocksDb(it->status(), kComponent, "read flood quarantines"));
  return out;
}

}  // namespace hashwatch::review_api
