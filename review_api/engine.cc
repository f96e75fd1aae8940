// Engine: opening the stores, hashing and housekeeping. The calls are in
// engine_scan.cc, engine_review.cc, engine_banks.cc and engine_reports.cc.
#include "review_api/engine.h"

#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "matcher/decode.h"
#include "matcher/hashes.h"

namespace hashwatch::review_api {
namespace {

// Creates `path` (and its parents) if missing and makes it 0700, whatever
// the umask: the stores hold the most sensitive records there are. A folder
// that cannot be changed (not ours) is logged, not fatal.
absl::Status MakePrivateDirectory(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat(
        "cannot create database directory ", path, ": ", ec.message()));
  }
  std::filesystem::permissions(path, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  if (ec) {
    // E.g. a mount point for the log that another user owns: serve, but
    // say so.
    HW_LOG(kWarning, "cannot make %s private (0700): %s", path, ec.message());
  }
  return absl::OkStatus();
}

// The database folder and every store's folder 0700, at every open: an
// older database is closed to other users too.
absl::Status MakePrivateDirectories(const ServerConfig& config) {
  for (const char* sub : {"", "/banks", "/queue", "/reports", "/scans"}) {
    HW_RETURN_IF_ERROR(MakePrivateDirectory(config.db + sub));
  }
  if (!config.queue_wal_dir.empty()) {
    HW_RETURN_IF_ERROR(MakePrivateDirectory(config.queue_wal_dir));
  }
  // The files in them are closed to other users by these folders whatever
  // their own modes (the hashwatch binary also runs with umask 077, so it
  // creates them 0600).
  return absl::OkStatus();
}

}  // namespace

Engine::Engine(const ServerConfig& config, Clock* clock,
               std::vector<std::string> lanes, std::string escalation_lane)
    : config_(config),
      clock_(clock),
      escalation_lane_(escalation_lane),
      validator_(config_, std::move(lanes), std::move(escalation_lane)),
      flood_guard_(
          {.max_distinct_contents = config.scan.flood_max_distinct_contents,
           .window = config.scan.flood_window,
           .persist =
               [this](uint64_t entry, absl::Time until) {
                 return records_->PutFloodQuarantine(entry, until);
               }},
          clock),
      decode_budget_(config.limits.decode_budget_pixels) {
  routing_.novel_classifier_threshold = config.scan.novel_classifier_threshold;
  routing_.review_user_reports = config.scan.review_user_reports;
  routing_.review_signals = config.scan.review_signals;
}

Engine::~Engine() = default;

absl::StatusOr<std::unique_ptr<Engine>> Engine::Open(
    const ServerConfig& config, Clock* clock,
    std::function<bool()> cancel_load) {
  HW_RETURN_IF_ERROR(ValidateServerConfig(config));
  HW_RETURN_IF_ERROR(MakePrivateDirectories(config));
  const queue::QueueOptions queue_options = QueueOptionsFromConfig(config);
  std::vector<std::string> lanes;
  for (const queue::LaneOptions& lane : queue_options.lanes)
    lanes.push_back(lane.name);
  std::unique_ptr<Engine> e(new Engine(config, clock, std::move(lanes),
                                       queue_options.escalation_lane));
  HW_RETURN_IF_ERROR(matcher::ValidateRoutingOptions(e->routing_));
  for (const std::string* lane :
       {&config.scan.default_lane, &config.scan.user_report_lane,
        &config.review.case_lane}) {
    HW_RETURN_IF_ERROR(e->validator_.CheckLane(*lane, "config lane"));
  }

  matcher::BankStoreOptions bank_options;
  bank_options.path = config.db + "/banks";
  bank_options.max_entries_per_write = config.limits.max_entries_per_write;
  bank_options.max_entries_per_import = config.limits.max_entries_per_import;
  bank_options.cancel_load = std::move(cancel_load);
  HW_ASSIGN_OR_RETURN(e->banks_, matcher::BankStore::Open(bank_options, clock));
  HW_ASSIGN_OR_RETURN(e->queue_,
                      queue::ReviewQueue::Open(queue_options, clock));
  report::ReportStoreOptions report_options;
  report_options.path = config.db + "/reports";
  report_options.retention = config.reports.retention;
  report_options.platform = config.reports.platform;
  report_options.incident_type = config.reports.incident_type;
  HW_ASSIGN_OR_RETURN(e->reports_,
                      report::ReportStore::Open(report_options, clock));
  HW_ASSIGN_OR_RETURN(e->records_,
                      ScanRecords::Open({.path = config.db + "/scans"}, clock));
  HW_RETURN_IF_ERROR(e->EnsureDecisionBanks());
  HW_RETURN_IF_ERROR(e->Recover());
  return e;
}

