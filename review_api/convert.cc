#include "review_api/convert.h"

#include "absl/strings/str_cat.h"

namespace hashwatch::review_api {

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

namespace {

// The fields every match message shares (v1::Match, v1::Evidence,
// v1::ReviewMatch).
template <typename MatchMessage>
void SetMatchFields(const matcher::MatchEvidence& e, MatchMessage* out) {
  out->set_bank(e.bank);
  out->set_signal(SignalFromName(e.signal));
  out->set_hash(e.hash);
  out->set_distance(e.distance);
  out->set_category(e.category);
  out->set_path(e.path);
}

}  // namespace

void ToProto(const matcher::ContentHashes& h, v1::Hashes* out) {
  out->set_pdq(h.pdq);
  out->set_pdq_quality(std::max(0, h.pdq_quality));
  out->set_md5(h.md5);
  out->set_sha1(h.sha1);
  out->set_sha256(h.sha256);
}

matcher::ContentHashes FromProto(const v1::Hashes& h) {
  return {.pdq = h.pdq(),
          .pdq_quality = h.pdq().empty() ? -1 : h.pdq_quality(),
          .md5 = h.md5(),
          .sha1 = h.sha1(),
          .sha256 = h.sha256()};
}

v1::Verdict ToProto(matcher::Verdict v) {
  switch (v) {
    case matcher::Verdict::kNoMatch:
      return v1::NO_MATCH;
    case matcher::Verdict::kAutoReport:
      return v1::AUTO_REPORTED;
    case matcher::Verdict::kReview:
      return v1::QUEUED_FOR_REVIEW;
    case matcher::Verdict::kAllowed:
      return v1::ALLOWED;
  }
  return v1::VERDICT_UNSPECIFIED;
}

namespace {

matcher::Verdict FromProto(v1::Verdict v) {
  switch (v) {
    case v1::AUTO_REPORTED:
      return matcher::Verdict::kAutoReport;
    case v1::QUEUED_FOR_REVIEW:
      return matcher::Verdict::kReview;
    case v1::ALLOWED:
      return matcher::Verdict::kAllowed;
    default:
      return matcher::Verdict::kNoMatch;
  }
}

}  // namespace

void ToProto(const ScanRecord& r, v1::ScanResponse* out) {
  out->set_verdict(ToProto(r.verdict));
  out->set_novel(r.novel);
  out->set_reason(r.reason);
  for (const RecordedMatch& rm : r.matches) {
    v1::Match* m = out->add_matches();
    SetMatchFields(rm.evidence, m);
    m->set_entry_id(rm.evidence.entry_id);
    m->set_dihedral_variant(rm.dihedral_variant);
    m->set_allow_bank(rm.allow_bank);
    m->set_covered_by_allow(rm.covered_by_allow);
    m->set_auto_report(rm.auto_report);
    m->set_flooding(rm.flooding);
  }
  if (!r.hashes.empty()) ToProto(r.hashes, out->mutable_hashes());
  out->set_report_id(r.report_id);
  out->set_item_id(r.item_id);
}

ScanRecord FromProto(const v1::ScanResponse& r) {
  ScanRecord out;
  out.verdict = FromProto(r.verdict());
  out.novel = r.novel();
  out.reason = r.reason();
  for (const v1::Match& m : r.matches()) {
    auto signal = FromProto(m.signal(), "signal");
    RecordedMatch& rm = out.matches.emplace_back();
    rm.evidence.bank = m.bank();
    rm.evidence.entry_id = m.entry_id();
    rm.evidence.signal =
        signal.ok() ? std::string(matcher::SignalTypeName(*signal)) : "";
    rm.evidence.hash = m.hash();
    rm.evidence.distance = m.distance();
    rm.evidence.category = m.category();
    rm.evidence.path = m.path();
    rm.dihedral_variant = m.dihedral_variant();
    rm.allow_bank = m.allow_bank();
    rm.covered_by_allow = m.covered_by_allow();
    rm.auto_report = m.auto_report();
    rm.flooding = m.flooding();
  }
  if (r.has_hashes()) out.hashes = FromProto(r.hashes());
  out.report_id = r.report_id();
  out.item_id = r.item_id();
  return out;
}

void ToProto(const report::Report& r, v1::Report* out) {
  out->set_id(r.id);
  out->set_sequence(r.sequence);
  ToProto(r.created, out->mutable_created());
  out->set_origin(r.origin == report::ReportOrigin::kAutomatic
                      ? v1::REPORT_ORIGIN_AUTOMATIC
                      : v1::REPORT_ORIGIN_MODERATOR_CONFIRM);
  out->set_state(r.state == report::ReportState::kSubmitted
                     ? v1::REPORT_STATE_SUBMITTED
                     : v1::REPORT_STATE_PENDING);
  out->set_submission_ref(r.submission_ref);
  out->set_platform(r.platform);
  out->set_incident_type(r.incident_type);
  out->set_content_id(r.content_id);
  ToProto(r.hashes, out->mutable_hashes());
  for (const matcher::MatchEvidence& e : r.evidence) {
    v1::Evidence* pe = out->add_evidence();
    SetMatchFields(e, pe);
    pe->set_entry_id(e.entry_id);
    pe->set_source(e.source);
  }
  out->set_category(r.category);
  out->set_viewed_by_platform(r.viewed_by_platform);
  out->set_viewed_by(r.viewed_by);
  ToProto(r.viewed_at, out->mutable_viewed_at());
  uint64_t item_id = 0;
  if (absl::SimpleAtoi(r.review_item_id, &item_id))
    out->set_review_item_id(item_id);
  out->set_uploader_id(r.uploader_account);
  out->set_uploader_ip(r.uploader_ip);
  ToProto(r.upload_time, out->mutable_upload_time());
  ToProto(r.preservation_deadline, out->mutable_preservation_deadline());
}

absl::StatusOr<report::ReportFilter> FromProto(const v1::ListReportsRequest& r,
                                               int max_limit) {
  report::ReportFilter f;
  if (r.has_from()) {
    auto t = FromProtoChecked(r.from(), "from");
    if (!t.ok()) return t.status();
    f.from = *t;
  }
  if (r.has_to()) {
    auto t = FromProtoChecked(r.to(), "to");
    if (!t.ok()) return t.status();
    f.to = *t;
  }
  switch (r.state()) {
    case v1::REPORT_STATE_UNSPECIFIED:
      break;
    case v1::REPORT_STATE_PENDING:
      f.state = report::ReportState::kPending;
      break;
    case v1::REPORT_STATE_SUBMITTED:
      f.state = report::ReportState::kSubmitted;
      break;
    default:
      return absl::InvalidArgumentError("state is not a known ReportState");
  }
  f.bank = r.bank();
  f.after_sequence = r.after_sequence();
  if (r.limit() < 0 || r.limit() > max_limit) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit must be in 0..", max_limit));
  }
  f.limit = r.limit() == 0 ? std::min(1000, max_limit) : r.limit();
  return f;
}

