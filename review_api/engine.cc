#include "review_api/engine.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <system_error>

#include "absl/hash/hash.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "matcher/hashes.h"
#include "matcher/preview.h"
#include "review_api/convert.h"

namespace hashwatch::review_api {
namespace {

constexpr size_t kMaxContentIdBytes = 256;
constexpr size_t kMaxSignals = 32;
constexpr size_t kMaxFieldBytes = 256;

absl::Status ValidateContentId(absl::string_view id) {
  if (id.empty()) return absl::InvalidArgumentError("content_id is required");
  if (id.size() > kMaxContentIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("content_id is ", id.size(), " bytes, more than ", kMaxContentIdBytes));
  }
  return absl::OkStatus();
}

bool IsSignalWord(absl::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

absl::Status ValidateContext(const v1::ScanContext& c) {
  if (c.has_classifier_score() &&
      !(std::isfinite(c.classifier_score()) && c.classifier_score() >= 0 &&
        c.classifier_score() <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "context.classifier_score must be in 0..1 (got ", c.classifier_score(), ")"));
  }
  if (static_cast<size_t>(c.signals_size()) > kMaxSignals) {
    return absl::InvalidArgumentError(
        absl::StrCat("context.signals has more than ", kMaxSignals, " entries"));
  }
  for (const std::string& s : c.signals()) {
    if (!IsSignalWord(s)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "context.signals: \"", s.substr(0, 64), "\" is not 1..64 of [a-z0-9_]"));
    }
  }
  if (c.uploader_id().size() > kMaxFieldBytes) {
    return absl::InvalidArgumentError("context.uploader_id is longer than 256 bytes");
  }
  if (!c.uploader_ip().empty()) {
    unsigned char buf[16];
    // inet_pton stops at a NUL: "1.2.3.4\0anything" must not pass as 1.2.3.4.
    if (c.uploader_ip().find('\0') != std::string::npos ||
        (inet_pton(AF_INET, c.uploader_ip().c_str(), buf) != 1 &&
         inet_pton(AF_INET6, c.uploader_ip().c_str(), buf) != 1)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "context.uploader_ip \"", absl::CHexEscape(c.uploader_ip().substr(0, 64)),
          "\" is not an IP address"));
    }
  }
  if (c.has_upload_time()) {
    HW_RETURN_IF_ERROR(FromProtoChecked(c.upload_time(), "context.upload_time").status());
  }
  return absl::OkStatus();
}

constexpr matcher::SignalType kDigestTypes[] = {
    matcher::SignalType::kMd5, matcher::SignalType::kSha1, matcher::SignalType::kSha256};

// The field of `h` that holds a digest of type `type` (md5, sha1, sha256).
std::string* MutableDigest(v1::Hashes* h, matcher::SignalType type) {
  switch (type) {
    case matcher::SignalType::kMd5: return h->mutable_md5();
    case matcher::SignalType::kSha1: return h->mutable_sha1();
    default: return h->mutable_sha256();
  }
}
const std::string& Digest(const v1::Hashes& h, matcher::SignalType type) {
  switch (type) {
    case matcher::SignalType::kMd5: return h.md5();
    case matcher::SignalType::kSha1: return h.sha1();
    default: return h.sha256();
  }
}

std::string EntryCategory(const matcher::Match& m) {
  return m.entry.category.empty() ? m.policy.default_category : m.entry.category;
}

v1::Verdict ToProto(matcher::Verdict v) {
  switch (v) {
    case matcher::Verdict::kNoMatch: return v1::NO_MATCH;
    case matcher::Verdict::kAutoReport: return v1::AUTO_REPORTED;
    case matcher::Verdict::kReview: return v1::QUEUED_FOR_REVIEW;
    case matcher::Verdict::kAllowed: return v1::ALLOWED;
  }
  return v1::VERDICT_UNSPECIFIED;
}