// What a crash may have left: decisions whose report, entries or preview
// deletion did not follow, reveal previews past their retention; and the
// flood guard's quarantines to put back.
absl::Status Engine::Recover() {
  HW_ASSIGN_OR_RETURN(auto quarantines, records_->FloodQuarantines());
  for (const auto& [entry, until] : quarantines) {
    flood_guard_.Restore(entry, until);
  }
  HW_RETURN_IF_ERROR(CompletePendingDecisions(/*all=*/true));
  HW_ASSIGN_OR_RETURN(int64_t purged, PurgeOldRevealPreviews());
  if (purged > 0) HW_LOG(kInfo, "deleted %d unblurred previews", purged);
  return absl::OkStatus();
}

// The banks that moderators' decisions feed exist, of the right kind. The
// bank of confirmed material also matches rotated and mirrored copies: it
// holds the platform's own finds, few enough that searching it with the
// turned variants costs nothing measurable (BankPolicy::dihedral).
absl::Status Engine::EnsureDecisionBanks() {
  for (const auto& [name, kind] :
       {std::pair{config_.review.platform_bank, matcher::BankKind::kMatch},
        std::pair{config_.review.allow_bank, matcher::BankKind::kAllow}}) {
    auto bank = banks_->GetBank(name);
    if (absl::IsNotFound(bank.status())) {
      matcher::BankPolicy policy;
      policy.dihedral = kind == matcher::BankKind::kMatch;
      HW_RETURN_IF_ERROR(banks_->CreateBank(name, kind, policy).status());
      HW_LOG(kInfo, "created bank %s (%s)", name, matcher::BankKindName(kind));
    } else if (!bank.ok()) {
      return bank.status();
    } else if (bank->kind != kind) {
      return absl::FailedPreconditionError(absl::StrCat(
          "bank ", name, " exists but is a ", matcher::BankKindName(bank->kind),
          " bank; the configuration needs a ", matcher::BankKindName(kind),
          " bank"));
    }
  }
  return absl::OkStatus();
}

matcher::DecodeOptions Engine::Decoding(bool compat) const {
  return {.mode = compat ? matcher::DecodeMode::kCompat
                         : matcher::DecodeMode::kFast,
          .max_pixels = config_.limits.max_image_pixels,
          .max_bytes = config_.limits.max_image_bytes};
}

DecodeBudget::Hold Engine::HoldForDecode(absl::string_view image) const {
  const int64_t pixels = matcher::DecodeFootprintPixels(image);
  if (pixels > config_.limits.max_image_pixels) return {};
  return decode_budget_.Acquire(pixels);
}

absl::StatusOr<v1::HashResponse> Engine::Hash(
    const v1::HashRequest& request) const {
  HW_RETURN_IF_ERROR(validator_.CheckImage(request.image()));
  const DecodeBudget::Hold hold = HoldForDecode(request.image());
  auto h = matcher::HashImage(
      request.image(),
      {.decode = Decoding(request.compat()), .dihedral = request.dihedral()});
  if (!h.ok())
    return absl::Status(h.status().code(),
                        absl::StrCat("image: ", h.status().message()));
  v1::HashResponse response;
  response.mutable_hashes()->set_pdq(h->pdq.hash.ToHex());
  response.mutable_hashes()->set_pdq_quality(h->pdq.quality);
  response.mutable_hashes()->set_md5(h->md5);
  response.mutable_hashes()->set_sha1(h->sha1);
  response.mutable_hashes()->set_sha256(h->sha256);
  if (h->pdq.has_dihedral) {
    for (const matcher::PdqHash& v : h->pdq.dihedral)
      response.add_pdq_dihedral(v.ToHex());
  }
  return response;
}

report::Report Engine::DraftReport(report::ReportOrigin origin,
                                   absl::string_view content_id,
                                   const matcher::ContentHashes& hashes,
                                   std::vector<matcher::MatchEvidence> evidence,
                                   std::string category,
                                   const queue::CallerContext& context) {
  report::Report draft;
  draft.origin = origin;
  draft.content_id = std::string(content_id);
  draft.hashes = hashes;
  draft.evidence = std::move(evidence);
  draft.category = std::move(category);
  draft.uploader_account = context.uploader;
  draft.uploader_ip = context.ip;
  draft.upload_time = context.upload_time;
  return draft;
}

absl::Status Engine::Housekeeping() {
  HW_RETURN_IF_ERROR(queue_->ExpireLeases().status());
  HW_ASSIGN_OR_RETURN(int64_t purged, records_->PurgeExpired());
  if (purged > 0) HW_LOG(kInfo, "purged %d expired scan records", purged);
  HW_RETURN_IF_ERROR(CompletePendingDecisions(/*all=*/false));
  HW_ASSIGN_OR_RETURN(purged, PurgeOldRevealPreviews());
  if (purged > 0) HW_LOG(kInfo, "deleted %d unblurred previews", purged);
  return absl::OkStatus();
}

}  // namespace hashwatch::review_api
