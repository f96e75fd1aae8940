#include "report/report_store.h"

#include <algorithm>
#include <limits>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "common/ordered_key.h"
#include "common/rocksdb_options.h"
#include "common/rocksdb_slice.h"
#include "common/rocksdb_status.h"
#include "common/status_macros.h"
#include "common/time_format.h"
#include "nlohmann/json.hpp"
#include "report/internal/report_record.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace hashwatch::report {
namespace {

// Column families and key layouts:
//   reports:    sequence (u64 big-endian)            -> report
//               (internal/report_record.h; JSON in older databases)
//   by_content: origin (u8) | content id             -> sequence (u64)
//   by_id:      report id                            -> sequence (u64)
constexpr char kReportsCf[] = "reports";
constexpr char kByContentCf[] = "by_content";
constexpr char kByIdCf[] = "by_id";

std::string ContentKey(ReportOrigin origin, absl::string_view content_id) {
  return absl::StrCat(std::string(1, static_cast<char>(origin)), content_id);
}

// A time in the JSON export: RFC 3339, "" for none.
std::string JsonTime(absl::Time t) {
  if (t == absl::InfinitePast()) return "";
  return FormatRfc3339(t);
}

// The sequence a `reports` key or an index value holds.
absl::StatusOr<uint64_t> ParseSequence(absl::string_view bytes,
                                       absl::string_view what) {
  if (bytes.size() != 8) {
    return absl::DataLossError(absl::StrCat("report_store: malformed ", what));
  }
  return ReadBigEndian(bytes);
}

}  // namespace

const char* ReportOriginName(ReportOrigin o) {
  return o == ReportOrigin::kModeratorConfirm ? "moderator_confirm"
                                              : "automatic";
}
const char* ReportStateName(ReportState s) {
  return s == ReportState::kSubmitted ? "submitted" : "pending";
}

