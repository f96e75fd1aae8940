#include "report/report_store.h"

#include <algorithm>
#include <limits>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "common/rocksdb_options.h"
#include "common/rocksdb_status.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace hashwatch::report {
namespace {

// Column families and key layouts:
//   reports:    sequence (u64 big-endian)            -> report (JSON, ToJson)
//   by_content: origin (u8) | content id             -> sequence (u64)
//   by_id:      report id                            -> sequence (u64)
constexpr char kReportsCf[] = "reports";
constexpr char kByContentCf[] = "by_content";
constexpr char kByIdCf[] = "by_id";

std::string U64Key(uint64_t v) {
  std::string k(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) k[i] = static_cast<char>(v & 0xff);
  return k;
}

uint64_t ParseU64(const rocksdb::Slice& s) {
  uint64_t v = 0;
  for (size_t i = 0; i < s.size() && i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(s[i]);
  return v;
}

std::string ContentKey(ReportOrigin origin, absl::string_view content_id) {
  return absl::StrCat(std::string(1, static_cast<char>(origin)), content_id);
}

std::string RfcTime(absl::Time t) {
  if (t == absl::InfinitePast()) return "";
  return absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone());
}

absl::Time ParseTimeOr(const nlohmann::json& j, const char* key) {
  absl::Time t;
  std::string err;
  const std::string s = j.value(key, "");
  if (s.empty() || !absl::ParseTime(absl::RFC3339_full, s, &t, &err)) return absl::InfinitePast();
  return t;
}

absl::StatusOr<Report> FromJson(absl::string_view data) {
  nlohmann::json j = nlohmann::json::parse(data, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::DataLossError("report_store: report record is not valid JSON");
  }
  Report r;
  r.sequence = j.value("sequence", uint64_t{0});
  r.id = j.value("id", "");
  r.created = ParseTimeOr(j, "created");
  r.origin = j.value("origin", "") == "moderator_confirm" ? ReportOrigin::kModeratorConfirm
                                                           : ReportOrigin::kAutomatic;
  r.state = j.value("state", "") == "submitted" ? ReportState::kSubmitted : ReportState::kPending;
  r.submission_ref = j.value("submission_ref", "");
  r.platform = j.value("platform", "");
  r.incident_type = j.value("incident_type", "");
  r.content_id = j.value("content_id", "");
  r.hashes.md5 = j.value("md5", "");
  r.hashes.sha1 = j.value("sha1", "");
  r.hashes.sha256 = j.value("sha256", "");
  r.hashes.pdq = j.value("pdq", "");
  // Stored as 0 when there is no PDQ hash.
  r.hashes.pdq_quality = r.hashes.pdq.empty() ? -1 : j.value("pdq_quality", 0);
  r.category = j.value("category", "");
  for (const auto& e : j.value("evidence", nlohmann::json::array())) {
    matcher::MatchEvidence ev;
    ev.bank = e.value("bank", "");
    ev.entry_id = e.value("entry_id", uint64_t{0});
    ev.signal = e.value("signal", "");
    ev.hash = e.value("value", "");
    ev.source = e.value("source", "");
    ev.category = e.value("category", "");
    ev.distance = e.value("distance", 0);
    r.evidence.push_back(std::move(ev));
  }
  r.viewed_by_platform = j.value("viewed_by_platform", false);
  r.viewed_by = j.value("viewed_by", "");
  r.viewed_at = ParseTimeOr(j, "viewed_at");
  r.review_item_id = j.value("review_item_id", "");
  r.uploader_account = j.value("uploader_account", "");
  r.uploader_ip = j.value("uploader_ip", "");
  r.upload_time = ParseTimeOr(j, "upload_time");
  r.preservation_deadline = ParseTimeOr(j, "preservation_deadline");
  return r;
}

}  // namespace

const char* ReportOriginName(ReportOrigin o) {
  return o == ReportOrigin::kModeratorConfirm ? "moderator_confirm" : "automatic";
}
const char* ReportStateName(ReportState s) {
  return s == ReportState::kSubmitted ? "submitted" : "pending";
}

std::string ReportStore::ToJson(const Report& r) {
  nlohmann::ordered_json j;
  j["id"] = r.id;
  j["sequence"] = r.sequence;
  j["created"] = RfcTime(r.created);
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
    j["evidence"].push_back(std::move(ev));
  }
  j["viewed_by_platform"] = r.viewed_by_platform;
  j["viewed_by"] = r.viewed_by;
  j["viewed_at"] = RfcTime(r.viewed_at);
  j["review_item_id"] = r.review_item_id;
  j["uploader_account"] = r.uploader_account;
  j["uploader_ip"] = r.uploader_ip;
  j["upload_time"] = RfcTime(r.upload_time);
  j["preservation_deadline"] = RfcTime(r.preservation_deadline);
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
    rocksdb::Status s = db->Get(rocksdb::ReadOptions(), reports_cf, U64Key(seq), &value);
    if (s.IsNotFound()) return std::optional<Report>();
    HW_RETURN_IF_ERROR(FromRocksDb(s, "report_store", "read report"));
    HW_ASSIGN_OR_RETURN(Report r, FromJson(value));
    return std::optional<Report>(std::move(r));
  }

  absl::StatusOr<std::optional<uint64_t>> Lookup(rocksdb::ColumnFamilyHandle* cf,
                                                 absl::string_view key) const {
    std::string value;
    rocksdb::Status s =
        db->Get(rocksdb::ReadOptions(), cf, rocksdb::Slice(key.data(), key.size()), &value);
    if (s.IsNotFound()) return std::optional<uint64_t>();
    HW_RETURN_IF_ERROR(FromRocksDb(s, "report_store", "read index"));
    if (value.size() != 8) return absl::DataLossError("report_store: malformed index record");
    return std::optional<uint64_t>(ParseU64(value));
  }
};