absl::StatusOr<queue::DecisionKind> FromProto(v1::DecisionKind k) {
  switch (k) {
    case v1::DECISION_KIND_CONFIRM: return queue::DecisionKind::kConfirm;
    case v1::DECISION_KIND_REJECT: return queue::DecisionKind::kReject;
    case v1::DECISION_KIND_ESCALATE: return queue::DecisionKind::kEscalate;
    case v1::DECISION_KIND_SKIP: return queue::DecisionKind::kSkip;
    default:
      return absl::InvalidArgumentError(
          "kind must be DECISION_KIND_CONFIRM, _REJECT, _ESCALATE or _SKIP");
  }
}

}  // namespace

Engine::Engine(const ServerConfig& config, Clock* clock)
    : config_(config),
      clock_(clock),
      flood_guard_({.max_distinct_contents = config.scan.flood_max_distinct_contents,
                    .window = config.scan.flood_window},
                   clock) {
  routing_.novel_classifier_threshold = config.scan.novel_classifier_threshold;
  routing_.review_user_reports = config.scan.review_user_reports;
  routing_.review_signals = config.scan.review_signals;
}

Engine::~Engine() = default;

absl::StatusOr<std::unique_ptr<Engine>> Engine::Open(
    const ServerConfig& config, Clock* clock,
    std::function<bool()> cancel_load) {
  HW_RETURN_IF_ERROR(ValidateServerConfig(config));
  std::error_code ec;
  std::filesystem::create_directories(config.db, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot create database directory ", config.db, ": ", ec.message()));
  }
  std::unique_ptr<Engine> e(new Engine(config, clock));
  HW_RETURN_IF_ERROR(matcher::ValidateRoutingOptions(e->routing_));

  const queue::QueueOptions queue_options = QueueOptionsFromConfig(config);
  for (const queue::LaneOptions& lane : queue_options.lanes) e->lanes_.push_back(lane.name);
  e->escalation_lane_ = queue_options.escalation_lane;
  for (const std::string* lane :
       {&config.scan.default_lane, &config.scan.user_report_lane, &config.review.case_lane}) {
    HW_RETURN_IF_ERROR(e->ValidateLane(*lane, "config lane"));
  }

  matcher::BankStoreOptions bank_options;
  bank_options.path = config.db + "/banks";
  bank_options.max_entries_per_write = config.limits.max_entries_per_write;
  bank_options.max_entries_per_import = config.limits.max_entries_per_import;
  bank_options.cancel_load = std::move(cancel_load);
  HW_ASSIGN_OR_RETURN(e->banks_, matcher::BankStore::Open(bank_options, clock));
  HW_ASSIGN_OR_RETURN(e->queue_, queue::ReviewQueue::Open(queue_options, clock));
  report::ReportStoreOptions report_options;
  report_options.path = config.db + "/reports";
  report_options.retention = config.reports.retention;
  report_options.platform = config.reports.platform;
  report_options.incident_type = config.reports.incident_type;
  HW_ASSIGN_OR_RETURN(e->reports_, report::ReportStore::Open(report_options, clock));
  HW_ASSIGN_OR_RETURN(e->records_, ScanRecords::Open({.path = config.db + "/scans"}, clock));

  // The banks that moderators' decisions feed.
  for (const auto& [name, kind] :
       {std::pair{config.review.platform_bank, matcher::BankKind::kMatch},
        std::pair{config.review.allow_bank, matcher::BankKind::kAllow}}) {
    auto bank = e->banks_->GetBank(name);
    if (absl::IsNotFound(bank.status())) {
      HW_RETURN_IF_ERROR(e->banks_->CreateBank(name, kind, matcher::BankPolicy()).status());
      HW_LOG(kInfo, "created bank %s (%s)", name, matcher::BankKindName(kind));
    } else if (!bank.ok()) {
      return bank.status();
    } else if (bank->kind != kind) {
      return absl::FailedPreconditionError(
          absl::StrCat("bank ", name, " exists but is a ", matcher::BankKindName(bank->kind),
                       " bank; the configuration needs a ", matcher::BankKindName(kind), " bank"));
    }
  }
  return e;
}

absl::Status Engine::ValidateLane(absl::string_view lane, absl::string_view field) const {
  if (std::find(lanes_.begin(), lanes_.end(), lane) != lanes_.end()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, " \"", lane.substr(0, 64),
                                                 "\" is not a lane (lanes: ",
                                                 absl::StrJoin(lanes_, ", "), ")"));
}