std::string ReportStore::ToJson(const Report& r) {
  nlohmann::ordered_json j;
  j["id"] = r.id;
  j["sequence"] = r.sequence;
  j["created"] = JsonTime(r.created);
  j["origin"] = ReportOriginName(r.origin);
  j["state"] = ReportStateName(r.state);
  j["submission_ref"] = r.submission_ref;
  j["platform"] = r.platform;
  j["incident_type"] = r.incident_type;
  j["content_id"] = r.content_id;
  j["md5"] = r.hashes.md5;
  j["sha1"] = r.hashes.sha1;
  j["sha256"] = r.hashes.sha256;
  j["pdq"] = r.hashes.pdq;
  j["pdq_quality"] = std::max(0, r.hashes.pdq_quality);
  j["category"] = r.category;
  j["evidence"] = nlohmann::ordered_json::array();
  for (const matcher::MatchEvidence& e : r.evidence) {
    nlohmann::ordered_json ev;
    ev["bank"] = e.bank;
    ev["entry_id"] = e.entry_id;
    ev["signal"] = e.signal;
    ev["value"] = e.hash;
    ev["source"] = e.source;
    ev["category"] = e.category;
    ev["distance"] = e.distance;
    if (!e.path.empty()) ev["path"] = e.path;
    j["evidence"].push_back(std::move(ev));
  }
  j["viewed_by_platform"] = r.viewed_by_platform;
  j["viewed_by"] = r.viewed_by;
  j["viewed_at"] = JsonTime(r.viewed_at);
  j["review_item_id"] = r.review_item_id;
  j["uploader_account"] = r.uploader_account;
  j["uploader_ip"] = r.uploader_ip;
  j["upload_time"] = JsonTime(r.upload_time);
  j["preservation_deadline"] = JsonTime(r.preservation_deadline);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

struct ReportStore::Impl {
  ReportStoreOptions options;
  Clock* clock = nullptr;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::ColumnFamilyHandle* reports_cf = nullptr;
  rocksdb::ColumnFamilyHandle* by_content_cf = nullptr;
  rocksdb::ColumnFamilyHandle* by_id_cf = nullptr;
  rocksdb::WriteOptions write_options;

  mutable absl::Mutex mu;
  uint64_t last_sequence ABSL_GUARDED_BY(mu) = 0;

  ~Impl() {
    if (db) {
      for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
      db->Close().PermitUncheckedError();
    }
  }

  absl::StatusOr<std::optional<Report>> BySequence(uint64_t seq) const {
    std::string value;
    rocksdb::Status s =
        db->Get(rocksdb::ReadOptions(), reports_cf, BigEndianKey(seq), &value);
    if (s.IsNotFound()) return std::optional<Report>();
    HW_RETURN_IF_ERROR(FromRocksDb(s, "report_store", "read report"));
    HW_ASSIGN_OR_RETURN(Report r, internal::DecodeReport(seq, value));
    return std::optional<Report>(std::move(r));
  }

  absl::StatusOr<std::optional<uint64_t>> Lookup(
      rocksdb::ColumnFamilyHandle* cf, absl::string_view key) const {
    std::string value;
    rocksdb::Status s = db->Get(rocksdb::ReadOptions(), cf,
                                rocksdb::Slice(key.data(), key.size()), &value);
    if (s.IsNotFound()) return std::optional<uint64_t>();
    HW_RETURN_IF_ERROR(FromRocksDb(s, "report_store", "read index"));
    HW_ASSIGN_OR_RETURN(uint64_t seq, ParseSequence(value, "index record"));
    return std::optional<uint64_t>(seq);
  }

  // The report with the public id `id`; NotFound when there is none.
  absl::StatusOr<Report> ById(absl::string_view id) const {
    HW_ASSIGN_OR_RETURN(std::optional<uint64_t> seq, Lookup(by_id_cf, id));
    if (!seq.has_value())
      return absl::NotFoundError(absl::StrCat("report_store: no report ", id));
    HW_ASSIGN_OR_RETURN(std::optional<Report> r, BySequence(*seq));
    if (!r.has_value()) {
      return absl::DataLossError(
          absl::StrCat("report_store: id index names a missing report (id ", id,
                       ", sequence ", *seq, ")"));
    }
    return *std::move(r);
  }
};

ReportStore::ReportStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ReportStore::~ReportStore() = default;

absl::StatusOr<std::unique_ptr<ReportStore>> ReportStore::Open(
    const ReportStoreOptions& options, Clock* clock) {
  if (options.path.empty())
    return absl::InvalidArgumentError("report_store: options.path is empty");
  if (options.retention <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("report_store: retention must be > 0");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->clock = clock;
  impl->write_options.sync = options.sync_writes;
  rocksdb::Options db_options;
  SetCommonDbOptions(&db_options);
  db_options.create_if_missing = options.create_if_missing;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, {}},
      {kReportsCf, {}},
      {kByContentCf, {}},
      {kByIdCf, {}}};
  rocksdb::DB* raw = nullptr;
  HW_RETURN_IF_ERROR(FromRocksDb(
      rocksdb::DB::Open(db_options, options.path, cfs, &impl->handles, &raw),
      "report_store", absl::StrCat("open ", options.path)));
  impl->db.reset(raw);
  impl->reports_cf = impl->handles[1];
  impl->by_content_cf = impl->handles[2];
  impl->by_id_cf = impl->handles[3];
  std::unique_ptr<rocksdb::Iterator> it(
      impl->db->NewIterator(rocksdb::ReadOptions(), impl->reports_cf));
  it->SeekToLast();
  {
    absl::MutexLock lock(&impl->mu);
    if (it->Valid()) {
      HW_ASSIGN_OR_RETURN(impl->last_sequence,
                          ParseSequence(ToView(it->key()), "report key"));
    }
  }
  HW_RETURN_IF_ERROR(FromRocksDb(it->status(), "report_store", "open"));
  return std::unique_ptr<ReportStore>(new ReportStore(std::move(impl)));
}

