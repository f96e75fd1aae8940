#include "review_api/scan_records.h"

#include <cstring>
#include <vector>

#include "absl/base/internal/endian.h"
#include "absl/strings/str_cat.h"
#include "common/rocksdb_options.h"
#include "common/rocksdb_status.h"
#include "common/status_macros.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"

namespace hashwatch::review_api {
namespace {

constexpr char kComponent[] = "scan_records";
constexpr int64_t kNever = INT64_MAX;

std::string ItemKey(uint64_t item_id) {
  std::string key(8, '\0');
  absl::big_endian::Store64(key.data(), item_id);
  return key;
}

int64_t ExpiryMicros(absl::Time t) {
  return t == absl::InfiniteFuture() ? kNever : absl::ToUnixMicros(t);
}

}  // namespace

struct ScanRecords::Impl {
  Clock* clock = nullptr;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // default, reveal
  ~Impl() {
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    if (db) db->Close().PermitUncheckedError();
  }
};

ScanRecords::ScanRecords(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ScanRecords::~ScanRecords() = default;

absl::StatusOr<std::unique_ptr<ScanRecords>> ScanRecords::Open(
    const ScanRecordsOptions& options, Clock* clock) {
  if (options.path.empty()) return absl::InvalidArgumentError("scan_records: path is empty");
  if (clock == nullptr) return absl::InvalidArgumentError("scan_records: clock is null");
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
  records_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, records_options},
      {"reveal", rocksdb::ColumnFamilyOptions()}};
  rocksdb::DB* raw = nullptr;
  HW_RETURN_IF_ERROR(FromRocksDb(rocksdb::DB::Open(db_options, options.path, cfs,
                                                   &impl->handles, &raw),
                                 kComponent, absl::StrCat("open ", options.path)));
  impl->db.reset(raw);
  return std::unique_ptr<ScanRecords>(new ScanRecords(std::move(impl)));
}

absl::StatusOr<std::optional<std::string>> ScanRecords::Get(
    absl::string_view content_id) const {
  std::string value;
  rocksdb::Status s = impl_->db->Get(rocksdb::ReadOptions(), impl_->handles[0],
                                     rocksdb::Slice(content_id.data(), content_id.size()),
                                     &value);
  if (s.IsNotFound()) return std::nullopt;
  HW_RETURN_IF_ERROR(FromRocksDb(s, kComponent, "get"));
  if (value.size() < 8) return absl::DataLossError("scan_records: malformed record");
  const int64_t expires = static_cast<int64_t>(absl::big_endian::Load64(value.data()));
  if (expires != kNever && absl::ToUnixMicros(impl_->clock->Now()) >= expires) {
    return std::nullopt;
  }
  return value.substr(8);
}

absl::Status ScanRecords::Put(absl::string_view content_id, absl::string_view answer,
                              absl::Time expires, bool sync) {
  std::string value(8, '\0');
  absl::big_endian::Store64(value.data(), static_cast<uint64_t>(ExpiryMicros(expires)));
  value.append(answer.data(), answer.size());
  rocksdb::WriteOptions write_options;
  write_options.sync = sync;
  return FromRocksDb(impl_->db->Put(write_options, impl_->handles[0],
                                    rocksdb::Slice(content_id.data(), content_id.size()),
                                    value),
                     kComponent, "put");
}

absl::StatusOr<int64_t> ScanRecords::PurgeExpired() {
  const int64_t now = absl::ToUnixMicros(impl_->clock->Now());
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->handles[0]));
  rocksdb::WriteBatch batch;
  int64_t purged = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    rocksdb::Slice v = it->value();
    if (v.size() < 8) continue;
    const int64_t expires = static_cast<int64_t>(absl::big_endian::Load64(v.data()));
    if (expires != kNever && now >= expires) {
      batch.Delete(impl_->handles[0], it->key());
      ++purged;
    }
    if (batch.Count() >= 10'000) {
      HW_RETURN_IF_ERROR(FromRocksDb(impl_->db->Write(rocksdb::WriteOptions(), &batch),
                                     kComponent, "purge"));
      batch.Clear();
    }
  }
  HW_RETURN_IF_ERROR(FromRocksDb(it->status(), kComponent, "purge scan"));
  HW_RETURN_IF_ERROR(FromRocksDb(impl_->db->Write(rocksdb::WriteOptions(), &batch),
                                 kComponent, "purge"));
  return purged;
}

absl::Status ScanRecords::PutRevealPreview(uint64_t item_id, absl::string_view jpeg) {
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  return FromRocksDb(impl_->db->Put(write_options, impl_->handles[1], ItemKey(item_id),
                                    rocksdb::Slice(jpeg.data(), jpeg.size())),
                     kComponent, "put reveal preview");
}

absl::StatusOr<std::string> ScanRecords::GetRevealPreview(uint64_t item_id) const {
  std::string value;
  rocksdb::Status s =
      impl_->db->Get(rocksdb::ReadOptions(), impl_->handles[1], ItemKey(item_id), &value);
  if (s.IsNotFound()) {
    return absl::NotFoundError(absl::StrCat("no unblurred preview is kept for item ", item_id));
  }
  HW_RETURN_IF_ERROR(FromRocksDb(s, kComponent, "get reveal preview"));
  return value;
}

}  // namespace hashwatch::review_api
