// The audit log: reading entries, and verifying the hash chain against the
// head recorded in the queue's state (layout in internal/records.h).
#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "queue/internal/review_queue_impl.h"

namespace hashwatch::queue {
namespace {

// DataLoss unless the stored entry at `key` is entry `index`, well formed,
// and carries `prev` (the hash of the entry before it).
absl::Status CheckAuditEntry(uint64_t index, absl::string_view key,
                             absl::string_view value, const std::string& prev) {
  if (key.size() != 8 || internal::ParseU64Key(key) != index) {
    return absl::DataLossError(
        absl::StrCat("queue: audit chain broken at entry ", index,
                     ": entry missing (next stored key is ",
                     key.size() == 8 ? absl::StrCat(internal::ParseU64Key(key))
                                     : "malformed",
                     ")"));
  }
  AuditEntry e;
  if (!internal::DecodeAuditEntry(value, &e).ok() || e.index != index) {
    return absl::DataLossError(absl::StrCat(
        "queue: audit chain broken at entry ", index, ": malformed entry"));
  }
  if (e.prev_hash != prev) {
    return absl::DataLossError(
        absl::StrCat("queue: audit chain broken at entry ", index,
                     ": its previous-entry hash is not the SHA-256 of entry ",
                     index - 1, " (one of the two was altered)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<AuditEntry>> ReviewQueue::Impl::ReadAudit(
    uint64_t from, int max_entries) const {
  if (max_entries < 1 || max_entries > internal::kMaxAuditRead) {
    return absl::InvalidArgumentError(absl::StrCat("queue: max_entries is ",
                                                   max_entries, ", want 1..",
                                                   internal::kMaxAuditRead));
  }
  std::vector<AuditEntry> out;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), cf(internal::kAuditCf)));
  for (it->Seek(internal::U64Key(from));
       it->Valid() && static_cast<int>(out.size()) < max_entries; it->Next()) {
    AuditEntry e;
    HW_RETURN_IF_ERROR(internal::DecodeAuditEntry(ToView(it->value()), &e));
    out.push_back(std::move(e));
  }
  HW_RETURN_IF_ERROR(FromRocksDb(it->status(), "queue", "read audit"));
  return out;
}

absl::StatusOr<AuditHead> ReviewQueue::Impl::VerifyAudit() const {
  const rocksdb::Snapshot* snapshot = db_->GetSnapshot();
  absl::StatusOr<AuditHead> result = VerifyChain(snapshot);
  db_->ReleaseSnapshot(snapshot);
  return result;
}

absl::StatusOr<AuditHead> ReviewQueue::Impl::VerifyChain(
    const rocksdb::Snapshot* snapshot) const {
  internal::QueueState state;
  HW_ASSIGN_OR_RETURN(auto bytes,
                      Get(internal::kMetaCf, internal::kStateKey, snapshot));
  if (bytes) HW_RETURN_IF_ERROR(internal::DecodeQueueState(*bytes, &state));
  const uint64_t head_count = state.audit_entries;
  const std::string& head_hash = state.audit_hash;
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(ro, cf(internal::kAuditCf)));
  uint64_t index = 0;
  std::string prev(32, '\0');
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++index) {
    HW_RETURN_IF_ERROR(
        CheckAuditEntry(index, ToView(it->key()), ToView(it->value()), prev));
    prev = internal::Sha256(ToView(it->value()));
  }
  HW_RETURN_IF_ERROR(FromRocksDb(it->status(), "queue", "read audit"));
  if (index != head_count) {
    return absl::DataLossError(absl::StrCat(
        "queue: audit chain broken at entry ", std::min(index, head_count),
        ": the log has ", index, " entries but the head records ", head_count));
  }
  if (prev != head_hash) {
    return absl::DataLossError(absl::StrCat(
        "queue: audit chain broken at entry ", index == 0 ? 0 : index - 1,
        ": the last entry does not match the recorded head"));
  }
  return AuditHead{index, absl::BytesToHexString(prev)};
}

}  // namespace hashwatch::queue
