#include "review_api/validation.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "matcher/pdq.h"
#include "review_api/convert.h"

namespace hashwatch::review_api {
namespace {

constexpr size_t kMaxContentIdBytes = 256;
constexpr size_t kMaxSignals = 32;
constexpr size_t kMaxFieldBytes = 256;
constexpr size_t kMaxNoteBytes = 4096;
constexpr size_t kMaxReasonBytes = 1024;

// Ids and names (a content id, a category, a bank's name...) hold no
// control characters (bytes 0x00-0x1f, 0x7f): none can end a log line, hide
// in a report or cut a C string short. The error names the field and where.
absl::Status CheckNoControl(absl::string_view field, absl::string_view value) {
  for (size_t i = 0; i < value.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if (c < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " has a control character (byte 0x",
                       absl::Hex(c, absl::kZeroPad2), ") at offset ", i));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckContentId(absl::string_view id) {
  if (id.empty()) return absl::InvalidArgumentError("content_id is required");
  if (id.size() > kMaxContentIdBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "content_id is ", id.size(), " bytes, more than ", kMaxContentIdBytes));
  }
  return CheckNoControl("content_id", id);
}

bool IsSignalWord(absl::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

absl::Status CheckIp(const std::string& ip) {
  unsigned char buf[16];
  // inet_pton stops at a NUL: "1.2.3.4\0anything" must not pass as 1.2.3.4.
  if (ip.find('\0') != std::string::npos ||
      (inet_pton(AF_INET, ip.c_str(), buf) != 1 &&
       inet_pton(AF_INET6, ip.c_str(), buf) != 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "context.uploader_ip \"", absl::CHexEscape(ip.substr(0, 64)),
        "\" is not an IP address"));
  }
  return absl::OkStatus();
}

// The digest fields of v1::Hashes, by signal type.
constexpr matcher::SignalType kDigestTypes[] = {matcher::SignalType::kMd5,
                                                matcher::SignalType::kSha1,
                                                matcher::SignalType::kSha256};

const std::string& GivenDigest(const v1::Hashes& h, matcher::SignalType type) {
  switch (type) {
    case matcher::SignalType::kMd5:
      return h.md5();
    case matcher::SignalType::kSha1:
      return h.sha1();
    default:
      return h.sha256();
  }
}

std::string* Digest(matcher::ContentHashes* h, matcher::SignalType type) {
  switch (type) {
    case matcher::SignalType::kMd5:
      return &h->md5;
    case matcher::SignalType::kSha1:
      return &h->sha1;
    default:
      return &h->sha256;
  }
}

}  // namespace

RequestValidator::RequestValidator(const ServerConfig& config,
                                   std::vector<std::string> lanes,
                                   std::string escalation_lane)
    : config_(config),
      lanes_(std::move(lanes)),
      escalation_lane_(std::move(escalation_lane)) {}

absl::Status RequestValidator::CheckLane(absl::string_view lane,
                                         absl::string_view field) const {
  if (std::find(lanes_.begin(), lanes_.end(), lane) != lanes_.end())
    return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      field, " \"", lane.substr(0, 64),
      "\" is not a lane (lanes: ", absl::StrJoin(lanes_, ", "), ")"));
}

absl::Status RequestValidator::CheckContext(const v1::ScanContext& c) const {
  if (c.has_classifier_score() &&
      !(std::isfinite(c.classifier_score()) && c.classifier_score() >= 0 &&
        c.classifier_score() <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("context.classifier_score must be in 0..1 (got ",
                     c.classifier_score(), ")"));
  }
  if (static_cast<size_t>(c.signals_size()) > kMaxSignals) {
    return absl::InvalidArgumentError(absl::StrCat(
        "context.signals has more than ", kMaxSignals, " entries"));
  }
  for (const std::string& s : c.signals()) {
    if (!IsSignalWord(s)) {
      return absl::InvalidArgumentError(
          absl::StrCat("context.signals: \"", s.substr(0, 64),
                       "\" is not 1..64 of [a-z0-9_]"));
    }
  }
  if (c.uploader_id().size() > kMaxFieldBytes) {
    return absl::InvalidArgumentError(
        "context.uploader_id is longer than 256 bytes");
  }
  HW_RETURN_IF_ERROR(CheckNoControl("context.uploader_id", c.uploader_id()));
  if (!c.uploader_ip().empty()) HW_RETURN_IF_ERROR(CheckIp(c.uploader_ip()));
  if (c.has_upload_time()) {
    HW_RETURN_IF_ERROR(
        FromProtoChecked(c.upload_time(), "context.upload_time").status());
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------- scan ----

absl::Status RequestValidator::CheckScan(const v1::ScanRequest& request) const {
  HW_RETURN_IF_ERROR(CheckContentId(request.content_id()));
  HW_RETURN_IF_ERROR(CheckContext(request.context()));
  if (!request.context().lane().empty()) {
    HW_RETURN_IF_ERROR(CheckLane(request.context().lane(), "context.lane"));
  }
  return absl::OkStatus();
}

absl::Status RequestValidator::CheckImage(const std::string& image) const {
  if (image.empty()) return absl::InvalidArgumentError("image is empty");
  if (static_cast<int64_t>(image.size()) > config_.limits.max_image_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "image is ", image.size(), " bytes, more than limits.max_image_bytes ",
        config_.limits.max_image_bytes));
  }
  return absl::OkStatus();
}