absl::Status Engine::CheckImage(const std::string& image) const {
  if (image.empty()) return absl::InvalidArgumentError("image is empty");
  if (static_cast<int64_t>(image.size()) > config_.limits.max_image_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat("image is ", image.size(),
                                                     " bytes, more than limits.max_image_bytes ",
                                                     config_.limits.max_image_bytes));
  }
  return absl::OkStatus();
}

matcher::DecodeOptions Engine::Decoding(bool compat) const {
  return {.mode = compat ? matcher::DecodeMode::kCompat : matcher::DecodeMode::kFast,
          .max_pixels = config_.limits.max_image_pixels,
          .max_bytes = config_.limits.max_image_bytes};
}

absl::StatusOr<v1::ScanResponse> Engine::Scan(const v1::ScanRequest& request) {
  HW_RETURN_IF_ERROR(ValidateContentId(request.content_id()));
  HW_RETURN_IF_ERROR(ValidateContext(request.context()));
  if (!request.context().lane().empty()) {
    HW_RETURN_IF_ERROR(ValidateLane(request.context().lane(), "context.lane"));
  }
  // Validating and hashing need no lock: scans of other content ids that
  // share this one's lock stripe are not held up by it. (A repeated scan
  // hashes again before it finds its record; repeats are retries, rare.)
  HW_ASSIGN_OR_RETURN(ScanHashes hashes, ComputeHashes(request));
  absl::Mutex& lock =
      content_locks_[absl::Hash<std::string>()(request.content_id()) % content_locks_.size()];
  absl::MutexLock hold(&lock);
  return ScanLocked(request, std::move(hashes));
}

absl::StatusOr<Engine::ScanHashes> Engine::ComputeHashes(const v1::ScanRequest& request) const {
  ScanHashes out;
  if (request.has_hashes()) {
    const v1::Hashes& given = request.hashes();
    if (given.pdq().empty() && given.md5().empty() && given.sha1().empty() &&
        given.sha256().empty()) {
      return absl::InvalidArgumentError("hashes: at least one of pdq, md5, sha1, sha256 is required");
    }
    if (!given.pdq().empty()) {
      auto pdq = matcher::PdqHash::FromHex(given.pdq());
      if (!pdq.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("hashes.pdq: ", pdq.status().message()));
      }
      if (given.pdq_quality() < 0 || given.pdq_quality() > 100) {
        return absl::InvalidArgumentError(
            absl::StrCat("hashes.pdq_quality must be in 0..100 (got ", given.pdq_quality(), ")"));
      }
      out.queries.push_back(*pdq);
      out.hashes.set_pdq(pdq->ToHex());
      out.hashes.set_pdq_quality(given.pdq_quality());
      out.quality = given.pdq_quality();
    }
    for (matcher::SignalType type : kDigestTypes) {
      const std::string& value = Digest(given, type);
      if (value.empty()) continue;
      auto canonical = matcher::CanonicalHashValue(type, value);
      if (!canonical.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "hashes.", matcher::SignalTypeName(type), ": ", canonical.status().message()));
      }
      *MutableDigest(&out.hashes, type) = *std::move(canonical);
    }
    return out;
  }
  if (!request.has_image()) return absl::InvalidArgumentError("one of image or hashes is required");
  HW_RETURN_IF_ERROR(CheckImage(request.image()));
  auto computed = matcher::HashImage(
      request.image(),
      {.decode = Decoding(config_.scan.compat_decode), .dihedral = config_.scan.dihedral});
  if (!computed.ok()) {
    return absl::Status(computed.status().code(),
                        absl::StrCat("image: ", computed.status().message()));
  }
  out.hashes.set_pdq(computed->pdq.hash.ToHex());
  out.hashes.set_pdq_quality(computed->pdq.quality);
  out.hashes.set_md5(computed->md5);
  out.hashes.set_sha1(computed->sha1);
  out.hashes.set_sha256(computed->sha256);
  out.quality = computed->pdq.quality;
  if (computed->pdq.has_dihedral) {
    out.queries.assign(computed->pdq.dihedral.begin(), computed->pdq.dihedral.end());
  } else {
    out.queries.push_back(computed->pdq.hash);
  }
  return out;
}

