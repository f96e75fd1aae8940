#include "matcher/routing.h"

#include <algorithm>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "common/log.h"

namespace hashwatch::matcher {
namespace {

bool Covers(const Match& allow, const Match& m) {
  if (allow.entry.signal != m.entry.signal) return false;
  if (allow.entry.signal != SignalType::kPdq)
    return allow.entry.value == m.entry.value;
  absl::StatusOr<PdqHash> a = PdqHash::FromHex(allow.entry.value);
  absl::StatusOr<PdqHash> b = PdqHash::FromHex(m.entry.value);
  return a.ok() && b.ok() &&
         HammingDistance(*a, *b) <= allow.policy.review_distance;
}

bool WithinReview(const Match& m) {
  return m.entry.signal != SignalType::kPdq ||
         m.distance <= m.policy.review_distance;
}

// The quality of the picture the match was found by.
int QualityOf(const Match& m, int scan_quality) {
  return m.path_quality >= 0 ? m.path_quality : scan_quality;
}

bool PathMayAutoReport(const Match& m) {
  switch (m.path_kind) {
    case PathKind::kWhole:
      return true;
    case PathKind::kUnbordered:
      return m.policy.unbordered_auto_report;
    case PathKind::kRegion:
      return m.distance <= m.policy.region_auto_report_distance;
    case PathKind::kLocalFeatures:
      // A picture found by its local features alone is shown to a person:
      // features shared by look-alikes (docs/own-material.md) never report.
      return false;
  }
  return false;
}

bool WouldAutoReport(const Match& m, int quality) {
  if (!m.policy.auto_report_enabled) return false;
  if (m.path_kind == PathKind::kLocalFeatures) return false;
  if (m.entry.signal != SignalType::kPdq) return true;  // exact byte match
  return m.distance <= m.policy.auto_report_distance &&
         QualityOf(m, quality) >= m.policy.min_quality && PathMayAutoReport(m);
}

// Whether `a` is the stronger finding of one entry than `b`: it would
// auto-report and `b` would not, else it is closer, else it was found by a
// less recovered picture (the whole before the unbordered before a region).
bool Stronger(const RoutedMatch& a, const RoutedMatch& b) {
  if (a.auto_report != b.auto_report) return a.auto_report;
  if (a.match.distance != b.match.distance)
    return a.match.distance < b.match.distance;
  return a.match.path_kind < b.match.path_kind;
}

// One routed match per entry (the queries of one scan, the whole picture
// and the ones recovered from it, may all find the same entry).
std::vector<RoutedMatch> StrongestPerEntry(std::vector<RoutedMatch> in) {
  std::vector<RoutedMatch> out;
  absl::flat_hash_map<uint64_t, size_t> at;
  for (RoutedMatch& r : in) {
    auto [it, fresh] = at.try_emplace(r.match.entry.id, out.size());
    if (fresh) {
      out.push_back(std::move(r));
    } else if (Stronger(r, out[it->second])) {
      out[it->second] = std::move(r);
    }
  }
  return out;
}

// " via unbordered" for a match not found by the whole picture as uploaded.
std::string Via(const Match& m) {
  if (m.path_kind == PathKind::kLocalFeatures)
    return absl::StrFormat(" via %s (%d inliers)", m.path, m.own_inliers);
  if (m.path.empty() || m.path == "whole") return "";
  return " via " + m.path;
}

}  // namespace

absl::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kNoMatch:
      return "no_match";
    case Verdict::kAutoReport:
      return "auto_report";
    case Verdict::kReview:
      return "review";
    case Verdict::kAllowed:
      return "allowed";
  }
  return "unknown";
}

absl::Status ValidateRoutingOptions(const RoutingOptions& o) {
  if (!(o.novel_classifier_threshold >= 0 &&
        o.novel_classifier_threshold <= 1.01)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("routing: novel_classifier_threshold is %g, want 0..1 "
                        "(or 1.01 for off)",
                        o.novel_classifier_threshold));
  }
  return absl::OkStatus();
}