namespace {

v1::ItemKind ToProto(queue::ItemKind k) {
  switch (k) {
    case queue::ItemKind::kHashMatch:
      return v1::ITEM_KIND_HASH_MATCH;
    case queue::ItemKind::kNovel:
      return v1::ITEM_KIND_NOVEL;
    case queue::ItemKind::kCase:
      return v1::ITEM_KIND_CASE;
  }
  return v1::ITEM_KIND_UNSPECIFIED;
}

v1::ItemState ToProto(queue::ItemState s) {
  switch (s) {
    case queue::ItemState::kQueued:
      return v1::ITEM_STATE_QUEUED;
    case queue::ItemState::kLeased:
      return v1::ITEM_STATE_LEASED;
    case queue::ItemState::kDecided:
      return v1::ITEM_STATE_DECIDED;
    case queue::ItemState::kEscalated:
      return v1::ITEM_STATE_ESCALATED;
  }
  return v1::ITEM_STATE_UNSPECIFIED;
}

v1::DecisionKind ToProto(queue::DecisionKind k) {
  switch (k) {
    case queue::DecisionKind::kConfirm:
      return v1::DECISION_KIND_CONFIRM;
    case queue::DecisionKind::kReject:
      return v1::DECISION_KIND_REJECT;
    case queue::DecisionKind::kEscalate:
      return v1::DECISION_KIND_ESCALATE;
    case queue::DecisionKind::kSkip:
      return v1::DECISION_KIND_SKIP;
  }
  return v1::DECISION_KIND_UNSPECIFIED;
}

}  // namespace