absl::StatusOr<v1::ScanResponse> Engine::ScanLocked(const v1::ScanRequest& request,
                                                    ScanHashes computed) {
  const std::string& content_id = request.content_id();
  HW_ASSIGN_OR_RETURN(std::optional<std::string> stored, records_->Get(content_id));
  if (stored) {
    v1::ScanResponse replay;
    if (!replay.ParseFromString(*stored)) {
      return absl::DataLossError(absl::StrCat("scan record of ", content_id, " is corrupt"));
    }
    replay.set_replayed(true);
    return replay;
  }

  v1::ScanResponse response;
  response.set_content_id(content_id);
  *response.mutable_hashes() = std::move(computed.hashes);
  const v1::Hashes* hashes = &response.hashes();
  const std::vector<matcher::PdqHash>& queries = computed.queries;
  const int quality = computed.quality;

  // Look up: every bank's PDQ entries within the widest review radius, and
  // the exact digests by key.
  std::vector<matcher::Match> matches;
  if (!queries.empty()) {
    int radius = 0;
    for (const matcher::Bank& b : banks_->ListBanks()) {
      radius = std::max(radius, b.policy.review_distance);
    }
    HW_ASSIGN_OR_RETURN(matches, banks_->MatchPdq(queries, radius));
  }
  for (matcher::SignalType type : kDigestTypes) {
    const std::string& value = Digest(*hashes, type);
    if (value.empty()) continue;
    HW_ASSIGN_OR_RETURN(std::vector<matcher::Match> exact, banks_->MatchExact(type, value));
    matches.insert(matches.end(), std::make_move_iterator(exact.begin()),
                   std::make_move_iterator(exact.end()));
  }

  const v1::ScanContext& ctx = request.context();
  matcher::ScanContext routing_context;
  routing_context.classifier_score = ctx.has_classifier_score() ? ctx.classifier_score() : 0;
  routing_context.user_report = ctx.user_report();
  routing_context.signals.assign(ctx.signals().begin(), ctx.signals().end());
  const matcher::RoutingDecision decision =
      matcher::Route(matches, quality, content_id, routing_context, routing_, &flood_guard_);
  for (uint64_t entry : decision.flagged_entries) {
    HW_LOG(kWarning,
           "flood guard: bank entry %d matched more than %d distinct contents within %s; "
           "its matches go to review until a lead checks it",
           entry, config_.scan.flood_max_distinct_contents,
           absl::FormatDuration(config_.scan.flood_window));
  }

  response.set_verdict(ToProto(decision.verdict));
  response.set_novel(decision.novel);
  response.set_reason(decision.reason);
  for (const matcher::RoutedMatch& r : decision.matches) {
    v1::Match* m = response.add_matches();
    m->set_bank(r.match.bank);
    m->set_entry_id(r.match.entry.id);
    m->set_signal(ToProto(r.match.entry.signal));
    m->set_hash(r.match.entry.value);
    m->set_distance(r.match.distance);
    m->set_category(EntryCategory(r.match));
    m->set_dihedral_variant(r.match.variant);
    m->set_allow_bank(r.match.kind == matcher::BankKind::kAllow);
    m->set_covered_by_allow(r.covered_by_allow);
    m->set_auto_report(r.auto_report);
    m->set_flooding(r.flooding);
  }
  const matcher::RoutedMatch* best =
      decision.best >= 0 ? &decision.matches[decision.best] : nullptr;

  if (decision.verdict == matcher::Verdict::kAutoReport) {
    report::Report draft;
    draft.origin = report::ReportOrigin::kAutomatic;
    draft.content_id = content_id;
    draft.md5 = hashes->md5();
    draft.sha1 = hashes->sha1();
    draft.sha256 = hashes->sha256();
    draft.pdq = hashes->pdq();
    draft.pdq_quality = hashes->pdq_quality();
    for (const matcher::RoutedMatch& r : decision.matches) {
      if (r.covered_by_allow) continue;
      draft.evidence.push_back({.bank = r.match.bank,
                                .entry_id = r.match.entry.id,
                                .signal = std::string(matcher::SignalTypeName(r.match.entry.signal)),
                                .value = r.match.entry.value,
                                .source = r.match.entry.source,
                                .category = EntryCategory(r.match),
                                .distance = r.match.distance});
    }
    draft.category = EntryCategory(best->match);
    draft.uploader_account = ctx.uploader_id();
    draft.uploader_ip = ctx.uploader_ip();
    draft.upload_time = ctx.has_upload_time() ? FromProto(ctx.upload_time()) : absl::InfinitePast();
    HW_ASSIGN_OR_RETURN(report::Report filed, reports_->Create(draft));
    response.set_report_id(filed.id);
    HW_LOG(kInfo, "scan %s: auto-reported as %s (%s)", content_id, filed.id, decision.reason);
  } else if (decision.verdict == matcher::Verdict::kReview) {
    queue::EnqueueRequest item;
    item.content_id = content_id;
    item.lane = !ctx.lane().empty()  ? ctx.lane()
                : ctx.user_report() ? config_.scan.user_report_lane
                                    : config_.scan.default_lane;
    item.kind = decision.novel ? queue::ItemKind::kNovel : queue::ItemKind::kHashMatch;
    item.hashes.pdq = hashes->pdq();
    item.hashes.pdq_quality = hashes->pdq().empty() ? -1 : hashes->pdq_quality();
    item.hashes.md5 = hashes->md5();
    item.hashes.sha256 = hashes->sha256();
    for (const matcher::RoutedMatch& r : decision.matches) {
      if (r.covered_by_allow) continue;
      item.matches.push_back({.bank = r.match.bank,
                              .signal_type = std::string(matcher::SignalTypeName(r.match.entry.signal)),
                              .matched_hash = r.match.entry.value,
                              .distance = r.match.distance,
                              .auto_report_distance = r.match.policy.auto_report_distance,
                              .review_distance = r.match.policy.review_distance,
                              .category = EntryCategory(r.match),
                              .source_ref = r.match.entry.source});
    }
    item.context = FromProto(ctx);
    if (best != nullptr) {
      item.category = EntryCategory(best->match);
      item.priority_boost = best->match.policy.priority_boost;
    }
    if (request.has_image()) {
      matcher::PreviewOptions preview;
      preview.max_side = config_.review.preview_max_side;
      auto jpeg = matcher::MakePreview(request.image(), preview, Decoding(false));
      if (jpeg.ok()) {
        item.preview = *std::move(jpeg);
      } else {
        HW_LOG(kWarning, "scan %s: no preview: %s", content_id, jpeg.status().message());
      }
    }
    HW_ASSIGN_OR_RETURN(queue::EnqueueResult queued, queue_->Enqueue(item));
    if (queued.created && request.has_image() && config_.review.keep_reveal_previews) {
      matcher::PreviewOptions reveal;
      reveal.max_side = config_.review.reveal_max_side;
      reveal.blur = false;
      reveal.greyscale = false;
      reveal.jpeg_quality = 85;
      auto jpeg = matcher::MakePreview(request.image(), reveal, Decoding(false));
      if (jpeg.ok()) HW_RETURN_IF_ERROR(records_->PutRevealPreview(queued.item_id, *jpeg));
    }
    response.set_item_id(queued.item_id);
    HW_LOG(kInfo, "scan %s: queued as item %d in %s (%s)", content_id, queued.item_id, item.lane,
           decision.reason);
  }

  // The idempotency record. Verdicts that led to no action keep no hashes
  // and expire; the others are kept with the report or item they point to.
  const bool no_action = decision.verdict == matcher::Verdict::kNoMatch ||
                         decision.verdict == matcher::Verdict::kAllowed;
  if (no_action) {
    v1::ScanResponse record = response;
    record.clear_hashes();
    HW_RETURN_IF_ERROR(records_->Put(content_id, record.SerializeAsString(),
                                     clock_->Now() + config_.scan.no_match_record_ttl,
                                     config_.scan.sync_no_match_records));
  } else {
    HW_RETURN_IF_ERROR(records_->Put(content_id, response.SerializeAsString(),
                                     absl::InfiniteFuture(), /*sync=*/true));
  }
  return response;
}