absl::StatusOr<matcher::ContentHashes> RequestValidator::GivenHashes(
    const v1::Hashes& given) const {
  if (given.pdq().empty() && given.md5().empty() && given.sha1().empty() &&
      given.sha256().empty()) {
    return absl::InvalidArgumentError(
        "hashes: at least one of pdq, md5, sha1, sha256 is required");
  }
  matcher::ContentHashes out;
  if (!given.pdq().empty()) {
    auto pdq = matcher::PdqHash::FromHex(given.pdq());
    if (!pdq.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("hashes.pdq: ", pdq.status().message()));
    }
    if (given.pdq_quality() < 0 || given.pdq_quality() > 100) {
      return absl::InvalidArgumentError(
          absl::StrCat("hashes.pdq_quality must be in 0..100 (got ",
                       given.pdq_quality(), ")"));
    }
    out.pdq = pdq->ToHex();
    out.pdq_quality = given.pdq_quality();
  }
  for (matcher::SignalType type : kDigestTypes) {
    const std::string& value = GivenDigest(given, type);
    if (value.empty()) continue;
    auto canonical = matcher::CanonicalHashValue(type, value);
    if (!canonical.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("hashes.", matcher::SignalTypeName(type), ": ",
                       canonical.status().message()));
    }
    *Digest(&out, type) = *std::move(canonical);
  }
  return out;
}

// ---------------------------------------------------------------- review --

absl::StatusOr<RequestValidator::LeaseArgs> RequestValidator::Lease(
    const v1::LeaseRequest& request, bool lead) const {
  LeaseArgs args;
  args.max_items = request.max_items() == 0 ? 1 : request.max_items();
  if (args.max_items < 1 || args.max_items > config_.limits.max_lease_items) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_items must be in 1..", config_.limits.max_lease_items,
                     " (got ", args.max_items, ")"));
  }
  args.lanes.assign(request.lanes().begin(), request.lanes().end());
  for (const std::string& lane : args.lanes) {
    HW_RETURN_IF_ERROR(CheckLane(lane, "lanes"));
    if (lane == escalation_lane_ && !lead) {
      return absl::PermissionDeniedError(absl::StrCat(
          "only leads and admins lease from the ", escalation_lane_, " lane"));
    }
  }
  if (args.lanes.empty() && !lead) {
    for (const std::string& lane : lanes_) {
      if (lane != escalation_lane_) args.lanes.push_back(lane);
    }
  }
  return args;
}

absl::StatusOr<queue::DecisionRequest> RequestValidator::Decision(
    const v1::DecideRequest& request) const {
  queue::DecisionRequest out;
  switch (request.kind()) {
    case v1::DECISION_KIND_CONFIRM:
      out.kind = queue::DecisionKind::kConfirm;
      break;
    case v1::DECISION_KIND_REJECT:
      out.kind = queue::DecisionKind::kReject;
      break;
    case v1::DECISION_KIND_ESCALATE:
      out.kind = queue::DecisionKind::kEscalate;
      break;
    case v1::DECISION_KIND_SKIP:
      out.kind = queue::DecisionKind::kSkip;
      break;
    default:
      return absl::InvalidArgumentError(
          "kind must be DECISION_KIND_CONFIRM, _REJECT, _ESCALATE or _SKIP");
  }
  if (out.kind == queue::DecisionKind::kConfirm && request.category().empty()) {
    return absl::InvalidArgumentError("category is required to confirm");
  }
  if (request.add_to_allow_list() && out.kind != queue::DecisionKind::kReject) {
    return absl::InvalidArgumentError(
        "add_to_allow_list is only for DECISION_KIND_REJECT");
  }
  if (request.category().size() > kMaxFieldBytes ||
      request.note().size() > kMaxNoteBytes) {
    return absl::InvalidArgumentError(
        "category (256) or note (4096 bytes) is too long");
  }
  HW_RETURN_IF_ERROR(CheckNoControl("category", request.category()));
  out.category = request.category();
  out.add_to_allow_list = request.add_to_allow_list();
  out.note = request.note();
  return out;
}