ReportStore::ReportStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ReportStore::~ReportStore() = default;

absl::StatusOr<std::unique_ptr<ReportStore>> ReportStore::Open(const ReportStoreOptions& options,
                                                               Clock* clock) {
  if (options.path.empty()) return absl::InvalidArgumentError("report_store: options.path is empty");
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
      {rocksdb::kDefaultColumnFamilyName, {}}, {kReportsCf, {}}, {kByContentCf, {}}, {kByIdCf, {}}};
  rocksdb::DB* raw = nullptr;
  HW_RETURN_IF_ERROR(FromRocksDb(rocksdb::DB::Open(db_options, options.path, cfs, &impl->handles, &raw),
                                 "report_store", absl::StrCat("open ", options.path)));
  impl->db.reset(raw);
  impl->reports_cf = impl->handles[1];
  impl->by_content_cf = impl->handles[2];
  impl->by_id_cf = impl->handles[3];
  std::unique_ptr<rocksdb::Iterator> it(impl->db->NewIterator(rocksdb::ReadOptions(), impl->reports_cf));
  it->SeekToLast();
  {
    absl::MutexLock lock(&impl->mu);
    if (it->Valid()) impl->last_sequence = ParseU64(it->key());
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
    return absl::InvalidArgumentError("report_store: a report needs file hashes or evidence");
  }
  absl::MutexLock lock(&impl_->mu);
  const std::string content_key = ContentKey(draft.origin, draft.content_id);
  HW_ASSIGN_OR_RETURN(std::optional<uint64_t> existing,
                      impl_->Lookup(impl_->by_content_cf, content_key));
  if (existing.has_value()) {
    HW_ASSIGN_OR_RETURN(std::optional<Report> r, impl_->BySequence(*existing));
    if (!r.has_value()) return absl::DataLossError("report_store: content index names a missing report");
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
  batch.Put(impl_->reports_cf, U64Key(r.sequence), ToJson(r));
  batch.Put(impl_->by_content_cf, content_key, U64Key(r.sequence));
  batch.Put(impl_->by_id_cf, r.id, U64Key(r.sequence));
  HW_RETURN_IF_ERROR(FromRocksDb(impl_->db->Write(impl_->write_options, &batch), "report_store",
                                 "create report"));
  impl_->last_sequence = r.sequence;
  return r;
}

absl::StatusOr<Report> ReportStore::Get(absl::string_view id) const {
  HW_ASSIGN_OR_RETURN(std::optional<uint64_t> seq, impl_->Lookup(impl_->by_id_cf, id));
  if (!seq.has_value()) return absl::NotFoundError(absl::StrCat("report_store: no report ", id));
  HW_ASSIGN_OR_RETURN(std::optional<Report> r, impl_->BySequence(*seq));
  if (!r.has_value()) return absl::DataLossError("report_store: id index names a missing report");
  return *r;
}

absl::StatusOr<std::vector<Report>> ReportStore::List(const ReportFilter& f) const {
  std::vector<Report> out;
  // Nothing comes after the largest sequence (and +1 would wrap to 0,
  // replaying every report).
  if (f.after_sequence == std::numeric_limits<uint64_t>::max()) return out;
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->reports_cf));
  for (it->Seek(U64Key(f.after_sequence + 1)); it->Valid() && out.size() < f.limit; it->Next()) {
    HW_ASSIGN_OR_RETURN(Report r, FromJson(absl::string_view(it->value().data(), it->value().size())));
    if (r.created < f.from || r.created >= f.to) continue;
    if (f.state.has_value() && r.state != *f.state) continue;
    if (!f.bank.empty()) {
      bool has = false;
      for (const matcher::MatchEvidence& e : r.evidence) has |= e.bank == f.bank;
      if (!has) continue;
    }
    out.push_back(std::move(r));
  }
  HW_RETURN_IF_ERROR(FromRocksDb(it->status(), "report_store", "list reports"));
  return out;
}

absl::StatusOr<Report> ReportStore::MarkSubmitted(absl::string_view id, absl::string_view ref) {
  absl::MutexLock lock(&impl_->mu);
  HW_ASSIGN_OR_RETURN(std::optional<uint64_t> seq, impl_->Lookup(impl_->by_id_cf, id));
  if (!seq.has_value()) return absl::NotFoundError(absl::StrCat("report_store: no report ", id));
  HW_ASSIGN_OR_RETURN(std::optional<Report> r, impl_->BySequence(*seq));
  if (!r.has_value()) return absl::DataLossError("report_store: id index names a missing report");
  if (r->state == ReportState::kSubmitted) return *r;
  r->state = ReportState::kSubmitted;
  r->submission_ref = std::string(ref);
  HW_RETURN_IF_ERROR(FromRocksDb(
      impl_->db->Put(impl_->write_options, impl_->reports_cf, U64Key(*seq), ToJson(*r)),
      "report_store", "mark submitted"));
  return *r;
}

uint64_t ReportStore::WaitForReports(uint64_t after, absl::Time deadline) const {
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