absl::StatusOr<v1::HashResponse> Engine::Hash(const v1::HashRequest& request) const {
  HW_RETURN_IF_ERROR(CheckImage(request.image()));
  auto h = matcher::HashImage(request.image(),
                              {.decode = Decoding(request.compat()), .dihedral = request.dihedral()});
  if (!h.ok()) return absl::Status(h.status().code(), absl::StrCat("image: ", h.status().message()));
  v1::HashResponse response;
  response.mutable_hashes()->set_pdq(h->pdq.hash.ToHex());
  response.mutable_hashes()->set_pdq_quality(h->pdq.quality);
  response.mutable_hashes()->set_md5(h->md5);
  response.mutable_hashes()->set_sha1(h->sha1);
  response.mutable_hashes()->set_sha256(h->sha256);
  if (h->pdq.has_dihedral) {
    for (const matcher::PdqHash& v : h->pdq.dihedral) response.add_pdq_dihedral(v.ToHex());
  }
  return response;
}

absl::StatusOr<v1::LeaseResponse> Engine::Lease(absl::string_view moderator,
                                                const v1::LeaseRequest& request, bool lead) {
  const int max_items = request.max_items() == 0 ? 1 : request.max_items();
  if (max_items < 1 || max_items > config_.limits.max_lease_items) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_items must be in 1..", config_.limits.max_lease_items, " (got ", max_items, ")"));
  }
  std::vector<std::string> lanes(request.lanes().begin(), request.lanes().end());
  for (const std::string& lane : lanes) {
    HW_RETURN_IF_ERROR(ValidateLane(lane, "lanes"));
    if (lane == escalation_lane_ && !lead) {
      return absl::PermissionDeniedError(
          absl::StrCat("only leads and admins lease from the ", escalation_lane_, " lane"));
    }
  }
  if (lanes.empty() && !lead) {
    for (const std::string& lane : lanes_) {
      if (lane != escalation_lane_) lanes.push_back(lane);
    }
  }
  HW_ASSIGN_OR_RETURN(std::vector<queue::LeasedItem> leased,
                      queue_->Lease(moderator, max_items, lanes));
  v1::LeaseResponse response;
  for (const queue::LeasedItem& l : leased) {
    v1::LeasedItem* out = response.add_items();
    ToProto(l.item, out->mutable_item());
    out->set_lease_id(l.lease.lease_id);
    ToProto(l.expires, out->mutable_expires());
    out->set_effective_priority(l.effective_priority);
    out->set_overdue(l.overdue);
    if (l.item.has_preview) {
      HW_ASSIGN_OR_RETURN(*out->mutable_preview_jpeg(), queue_->GetPreview(l.item.id));
    }
  }
  return response;
}