absl::Status RequestValidator::CheckReveal(
    const v1::RevealRequest& request) const {
  if (request.reason().empty())
    return absl::InvalidArgumentError("reason is required");
  if (request.reason().size() > kMaxReasonBytes) {
    return absl::InvalidArgumentError("reason is longer than 1024 bytes");
  }
  return absl::OkStatus();
}

absl::StatusOr<queue::EnqueueRequest> RequestValidator::Case(
    const v1::EnqueueCaseRequest& request) const {
  HW_RETURN_IF_ERROR(CheckContentId(request.content_id()));
  HW_RETURN_IF_ERROR(CheckContext(request.context()));
  if (request.summary().empty())
    return absl::InvalidArgumentError("summary is required");
  if (request.summary().size() > kMaxNoteBytes) {
    return absl::InvalidArgumentError("summary is longer than 4096 bytes");
  }
  if (request.category().size() > kMaxFieldBytes) {
    return absl::InvalidArgumentError("category is longer than 256 bytes");
  }
  HW_RETURN_IF_ERROR(CheckNoControl("category", request.category()));
  queue::EnqueueRequest item;
  item.lane =
      request.lane().empty() ? config_.review.case_lane : request.lane();
  HW_RETURN_IF_ERROR(CheckLane(item.lane, "lane"));
  item.content_id = request.content_id();
  item.kind = queue::ItemKind::kCase;
  item.context = FromProto(request.context());
  item.category = request.category();
  item.summary = request.summary();
  return item;
}

// ---------------------------------------------------------------- banks ---

absl::StatusOr<matcher::BankKind> RequestValidator::BankKind(
    v1::BankKind kind) const {
  switch (kind) {
    case v1::BANK_KIND_UNSPECIFIED:
    case v1::BANK_KIND_MATCH:
      return matcher::BankKind::kMatch;
    case v1::BANK_KIND_ALLOW:
      return matcher::BankKind::kAllow;
    default:
      return absl::InvalidArgumentError(
          "kind must be BANK_KIND_MATCH or BANK_KIND_ALLOW");
  }
}

absl::StatusOr<matcher::NewEntry> RequestValidator::Entry(const v1::NewEntry& e,
                                                          size_t index) const {
  HW_ASSIGN_OR_RETURN(
      matcher::SignalType signal,
      FromProto(e.signal(), absl::StrCat("entries[", index, "].signal")));
  const std::string where = absl::StrCat("entries[", index, "].");
  HW_RETURN_IF_ERROR(CheckNoControl(where + "category", e.category()));
  HW_RETURN_IF_ERROR(CheckNoControl(where + "source", e.source()));
  matcher::NewEntry entry{signal,   e.value(),         e.category(), e.source(),
                          e.note(), e.metadata_json(), std::nullopt};
  if (e.has_disabled_until()) {
    HW_ASSIGN_OR_RETURN(
        entry.disabled_until,
        FromProtoChecked(e.disabled_until(),
                         absl::StrCat("entries[", index, "].disabled_until")));
  }
  return entry;
}

absl::StatusOr<std::pair<matcher::SignalType, std::string>>
RequestValidator::EntryValue(const v1::RemoveEntriesRequest::Value& v,
                             size_t index) const {
  HW_ASSIGN_OR_RETURN(
      matcher::SignalType signal,
      FromProto(v.signal(), absl::StrCat("values[", index, "].signal")));
  auto canonical = matcher::CanonicalHashValue(signal, v.value());
  if (!canonical.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "values[", index, "].value: ", canonical.status().message()));
  }
  return std::make_pair(signal, *std::move(canonical));
}