absl::Status ValidateScanContext(const ScanContext& c) {
  if (!(c.classifier_score >= 0 && c.classifier_score <= 1)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "routing: classifier_score is %g, want 0..1", c.classifier_score));
  }
  if (c.signals.size() > 32) {
    return absl::InvalidArgumentError("routing: more than 32 signals");
  }
  return absl::OkStatus();
}

FloodGuard::FloodGuard(const FloodGuardOptions& options, Clock* clock)
    : options_(options), clock_(clock) {}

bool FloodGuard::RecordAndCheck(uint64_t entry_id,
                                absl::string_view content_id) {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  Seen& s = seen_[entry_id];
  while (!s.recent.empty() && s.recent.front().first <= now - options_.window) {
    s.recent.pop_front();
  }
  bool known = false;
  for (const auto& [t, id] : s.recent) known |= id == content_id;
  if (!known) s.recent.emplace_back(now, std::string(content_id));
  const bool over =
      static_cast<int>(s.recent.size()) > options_.max_distinct_contents;
  if (over) {
    flagged_[entry_id] = true;
    const absl::Time until = now + options_.window;
    quarantine_[entry_id] = until;
    auto stored = persisted_.find(entry_id);
    // Persist a new quarantine, or one whose stored end is less than half
    // a window ahead: a restart then finds it in force.
    if (stored == persisted_.end() ||
        stored->second < now + options_.window / 2) {
      absl::Status s = options_.persist == nullptr
                           ? absl::OkStatus()
                           : options_.persist(entry_id, until);
      if (s.ok()) {
        persisted_[entry_id] = until;
      } else {
        HW_LOG(kWarning, "flood guard: entry %d: quarantine not stored: %s",
               entry_id, s.ToString());
      }
    }
    return true;
  }
  auto q = quarantine_.find(entry_id);
  return q != quarantine_.end() && q->second > now;
}

void FloodGuard::Restore(uint64_t entry_id, absl::Time until) {
  absl::MutexLock lock(&mu_);
  flagged_[entry_id] = true;
  absl::Time& q = quarantine_[entry_id];
  q = std::max(q, until);
  absl::Time& p = persisted_[entry_id];
  p = std::max(p, until);
}

std::vector<uint64_t> FloodGuard::Flagged() const {
  absl::MutexLock lock(&mu_);
  std::vector<uint64_t> out;
  for (const auto& [id, f] : flagged_) out.push_back(id);
  std::sort(out.begin(), out.end());
  return out;
}