absl::StatusOr<v1::ExtendLeaseResponse> Engine::ExtendLease(
    absl::string_view moderator, const v1::ExtendLeaseRequest& request) {
  HW_ASSIGN_OR_RETURN(absl::Time expires,
                      queue_->ExtendLease(moderator, {request.item_id(), request.lease_id()}));
  v1::ExtendLeaseResponse response;
  ToProto(expires, response.mutable_expires());
  return response;
}

absl::Status Engine::Release(absl::string_view moderator, const v1::ReleaseRequest& request) {
  return queue_->Release(moderator, {request.item_id(), request.lease_id()});
}

absl::StatusOr<std::vector<std::string>> Engine::BankConfirmedHashes(
    const queue::ReviewItem& item, const std::string& bank, const std::string& category,
    const std::string& note) {
  std::vector<matcher::NewEntry> entries;
  const std::string source = absl::StrCat("review item ", item.id);
  // An entry already in the bank keeps its state (disabled_until unset).
  auto add = [&](matcher::SignalType signal, const std::string& value) {
    if (value.empty()) return;
    matcher::NewEntry e;
    e.signal = signal;
    e.value = value;
    e.category = category;
    e.source = source;
    e.note = note;
    entries.push_back(std::move(e));
  };
  add(matcher::SignalType::kPdq, item.hashes.pdq);
  add(matcher::SignalType::kMd5, item.hashes.md5);
  add(matcher::SignalType::kSha256, item.hashes.sha256);
  std::vector<std::string> banked;
  if (entries.empty()) return banked;
  HW_RETURN_IF_ERROR(banks_->AddEntries(bank, entries).status());
  for (const matcher::NewEntry& e : entries) {
    banked.push_back(absl::StrCat(bank, ":", matcher::SignalTypeName(e.signal)));
  }
  return banked;
}

