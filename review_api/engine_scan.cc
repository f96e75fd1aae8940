// Engine::Scan, in its steps: check the request, hash, then under the
// content id's lock: find an earlier answer, look up, route, act on the
// verdict (file a report, or queue for review), keep the record, answer.
#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "common/crash_point.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "matcher/hashes.h"
#include "matcher/preview.h"
#include "review_api/convert.h"
#include "review_api/engine.h"

namespace hashwatch::review_api {
namespace {

// The answer a record stands for; `hashes` null for a replay (which has
// the record's hashes, none for verdicts that led to no action).
v1::ScanResponse Answer(absl::string_view content_id, const ScanRecord& record,
                        const matcher::ContentHashes* hashes) {
  v1::ScanResponse response;
  response.set_content_id(std::string(content_id));
  ToProto(record, &response);
  if (hashes != nullptr) ToProto(*hashes, response.mutable_hashes());
  response.set_replayed(hashes == nullptr);
  return response;
}

ScanRecord RecordOf(const matcher::RoutingDecision& decision) {
  ScanRecord record;
  record.verdict = decision.verdict;
  record.novel = decision.novel;
  record.reason = decision.reason;
  for (const matcher::RoutedMatch& r : decision.matches) {
    record.matches.push_back(
        {.evidence = matcher::EvidenceOf(r.match),
         .dihedral_variant = r.match.variant,
         .allow_bank = r.match.kind == matcher::BankKind::kAllow,
         .covered_by_allow = r.covered_by_allow,
         .auto_report = r.auto_report,
         .flooding = r.flooding});
  }
  return record;
}

}  // namespace

absl::StatusOr<v1::ScanResponse> Engine::Scan(const v1::ScanRequest& request) {
  HW_RETURN_IF_ERROR(validator_.CheckScan(request));
  // Validating and hashing need no lock: scans of other content ids that
  // share this one's lock stripe are not held up by it. (A repeated scan
  // hashes again before it finds its record; repeats are retries, rare.)
  HW_ASSIGN_OR_RETURN(const ScanHashes hashes, ComputeHashes(request));
  absl::Mutex& lock =
      content_locks_[absl::Hash<std::string>()(request.content_id()) %
                     content_locks_.size()];
  absl::MutexLock hold(&lock);
  return ScanLocked(request, hashes);
}

absl::StatusOr<Engine::ScanHashes> Engine::ComputeHashes(
    const v1::ScanRequest& request) const {
  ScanHashes out;
  if (request.has_hashes()) {
    HW_ASSIGN_OR_RETURN(out.hashes, validator_.GivenHashes(request.hashes()));
    if (!out.hashes.pdq.empty()) {
      HW_ASSIGN_OR_RETURN(matcher::PdqHash pdq,
                          matcher::PdqHash::FromHex(out.hashes.pdq));
      out.paths = matcher::PathsOf(pdq);
      out.quality = out.hashes.pdq_quality;
    }
    return out;
  }
  if (!request.has_image())
    return absl::InvalidArgumentError("one of image or hashes is required");
  HW_RETURN_IF_ERROR(validator_.CheckImage(request.image()));
  const DecodeBudget::Hold hold = HoldForDecode(request.image());
  matcher::HashOptions options{
      .decode = Decoding(config_.scan.compat_decode),
      .dihedral = matcher::WantsDihedral(*banks_, config_.scan.dihedral),
      .recover = config_.scan.max_regions > 0,
      .own_signature =
          config_.scan.own_signatures && banks_->OwnSignatureCount() > 0};
  options.regions.max_regions = config_.scan.max_regions;
  options.own.decode = options.decode;
  auto computed = matcher::HashImage(request.image(), options);
  if (!computed.ok()) {
    return absl::Status(computed.status().code(),
                        absl::StrCat("image: ", computed.status().message()));
  }
  out.hashes = {.pdq = computed->pdq.hash.ToHex(),
                .pdq_quality = computed->pdq.quality,
                .md5 = computed->md5,
                .sha1 = computed->sha1,
                .sha256 = computed->sha256};
  out.quality = computed->pdq.quality;
  out.paths = matcher::PathsOf(*computed);
  out.own = std::move(computed->own);
  return out;
}

absl::StatusOr<v1::ScanResponse> Engine::ScanLocked(
    const v1::ScanRequest& request, const ScanHashes& computed) {
  const std::string& content_id = request.content_id();
  // A repeat replays only for the same content: new content under an old
  // id is scanned, and its answer replaces the record.
  const std::string binding =
      ContentBinding(content_id, request.has_image(), computed.hashes);
  HW_ASSIGN_OR_RETURN(std::optional<ScanRecord> earlier,
                      FindRecord(content_id));
  if (earlier && RecordIsFor(*earlier, binding, computed.hashes))
    return Answer(content_id, *earlier, /*hashes=*/nullptr);
  if (earlier) {
    HW_LOG(kWarning,
           "scan %s: other content than the first scan of this id (%s); "
           "scanning it, its answer replaces the record",
           content_id, matcher::VerdictName(earlier->verdict));
  }

  HW_ASSIGN_OR_RETURN(const std::vector<matcher::Match> matches,
                      LookUp(computed));
  const matcher::RoutingDecision decision =
      RouteMatches(request, matches, computed.quality);
  ScanRecord record = RecordOf(decision);
  record.content_binding = binding;
  if (decision.verdict == matcher::Verdict::kAutoReport) {
    HW_ASSIGN_OR_RETURN(
        record.report_id,
        FileAutomaticReport(request, decision, computed.hashes, binding));
    CrashPoint("scan.reported");
  } else if (decision.verdict == matcher::Verdict::kReview) {
    HW_ASSIGN_OR_RETURN(record.item_id,
                        QueueForReview(request, decision, computed, binding));
  }
  v1::ScanResponse response = Answer(content_id, record, &computed.hashes);
  HW_RETURN_IF_ERROR(
      KeepRecord(content_id, std::move(record), computed.hashes));
  CrashPoint("scan.recorded");
  return response;
}

absl::StatusOr<std::optional<ScanRecord>> Engine::FindRecord(
    absl::string_view content_id) const {
  HW_ASSIGN_OR_RETURN(std::optional<std::string> stored,
                      records_->Get(content_id));
  if (!stored) return std::nullopt;
  auto record = DecodeScanRecord(*stored);
  if (!record.ok()) {
    return absl::DataLossError(
        absl::StrCat("scan record of ", content_id,
                     " is corrupt: ", record.status().message()));
  }
  return *std::move(record);
}

// Every bank's entries along every path of the picture (matcher/lookup.h).
absl::StatusOr<std::vector<matcher::Match>> Engine::LookUp(
    const ScanHashes& computed) const {
  return matcher::LookUp(
      *banks_, computed.paths, computed.hashes,
      {.dihedral_all_banks = config_.scan.dihedral,
       .own = computed.own.has_value() ? &*computed.own : nullptr});
}

matcher::RoutingDecision Engine::RouteMatches(
    const v1::ScanRequest& request, const std::vector<matcher::Match>& matches,
    int quality) {
  const v1::ScanContext& ctx = request.context();
  matcher::ScanContext context;
  context.classifier_score =
      ctx.has_classifier_score() ? ctx.classifier_score() : 0;
  context.user_report = ctx.user_report();
  context.signals.assign(ctx.signals().begin(), ctx.signals().end());
  matcher::RoutingDecision decision = matcher::Route(
      matches, quality, request.content_id(), context, routing_, &flood_guard_);
  for (uint64_t entry : decision.flagged_entries) {
    HW_LOG(kWarning,
           "flood guard: bank entry %d matched more than %d distinct contents "
           "within %s; "
           "its matches go to review until a lead checks it",
           entry, config_.scan.flood_max_distinct_contents,
           absl::FormatDuration(config_.scan.flood_window));
  }
  return decision;
}

// Reports are filed once per content id: when the id was reported before
// for other content, this content is filed under RefiledContentId.
absl::StatusOr<std::string> Engine::FileAutomaticReport(
    const v1::ScanRequest& request, const matcher::RoutingDecision& decision,
    const matcher::ContentHashes& hashes, absl::string_view binding) {
  const matcher::RoutedMatch& best = decision.matches[decision.best];
  report::Report draft = DraftReport(
      report::ReportOrigin::kAutomatic, request.content_id(), hashes,
      matcher::CountedEvidence(decision), matcher::MatchCategory(best.match),
      FromProto(request.context()));
  HW_ASSIGN_OR_RETURN(report::Report filed, reports_->Create(draft));
  if (!SameContent(filed.hashes, hashes)) {
    draft.content_id = RefiledContentId(request.content_id(), binding);
    HW_LOG(kWarning,
           "scan %s: reported before for other content (%s); "
           "this content is reported as %s",
           request.content_id(), filed.id, draft.content_id);
    HW_ASSIGN_OR_RETURN(filed, reports_->Create(draft));
  }
  HW_LOG(kInfo, "scan %s: auto-reported as %s (%s)", request.content_id(),
         filed.id, decision.reason);
  return filed.id;
}

// Queued once per content id, like reports (FileAutomaticReport).
absl::StatusOr<uint64_t> Engine::QueueForReview(
    const v1::ScanRequest& request, const matcher::RoutingDecision& decision,
    const ScanHashes& computed, absl::string_view binding) {
  const matcher::ContentHashes& hashes = computed.hashes;
  const v1::ScanContext& ctx = request.context();
  queue::EnqueueRequest item;
  item.content_id = request.content_id();
  item.lane = !ctx.lane().empty() ? ctx.lane()
              : ctx.user_report() ? config_.scan.user_report_lane
                                  : config_.scan.default_lane;
  item.kind =
      decision.novel ? queue::ItemKind::kNovel : queue::ItemKind::kHashMatch;
  item.hashes = hashes;
  item.matches = matcher::CountedEvidence(decision);
  item.context = FromProto(ctx);
  if (decision.best >= 0) {
    const matcher::Match& best = decision.matches[decision.best].match;
    item.category = matcher::MatchCategory(best);
    item.priority_boost = best.policy.priority_boost;
  }
  if (request.has_image())
    item.preview = Preview(request, item.content_id, /*reveal=*/false);
  HW_ASSIGN_OR_RETURN(queue::EnqueueResult queued, queue_->Enqueue(item));
  // An item that exists already: this content's (a retry, perhaps of a
  // scan killed before its record), or other content's.
  std::optional<queue::ReviewItem> existing;
  if (!queued.created) {
    HW_ASSIGN_OR_RETURN(existing, queue_->GetItem(queued.item_id));
    if (!SameContent(existing->hashes, hashes)) {
      item.content_id = RefiledContentId(request.content_id(), binding);
      HW_LOG(kWarning,
             "scan %s: queued before for other content (item %d); "
             "this content is queued as %s",
             request.content_id(), queued.item_id, item.content_id);
      HW_ASSIGN_OR_RETURN(queued, queue_->Enqueue(item));
      existing.reset();
      if (!queued.created) {
        HW_ASSIGN_OR_RETURN(existing, queue_->GetItem(queued.item_id));
      }
    }
  }
  CrashPoint("scan.queued");
  if (request.has_image() && config_.review.keep_reveal_previews) {
    HW_RETURN_IF_ERROR(KeepRevealPreview(request, queued.item_id, existing));
    CrashPoint("scan.previewed");
  }
  if (request.has_image() && config_.scan.own_signatures) {
    HW_RETURN_IF_ERROR(
        KeepItemSignature(request, queued.item_id, existing, computed.own));
  }
  HW_LOG(kInfo, "scan %s: queued as item %d in %s (%s)", item.content_id,
         queued.item_id, item.lane, decision.reason);
  return queued.item_id;
}

// The unblurred preview of a new item; for an existing one (a retried scan)
// only while it waits undecided and has none yet: a scan killed between
// the enqueue and this write leaves none, and a decided item's was purged.
absl::Status Engine::KeepRevealPreview(
    const v1::ScanRequest& request, uint64_t item_id,
    const std::optional<queue::ReviewItem>& existing) {
  if (existing) {
    if (existing->state == queue::ItemState::kDecided) return absl::OkStatus();
    absl::StatusOr<std::string> kept = records_->GetRevealPreview(item_id);
    if (kept.ok() || !absl::IsNotFound(kept.status())) return kept.status();
  }
  const std::string jpeg =
      Preview(request, request.content_id(), /*reveal=*/true);
  if (jpeg.empty()) return absl::OkStatus();
  return records_->PutRevealPreview(item_id, jpeg);
}

// The own-material signature of a queued image, kept until the decision so
// that a confirm banks it (BankItemSignature). As KeepRevealPreview: none
// for a decided item; a picture with too little detail keeps none.
absl::Status Engine::KeepItemSignature(
    const v1::ScanRequest& request, uint64_t item_id,
    const std::optional<queue::ReviewItem>& existing,
    const std::optional<matcher::OwnSignature>& computed) {
  if (existing) {
    if (existing->state == queue::ItemState::kDecided) return absl::OkStatus();
    absl::StatusOr<std::string> kept = records_->GetItemSignature(item_id);
    if (kept.ok() || !absl::IsNotFound(kept.status())) return kept.status();
  }
  std::optional<matcher::OwnSignature> own = computed;
  if (!own.has_value()) {
    matcher::OwnSignatureOptions options;
    options.decode = Decoding(config_.scan.compat_decode);
    const DecodeBudget::Hold hold = HoldForDecode(request.image());
    absl::StatusOr<matcher::OwnSignature> made =
        matcher::ComputeOwnSignature(request.image(), options);
    if (!made.ok()) {
      HW_LOG(kInfo, "scan %s: item %d keeps no own-material signature: %s",
             request.content_id(), item_id, made.status().message());
      return absl::OkStatus();
    }
    own = *std::move(made);
  }
  HW_RETURN_IF_ERROR(records_->PutItemSignature(item_id, own->Serialize()));
  CrashPoint("scan.signed");
  return absl::OkStatus();
}

// The blurred greyscale preview moderators see, or (`reveal`) the colour
// one kept for audited reveals; empty when the image gives none.
std::string Engine::Preview(const v1::ScanRequest& request,
                            absl::string_view content_id, bool reveal) const {
  matcher::PreviewOptions options;
  options.max_side = config_.review.preview_max_side;
  if (reveal) {
    options.max_side = config_.review.reveal_max_side;
    options.blur = false;
    options.greyscale = false;
    options.jpeg_quality = 85;
  }
  const DecodeBudget::Hold hold = HoldForDecode(request.image());
  auto jpeg = matcher::MakePreview(request.image(), options, Decoding(false));
  if (jpeg.ok()) return *std::move(jpeg);
  if (!reveal)
    HW_LOG(kWarning, "scan %s: no preview: %s", content_id,
           jpeg.status().message());
  return "";
}

// The idempotency record. Verdicts that led to no action keep no hashes
// and expire; the others are kept with the report or item they point to.
absl::Status Engine::KeepRecord(absl::string_view content_id, ScanRecord record,
                                const matcher::ContentHashes& hashes) {
  if (record.verdict == matcher::Verdict::kNoMatch ||
      record.verdict == matcher::Verdict::kAllowed) {
    return records_->Put(content_id, EncodeScanRecord(record),
                         clock_->Now() + config_.scan.no_match_record_ttl,
                         config_.scan.sync_no_match_records);
  }
  record.hashes = hashes;
  return records_->Put(content_id, EncodeScanRecord(record),
                       absl::InfiniteFuture(),
                       /*sync=*/true);
}

}  // namespace hashwatch::review_api
