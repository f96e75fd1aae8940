#include "report/internal/report_record.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/legacy_json.h"
#include "common/record_codec.h"
#include "common/status_macros.h"
#include "common/time_format.h"

namespace hashwatch::report::internal {
namespace {

constexpr uint64_t kReportVersion = 1;

std::string What(uint64_t sequence) {
  return absl::StrCat("report_store: report ", sequence, " record");
}

void EncodeEvidence(RecordEncoder& e, const matcher::MatchEvidence& ev) {
  e.Bytes(ev.bank);
  e.Varint(ev.entry_id);
  e.Bytes(ev.signal);
  e.Bytes(ev.hash);
  e.Bytes(ev.source);
  e.Bytes(ev.category);
  e.Signed(ev.distance);
}

bool DecodeEvidence(RecordDecoder& d, matcher::MatchEvidence* ev) {
  return d.Bytes(&ev->bank) && d.Varint(&ev->entry_id) &&
         d.Bytes(&ev->signal) && d.Bytes(&ev->hash) && d.Bytes(&ev->source) &&
         d.Bytes(&ev->category) && d.Int(&ev->distance);
}

// The fields before the evidence.
bool DecodeHead(RecordDecoder& d, Report* r) {
  return d.Varint(&r->sequence) && d.Bytes(&r->id) && d.Time(&r->created) &&
         d.Enum(&r->origin, 1, 2) && d.Enum(&r->state, 1, 2) &&
         d.Bytes(&r->submission_ref) && d.Bytes(&r->platform) &&
         d.Bytes(&r->incident_type) && d.Bytes(&r->content_id) &&
         d.Bytes(&r->hashes.md5) && d.Bytes(&r->hashes.sha1) &&
         d.Bytes(&r->hashes.sha256) && d.Bytes(&r->hashes.pdq) &&
         d.Int(&r->hashes.pdq_quality) && d.Bytes(&r->category);
}

// The fields after the evidence.
bool DecodeTail(RecordDecoder& d, Report* r) {
  return d.Bool(&r->viewed_by_platform) && d.Bytes(&r->viewed_by) &&
         d.Time(&r->viewed_at) && d.Bytes(&r->review_item_id) &&
         d.Bytes(&r->uploader_account) && d.Bytes(&r->uploader_ip) &&
         d.Time(&r->upload_time) && d.Time(&r->preservation_deadline);
}

absl::StatusOr<Report> DecodeVersioned(uint64_t sequence,
                                       absl::string_view data) {
  Report r;
  RecordDecoder d(data);
  uint64_t version = 0, n = 0;
  bool ok = d.Varint(&version) && DecodeHead(d, &r) && d.Varint(&n) &&
            n <= data.size();
  for (uint64_t i = 0; ok && i < n; ++i) {
    matcher::MatchEvidence ev;
    ok = DecodeEvidence(d, &ev);
    r.evidence.push_back(std::move(ev));
  }
  ok = ok && DecodeTail(d, &r);
  if (ok && !d.done()) {
    for (matcher::MatchEvidence& ev : r.evidence) ok = ok && d.Bytes(&ev.path);
  }
  if (!ok || !d.done()) {
    return absl::DataLossError(
        absl::StrCat(What(sequence), " is corrupt (version ", version, ")"));
  }
  return r;
}

// A legacy JSON time: "" is none (InfinitePast); other text must parse.
bool ReadJsonTime(JsonFieldReader& reader, const char* key, absl::Time* t) {
  std::string text;
  reader.Get(key, &text);
  if (text.empty()) {
    *t = absl::InfinitePast();
    return true;
  }
  absl::StatusOr<absl::Time> parsed = ParseRfc3339(text);
  if (!parsed.ok()) return false;
  *t = *parsed;
  return true;
}

absl::Status ReadJsonEvidence(const nlohmann::json& j, const std::string& what,
                              Report* r) {
  const auto list = j.find("evidence");
  if (list == j.end()) return absl::OkStatus();
  if (!list->is_array()) {
    return absl::DataLossError(
        absl::StrCat(what, " is corrupt: field \"evidence\" is not a list"));
  }
  for (const nlohmann::json& e : *list) {
    if (!e.is_object()) {
      return absl::DataLossError(absl::StrCat(
          what, " is corrupt: field \"evidence\" holds a non-object"));
    }
    matcher::MatchEvidence ev;
    JsonFieldReader reader(e);
    reader.Get("bank", &ev.bank);
    reader.Get("entry_id", &ev.entry_id);
    reader.Get("signal", &ev.signal);
    reader.Get("value", &ev.hash);
    reader.Get("source", &ev.source);
    reader.Get("category", &ev.category);
    reader.Get("distance", &ev.distance);
    HW_RETURN_IF_ERROR(reader.status(absl::StrCat(what, " evidence")));
    r->evidence.push_back(std::move(ev));
  }
  return absl::OkStatus();
}

absl::StatusOr<Report> DecodeJson(uint64_t sequence, absl::string_view data) {
  const std::string what = What(sequence);
  HW_ASSIGN_OR_RETURN(nlohmann::json j, ParseJsonRecord(data, what));
  Report r;
  std::string origin, state;
  JsonFieldReader reader(j);
  reader.Get("sequence", &r.sequence);
  reader.Get("id", &r.id);
  reader.Get("origin", &origin);
  reader.Get("state", &state);
  reader.Get("submission_ref", &r.submission_ref);
  reader.Get("platform", &r.platform);
  reader.Get("incident_type", &r.incident_type);
  reader.Get("content_id", &r.content_id);
  reader.Get("md5", &r.hashes.md5);
  reader.Get("sha1", &r.hashes.sha1);
  reader.Get("sha256", &r.hashes.sha256);
  reader.Get("pdq", &r.hashes.pdq);
  reader.Get("pdq_quality", &r.hashes.pdq_quality);
  reader.Get("category", &r.category);
  reader.Get("viewed_by_platform", &r.viewed_by_platform);
  reader.Get("viewed_by", &r.viewed_by);
  reader.Get("review_item_id", &r.review_item_id);
  reader.Get("uploader_account", &r.uploader_account);
  reader.Get("uploader_ip", &r.uploader_ip);
  HW_RETURN_IF_ERROR(reader.status(what));
  for (const auto& [key, t] :
       {std::pair{"created", &r.created}, std::pair{"viewed_at", &r.viewed_at},
        std::pair{"upload_time", &r.upload_time},
        std::pair{"preservation_deadline", &r.preservation_deadline}}) {
    if (!ReadJsonTime(reader, key, t)) {
      return absl::DataLossError(absl::StrCat(
          what, " is corrupt: field \"", key, "\" is not an RFC 3339 time"));
    }
  }
  HW_RETURN_IF_ERROR(reader.status(what));
  r.origin = origin == "moderator_confirm" ? ReportOrigin::kModeratorConfirm
                                           : ReportOrigin::kAutomatic;
  r.state =
      state == "submitted" ? ReportState::kSubmitted : ReportState::kPending;
  // JSON records stored 0 for "no PDQ hash".
  if (r.hashes.pdq.empty()) r.hashes.pdq_quality = -1;
  HW_RETURN_IF_ERROR(ReadJsonEvidence(j, what, &r));
  return r;
}

}  // namespace

std::string EncodeReport(const Report& r) {
  RecordEncoder e(kReportVersion);
  e.Varint(r.sequence);
  e.Bytes(r.id);
  e.Time(r.created);
  e.Varint(static_cast<uint64_t>(r.origin));
  e.Varint(static_cast<uint64_t>(r.state));
  e.Bytes(r.submission_ref);
  e.Bytes(r.platform);
  e.Bytes(r.incident_type);
  e.Bytes(r.content_id);
  e.Bytes(r.hashes.md5);
  e.Bytes(r.hashes.sha1);
  e.Bytes(r.hashes.sha256);
  e.Bytes(r.hashes.pdq);
  e.Signed(r.hashes.pdq_quality);
  e.Bytes(r.category);
  e.Varint(r.evidence.size());
  for (const matcher::MatchEvidence& ev : r.evidence) EncodeEvidence(e, ev);
  e.Bool(r.viewed_by_platform);
  e.Bytes(r.viewed_by);
  e.Time(r.viewed_at);
  e.Bytes(r.review_item_id);
  e.Bytes(r.uploader_account);
  e.Bytes(r.uploader_ip);
  e.Time(r.upload_time);
  e.Time(r.preservation_deadline);
  // Added after version 1 shipped: the evidence's paths, written only when
  // one is set, so records written before them decode unchanged.
  const bool paths = std::any_of(
      r.evidence.begin(), r.evidence.end(),
      [](const matcher::MatchEvidence& ev) { return !ev.path.empty(); });
  if (paths) {
    for (const matcher::MatchEvidence& ev : r.evidence) e.Bytes(ev.path);
  }
  return e.Release();
}

absl::StatusOr<Report> DecodeReport(uint64_t sequence, absl::string_view data) {
  if (HasRecordVersion(data, kReportVersion)) {
    return DecodeVersioned(sequence, data);
  }
  return DecodeJson(sequence, data);
}

}  // namespace hashwatch::report::internal