absl::StatusOr<v1::DecideResponse> Engine::Decide(absl::string_view moderator,
                                                  const v1::DecideRequest& request) {
  HW_ASSIGN_OR_RETURN(queue::DecisionKind kind, FromProto(request.kind()));
  if (kind == queue::DecisionKind::kConfirm && request.category().empty()) {
    return absl::InvalidArgumentError("category is required to confirm");
  }
  if (request.add_to_allow_list() && kind != queue::DecisionKind::kReject) {
    return absl::InvalidArgumentError("add_to_allow_list is only for DECISION_KIND_REJECT");
  }
  if (request.category().size() > 256 || request.note().size() > 4096) {
    return absl::InvalidArgumentError("category (256) or note (4096 bytes) is too long");
  }
  // Check the lease before acting on the decision, so that a decision on
  // someone else's (or an expired) lease changes nothing at all.
  HW_ASSIGN_OR_RETURN(queue::ReviewItem item, queue_->GetItem(request.item_id()));
  if (item.state != queue::ItemState::kLeased || item.lease_holder != moderator ||
      item.lease_id != request.lease_id() || item.lease_expires <= clock_->Now()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "lease ", request.lease_id(), " of item ", request.item_id(),
        " is not a live lease of yours (item is ", queue::ItemStateName(item.state), ")"));
  }

  v1::DecideResponse response;
  const std::string who(moderator);
  if (kind == queue::DecisionKind::kConfirm) {
    // The report and the bank entries first: they are idempotent, so a
    // crash before the decision is recorded leaves the item leased (it
    // returns to the queue when the lease expires) and a second confirm
    // finds the same report.
    report::Report draft;
    draft.origin = report::ReportOrigin::kModeratorConfirm;
    draft.content_id = item.content_id;
    draft.md5 = item.hashes.md5;
    draft.sha256 = item.hashes.sha256;
    draft.pdq = item.hashes.pdq;
    draft.pdq_quality = std::max(0, item.hashes.pdq_quality);
    for (const queue::MatchEvidence& m : item.matches) {
      draft.evidence.push_back({.bank = m.bank,
                                .entry_id = 0,
                                .signal = m.signal_type,
                                .value = m.matched_hash,
                                .source = m.source_ref,
                                .category = m.category,
                                .distance = m.distance});
    }
    draft.category = request.category();
    draft.viewed_by_platform = true;
    draft.viewed_by = who;
    draft.viewed_at = clock_->Now();
    draft.review_item_id = absl::StrCat(item.id);
    draft.uploader_account = item.context.uploader;
    draft.uploader_ip = item.context.ip;
    draft.upload_time = item.context.upload_time;
    HW_ASSIGN_OR_RETURN(report::Report filed, reports_->Create(draft));
    response.set_report_id(filed.id);
    HW_ASSIGN_OR_RETURN(std::vector<std::string> banked,
                        BankConfirmedHashes(item, config_.review.platform_bank, request.category(),
                                            absl::StrCat("confirmed by ", who)));
    for (std::string& b : banked) response.add_banked(std::move(b));
  } else if (kind == queue::DecisionKind::kReject && request.add_to_allow_list()) {
    HW_ASSIGN_OR_RETURN(std::vector<std::string> banked,
                        BankConfirmedHashes(item, config_.review.allow_bank, "",
                                            absl::StrCat("false positive, rejected by ", who)));
    for (std::string& b : banked) response.add_banked(std::move(b));
  }
  HW_ASSIGN_OR_RETURN(queue::Decision decision,
                      queue_->Decide(moderator, {request.item_id(), request.lease_id()},
                                     {.kind = kind,
                                      .category = request.category(),
                                      .add_to_allow_list = request.add_to_allow_list(),
                                      .note = request.note()}));
  ToProto(decision, response.mutable_decision());
  if (kind == queue::DecisionKind::kConfirm || kind == queue::DecisionKind::kReject) {
    // Decided: nobody may see the unblurred picture again. Reveal refuses
    // decided items, so a crash before this delete exposes nothing.
    if (absl::Status s = records_->DeleteRevealPreview(item.id); !s.ok()) {
      HW_LOG(kWarning, "item %d: could not delete its unblurred preview: %s", item.id,
             s.ToString());
    }
  }
  HW_LOG(kInfo, "item %d: %s by %s%s%s", item.id, queue::DecisionKindName(kind), who,
         response.report_id().empty() ? "" : ", report ", response.report_id());
  return response;
}