void ToProto(const queue::Decision& d, v1::Decision* out) {
  out->set_moderator(d.moderator);
  out->set_kind(ToProto(d.kind));
  out->set_category(d.category);
  out->set_add_to_allow_list(d.add_to_allow_list);
  out->set_note(d.note);
  ToProto(d.time, out->mutable_time());
}

void ToProto(const queue::ReviewItem& item, v1::ReviewItem* out) {
  out->set_id(item.id);
  out->set_content_id(item.content_id);
  out->set_lane(item.lane);
  out->set_kind(ToProto(item.kind));
  ToProto(item.hashes, out->mutable_hashes());
  for (const matcher::MatchEvidence& m : item.matches) {
    v1::ReviewMatch* pm = out->add_matches();
    SetMatchFields(m, pm);
    pm->set_auto_report_distance(m.auto_report_distance);
    pm->set_review_distance(m.review_distance);
    pm->set_source(m.source);
  }
  v1::ScanContext* c = out->mutable_context();
  c->set_uploader_id(item.context.uploader);
  ToProto(item.context.upload_time, c->mutable_upload_time());
  c->set_uploader_ip(item.context.ip);
  if (item.context.classifier_score >= 0)
    c->set_classifier_score(item.context.classifier_score);
  for (const std::string& s : item.context.signals) c->add_signals(s);
  c->set_lane(item.lane);
  out->set_category(item.category);
  out->set_base_priority(item.base_priority);
  out->set_priority_class(static_cast<v1::PriorityClass>(
      static_cast<int>(item.priority_class) + 1));
  ToProto(item.enqueue_time, out->mutable_enqueue_time());
  ToProto(item.sla_deadline, out->mutable_sla_deadline());
  out->set_state(ToProto(item.state));
  out->set_lease_holder(item.lease_holder);
  ToProto(item.lease_expires, out->mutable_lease_expires());
  if (item.decision) ToProto(*item.decision, out->mutable_decision());
  for (const queue::HistoryEntry& e : item.history) {
    v1::HistoryEntry* pe = out->add_history();
    ToProto(e.time, pe->mutable_time());
    pe->set_actor(e.actor);
    pe->set_event(e.event);
    pe->set_lease_id(e.lease_id);
    pe->set_details(e.details);
  }
  out->set_has_preview(item.has_preview);
  out->set_summary(item.summary);
}

void ToProto(const queue::QueueStats& s, v1::QueueStats* out) {
  for (const queue::LaneStats& l : s.lanes) {
    v1::LaneStats* pl = out->add_lanes();
    pl->set_lane(l.lane);
    pl->set_waiting(l.waiting);
    pl->set_overdue(l.overdue);
    pl->set_oldest_age_seconds(absl::ToDoubleSeconds(l.oldest_age));
  }
  out->set_waiting(s.waiting);
  out->set_overdue(s.overdue);
  out->set_leases_outstanding(s.leases_outstanding);
  out->set_decided(s.decided);
  out->set_items(s.items);
}

queue::CallerContext FromProto(const v1::ScanContext& c) {
  queue::CallerContext out;
  out.uploader = c.uploader_id();
  out.upload_time =
      c.has_upload_time() ? FromProto(c.upload_time()) : absl::InfinitePast();
  out.ip = c.uploader_ip();
  out.classifier_score = c.has_classifier_score() ? c.classifier_score() : -1;
  out.signals.assign(c.signals().begin(), c.signals().end());
  return out;
}

}  // namespace hashwatch::review_api