absl::StatusOr<Report> ReportStore::Create(const Report& draft) {
  if (draft.content_id.empty()) {
    return absl::InvalidArgumentError("report_store: content_id is empty");
  }
  // A confirmed case (no file, e.g. grooming) is identified by its review item.
  if (draft.hashes.empty() && draft.evidence.empty() &&
      draft.review_item_id.empty()) {
    return absl::InvalidArgumentError(
        "report_store: a report needs file hashes or evidence");
  }
  absl::MutexLock lock(&impl_->mu);
  const std::string content_key = ContentKey(draft.origin, draft.content_id);
  HW_ASSIGN_OR_RETURN(std::optional<uint64_t> existing,
                      impl_->Lookup(impl_->by_content_cf, content_key));
  if (existing.has_value()) {
    HW_ASSIGN_OR_RETURN(std::optional<Report> r, impl_->BySequence(*existing));
    if (!r.has_value())
      return absl::DataLossError(
          "report_store: content index names a missing report");
    return *r;
  }
  Report r = draft;
  r.sequence = impl_->last_sequence + 1;
  r.id = absl::StrFormat("r-%016x", r.sequence);
  r.created = impl_->clock->Now();
  r.state = ReportState::kPending;
  r.platform = impl_->options.platform;
  r.incident_type = impl_->options.incident_type;
  r.preservation_deadline = r.created + impl_->options.retention;
  rocksdb::WriteBatch batch;
  batch.Put(impl_->reports_cf, BigEndianKey(r.sequence),
            internal::EncodeReport(r));
  batch.Put(impl_->by_content_cf, content_key, BigEndianKey(r.sequence));
  batch.Put(impl_->by_id_cf, r.id, BigEndianKey(r.sequence));
  HW_RETURN_IF_ERROR(FromRocksDb(impl_->db->Write(impl_->write_options, &batch),
                                 "report_store", "create report"));
  impl_->last_sequence = r.sequence;
  return r;
}

absl::StatusOr<Report> ReportStore::Get(absl::string_view id) const {
  return impl_->ById(id);
}

absl::StatusOr<std::vector<Report>> ReportStore::List(
    const ReportFilter& f) const {
  std::vector<Report> out;
  // Nothing comes after the largest sequence (and +1 would wrap to 0,
  // replaying every report).
  if (f.after_sequence == std::numeric_limits<uint64_t>::max()) return out;
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->reports_cf));
  for (it->Seek(BigEndianKey(f.after_sequence + 1));
       it->Valid() && out.size() < f.limit; it->Next()) {
    HW_ASSIGN_OR_RETURN(uint64_t seq,
                        ParseSequence(ToView(it->key()), "report key"));
    HW_ASSIGN_OR_RETURN(Report r,
                        internal::DecodeReport(seq, ToView(it->value())));
    if (r.created < f.from || r.created >= f.to) continue;
    if (f.state.has_value() && r.state != *f.state) continue;
    if (!f.bank.empty()) {
      bool has = false;
      for (const matcher::MatchEvidence& e : r.evidence)
        has |= e.bank == f.bank;
      if (!has) continue;
    }
    out.push_back(std::move(r));
  }
  HW_RETURN_IF_ERROR(FromRocksDb(it->status(), "report_store", "list reports"));
  return out;
}

absl::StatusOr<Report> ReportStore::MarkSubmitted(absl::string_view id,
                                                  absl::string_view ref) {
  absl::MutexLock lock(&impl_->mu);
  HW_ASSIGN_OR_RETURN(Report r, impl_->ById(id));
  if (r.state == ReportState::kSubmitted) return r;
  r.state = ReportState::kSubmitted;
  r.submission_ref = std::string(ref);
  HW_RETURN_IF_ERROR(FromRocksDb(
      impl_->db->Put(impl_->write_options, impl_->reports_cf,
                     BigEndianKey(r.sequence), internal::EncodeReport(r)),
      "report_store", "mark submitted"));
  return r;
}

uint64_t ReportStore::WaitForReports(uint64_t after,
                                     absl::Time deadline) const {
  absl::MutexLock lock(&impl_->mu);
  auto ready = [this, after]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(impl_->mu) {
    return impl_->last_sequence > after;
  };
  impl_->mu.AwaitWithDeadline(absl::Condition(&ready), deadline);
  return impl_->last_sequence;
}

uint64_t ReportStore::LastSequence() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->last_sequence;
}

}  // namespace hashwatch::report