absl::StatusOr<v1::ReviewItem> Engine::GetItem(const v1::GetItemRequest& request) const {
  HW_ASSIGN_OR_RETURN(queue::ReviewItem item, queue_->GetItem(request.item_id()));
  v1::ReviewItem out;
  ToProto(item, &out);
  return out;
}

absl::StatusOr<v1::QueueStats> Engine::Stats() const {
  HW_ASSIGN_OR_RETURN(queue::QueueStats stats, queue_->Stats());
  v1::QueueStats out;
  ToProto(stats, &out);
  for (uint64_t id : flood_guard_.Flagged()) out.add_flagged_entries(id);
  return out;
}

absl::StatusOr<v1::RevealResponse> Engine::Reveal(absl::string_view who,
                                                  const v1::RevealRequest& request) {
  if (request.reason().empty()) return absl::InvalidArgumentError("reason is required");
  if (request.reason().size() > 1024) {
    return absl::InvalidArgumentError("reason is longer than 1024 bytes");
  }
  HW_ASSIGN_OR_RETURN(queue::ReviewItem item, queue_->GetItem(request.item_id()));
  if (item.state == queue::ItemState::kDecided) {
    return absl::FailedPreconditionError(absl::StrCat(
        "item ", item.id, " is decided; its unblurred preview is no longer kept"));
  }
  HW_ASSIGN_OR_RETURN(std::string jpeg, records_->GetRevealPreview(request.item_id()));
  // Audited before the image leaves the server.
  HW_RETURN_IF_ERROR(queue_->RecordReveal(who, request.item_id(), request.reason()));
  HW_LOG(kInfo, "item %d: unblurred preview revealed to %s", request.item_id(), who);
  v1::RevealResponse response;
  response.set_image_jpeg(std::move(jpeg));
  return response;
}

absl::StatusOr<v1::EnqueueCaseResponse> Engine::EnqueueCase(
    const v1::EnqueueCaseRequest& request) {
  HW_RETURN_IF_ERROR(ValidateContentId(request.content_id()));
  HW_RETURN_IF_ERROR(ValidateContext(request.context()));
  if (request.summary().empty()) return absl::InvalidArgumentError("summary is required");
  if (request.summary().size() > 4096) {
    return absl::InvalidArgumentError("summary is longer than 4096 bytes");
  }
  const std::string lane = request.lane().empty() ? config_.review.case_lane : request.lane();
  HW_RETURN_IF_ERROR(ValidateLane(lane, "lane"));
  queue::EnqueueRequest item;
  item.content_id = request.content_id();
  item.lane = lane;
  item.kind = queue::ItemKind::kCase;
  item.context = FromProto(request.context());
  item.category = request.category();
  item.summary = request.summary();
  HW_ASSIGN_OR_RETURN(queue::EnqueueResult r, queue_->Enqueue(item));
  v1::EnqueueCaseResponse response;
  response.set_item_id(r.item_id);
  response.set_created(r.created);
  return response;
}

absl::Status Engine::Housekeeping() {
  HW_RETURN_IF_ERROR(queue_->ExpireLeases().status());
  HW_ASSIGN_OR_RETURN(int64_t purged, records_->PurgeExpired());
  if (purged > 0) HW_LOG(kInfo, "purged %d expired scan records", purged);
  return absl::OkStatus();
}

}  // namespace hashwatch::review_api