absl::Status RequestValidator::CheckSameBank(absl::string_view name,
                                             std::string* bank) const {
  if (name.empty())
    return absl::InvalidArgumentError("bank is required in every message");
  HW_RETURN_IF_ERROR(CheckNoControl("bank", name));
  if (bank->empty()) *bank = std::string(name);
  if (*bank != name) {
    return absl::InvalidArgumentError(
        absl::StrCat("every message must name the same bank (", *bank,
                     ", then ", name, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::pair<matcher::SignalType, absl::Time>>
RequestValidator::Disable(const v1::DisableEntryRequest& request) const {
  HW_ASSIGN_OR_RETURN(matcher::SignalType signal,
                      FromProto(request.signal(), "signal"));
  absl::Time until = absl::InfinitePast();
  if (request.has_until()) {
    HW_ASSIGN_OR_RETURN(until, FromProtoChecked(request.until(), "until"));
  }
  return std::make_pair(signal, until);
}

absl::StatusOr<matcher::ListParseOptions> RequestValidator::Import(
    const v1::ImportListRequest& request) const {
  if (request.bank().empty())
    return absl::InvalidArgumentError("bank is required");
  HW_RETURN_IF_ERROR(CheckNoControl("bank", request.bank()));
  matcher::ListParseOptions options;
  if (request.signal() != v1::SIGNAL_TYPE_UNSPECIFIED) {
    HW_ASSIGN_OR_RETURN(options.signal, FromProto(request.signal(), "signal"));
  }
  options.max_entries = config_.limits.max_entries_per_import;
  return options;
}

absl::Status RequestValidator::AddImages(
    const v1::AddImagesRequest& request) const {
  if (request.bank().empty())
    return absl::InvalidArgumentError("bank is required");
  HW_RETURN_IF_ERROR(CheckNoControl("bank", request.bank()));
  if (request.images().empty())
    return absl::InvalidArgumentError("images: at least one is required");
  if (request.images_size() > kMaxAddImages) {
    return absl::InvalidArgumentError(
        absl::StrCat("images: ", request.images_size(), " pictures, more than ",
                     kMaxAddImages, " in one call"));
  }
  HW_RETURN_IF_ERROR(CheckNoControl("category", request.category()));
  HW_RETURN_IF_ERROR(CheckNoControl("source", request.source()));
  HW_RETURN_IF_ERROR(CheckNoControl("note", request.note()));
  for (int i = 0; i < request.images_size(); ++i) {
    const v1::AddImagesRequest::Image& image = request.images(i);
    const std::string field = absl::StrCat("images[", i, "]");
    HW_RETURN_IF_ERROR(CheckNoControl(field + ".name", image.name()));
    if (image.name().size() > 1024) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".name is longer than 1024 bytes"));
    }
  }
  return absl::OkStatus();
}

absl::Status RequestValidator::CheckImportCount(size_t entries) const {
  const size_t limit = config_.limits.max_entries_per_import;
  if (entries <= limit) return absl::OkStatus();
  return absl::ResourceExhaustedError(
      absl::StrCat("more than limits.max_entries_per_import (", limit,
                   ") entries in one call"));
}

absl::Status RequestValidator::CheckWriteCount(size_t values) const {
  const size_t limit = config_.limits.max_entries_per_write;
  if (values <= limit) return absl::OkStatus();
  return absl::ResourceExhaustedError(
      absl::StrCat("more than limits.max_entries_per_write (", limit,
                   ") values in one call"));
}

// ---------------------------------------------------------------- reports -

absl::Status RequestValidator::CheckReportId(absl::string_view id) const {
  if (id.empty()) return absl::InvalidArgumentError("id is required");
  return CheckNoControl("id", id);
}

absl::Status RequestValidator::CheckMarkSubmitted(
    const v1::MarkSubmittedRequest& request) const {
  HW_RETURN_IF_ERROR(CheckReportId(request.id()));
  if (request.submission_ref().empty()) {
    return absl::InvalidArgumentError("submission_ref is required");
  }
  HW_RETURN_IF_ERROR(
      CheckNoControl("submission_ref", request.submission_ref()));
  return absl::OkStatus();
}

absl::StatusOr<report::ReportFilter> RequestValidator::ReportFilter(
    const v1::ListReportsRequest& request) const {
  return FromProto(request, config_.limits.max_list_reports);
}

absl::StatusOr<std::pair<report::ReportFilter, size_t>>
RequestValidator::ExportFilter(const v1::ListReportsRequest& request) const {
  v1::ListReportsRequest page = request;
  page.set_limit(0);
  HW_ASSIGN_OR_RETURN(report::ReportFilter filter, ReportFilter(page));
  if (request.limit() < 0)
    return absl::InvalidArgumentError("limit must be >= 0");
  return std::make_pair(filter, static_cast<size_t>(request.limit()));
}

}  // namespace hashwatch::review_api