RoutingDecision Route(const std::vector<Match>& matches, int quality,
                      absl::string_view content_id, const ScanContext& context,
                      const RoutingOptions& options, FloodGuard* flood_guard) {
  RoutingDecision d;
  std::vector<const Match*> allows;
  for (const Match& m : matches) {
    if (m.kind == BankKind::kAllow && WithinReview(m)) allows.push_back(&m);
  }
  std::vector<RoutedMatch> routed;
  for (const Match& m : matches) {
    if (m.kind != BankKind::kMatch || !WithinReview(m)) continue;
    RoutedMatch r{m};
    r.covered_by_allow =
        std::any_of(allows.begin(), allows.end(),
                    [&](const Match* a) { return Covers(*a, m); });
    r.auto_report = !r.covered_by_allow && WouldAutoReport(m, quality);
    routed.push_back(std::move(r));
  }
  d.matches = StrongestPerEntry(std::move(routed));
  for (RoutedMatch& r : d.matches) {
    if (r.auto_report && flood_guard != nullptr &&
        flood_guard->RecordAndCheck(r.match.entry.id, content_id)) {
      r.auto_report = false;
      r.flooding = true;
      d.flagged_entries.push_back(r.match.entry.id);
    }
  }
  // Closest first; auto-reporting matches before others at equal distance.
  std::stable_sort(d.matches.begin(), d.matches.end(),
                   [](const RoutedMatch& a, const RoutedMatch& b) {
                     if (a.match.distance != b.match.distance)
                       return a.match.distance < b.match.distance;
                     return a.auto_report > b.auto_report;
                   });
  int first_uncovered = -1;
  for (size_t i = 0; i < d.matches.size(); ++i) {
    if (d.matches[i].auto_report) {
      d.verdict = Verdict::kAutoReport;
      d.best = static_cast<int>(i);
      const Match& m = d.matches[i].match;
      d.reason = absl::StrFormat("%s entry %d at distance %d%s", m.bank,
                                 m.entry.id, m.distance, Via(m));
      return d;
    }
    if (first_uncovered < 0 && !d.matches[i].covered_by_allow)
      first_uncovered = static_cast<int>(i);
  }
  if (first_uncovered >= 0) {
    const RoutedMatch& r = d.matches[first_uncovered];
    d.verdict = Verdict::kReview;
    d.best = first_uncovered;
    const Match& m = r.match;
    std::string why;
    if (r.flooding) {
      why = " (entry over its flood limit)";
    } else if (QualityOf(m, quality) < m.policy.min_quality) {
      why = " (low quality)";
    } else if (m.policy.auto_report_enabled &&
               (m.path_kind == PathKind::kLocalFeatures ||
                m.distance <= m.policy.auto_report_distance) &&
               !PathMayAutoReport(m)) {
      why = " (this path goes to review)";
    }
    d.reason = m.path_kind == PathKind::kLocalFeatures
                   ? absl::StrFormat("%s entry %d%s%s", m.bank, m.entry.id,
                                     Via(m), why)
                   : absl::StrFormat("%s entry %d at distance %d%s%s", m.bank,
                                     m.entry.id, m.distance, Via(m), why);
    return d;
  }
  if (!d.matches.empty()) {
    d.verdict = Verdict::kAllowed;
    d.best = 0;
    d.reason = "every match is covered by an allow list";
    return d;
  }
  const std::set<std::string> wanted(options.review_signals.begin(),
                                     options.review_signals.end());
  std::string flag;
  if (context.classifier_score >= options.novel_classifier_threshold) {
    flag = absl::StrFormat("classifier score %.2f", context.classifier_score);
  } else if (context.user_report && options.review_user_reports) {
    flag = "user report";
  } else {
    for (const std::string& s : context.signals) {
      if (wanted.count(s)) {
        flag = "signal " + s;
        break;
      }
    }
  }
  if (!flag.empty()) {
    d.verdict = Verdict::kReview;
    d.novel = true;
    d.reason = "novel: " + flag;
    return d;
  }
  d.reason = "no match";
  return d;
}

std::string MatchCategory(const Match& match) {
  return match.entry.category.empty() ? match.policy.default_category
                                      : match.entry.category;
}

namespace {

// The path as evidence records it (MatchEvidence::path).
std::string EvidencePath(const Match& match) {
  if (match.path_kind == PathKind::kLocalFeatures)
    return absl::StrFormat("%s (%d inliers)", match.path, match.own_inliers);
  if (match.entry.signal != SignalType::kPdq) return "";
  return match.path.empty() ? "whole" : match.path;
}

}  // namespace

MatchEvidence EvidenceOf(const Match& match) {
  return {.bank = match.bank,
          .entry_id = match.entry.id,
          .signal = std::string(SignalTypeName(match.entry.signal)),
          .hash = match.entry.value,
          .distance = match.distance,
          .category = MatchCategory(match),
          .source = match.entry.source,
          .auto_report_distance = match.policy.auto_report_distance,
          .review_distance = match.policy.review_distance,
          .path = EvidencePath(match)};
}

std::vector<MatchEvidence> CountedEvidence(const RoutingDecision& decision) {
  std::vector<MatchEvidence> out;
  for (const RoutedMatch& r : decision.matches) {
    if (!r.covered_by_allow) out.push_back(EvidenceOf(r.match));
  }
  return out;
}

}  // namespace hashwatch::matcher
