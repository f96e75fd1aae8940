// Routing: turns the matches of one scan into a verdict (docs/design.md, "One
// scan, step by step"). Pure policy plus one piece of state, the flood guard;
// no storage, no gRPC.
//
//   auto-report  an enabled exact-hash match, or a PDQ match at or below its
//                bank's auto_report_distance when the bank has auto-report on
//                and the query's quality is at least the bank's min_quality;
//   review       any other match at or below its bank's review_distance;
//   novel        no match, but the caller's context flags the item (a
//                classifier score at or above a threshold, a user report, or
//                a listed signal) -> review as a novel item;
//   allowed      every match is covered by an allow-bank entry;
//   no match     nothing of the above.
//
// An allow-bank entry covers a match-bank entry when both are of the same
// signal type and their hashes are equal (exact) or within the allow bank's
// review_distance (PDQ): the allow list names a known false positive, and
// whatever near-copies of it a hotline list holds.
//
// Flood guard: when one bank entry matches more than `max_distinct_contents`
// distinct content ids within `window`, its further matches go to review
// instead of auto-report and the entry is flagged for a lead, so one wrongly
// listed picture (or a viral meme) cannot flood law enforcement.
#ifndef HASHWATCH_MATCHER_ROUTING_H_
#define HASHWATCH_MATCHER_ROUTING_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "matcher/bank_store.h"
#include "matcher/evidence.h"

namespace hashwatch::matcher {

enum class Verdict { kNoMatch, kAutoReport, kReview, kAllowed };
absl::string_view VerdictName(Verdict v);  // "no_match", "auto_report", ...

// What the caller knows about an item besides its pixels.
struct ScanContext {
  double classifier_score = 0;       // 0..1; 0 when no classifier ran
  bool user_report = false;          // a user reported it
  std::vector<std::string> signals;  // e.g. "grooming", "livestream"
};

struct RoutingOptions {
  // No match but classifier_score >= this -> review as novel. 0..1; 1.01
  // turns the classifier path off. Default 0.9.
  double novel_classifier_threshold = 0.9;
  // A user report of an unmatched item -> review as novel.
  bool review_user_reports = true;
  // Context signals that send an unmatched item to review as novel.
  std::vector<std::string> review_signals = {
      "grooming", "livestream", "underage_account", "multiple_victims"};
};

// Checks ranges; InvalidArgument names the field.
absl::Status ValidateRoutingOptions(const RoutingOptions& options);
absl::Status ValidateScanContext(const ScanContext& context);

struct RoutedMatch {
  Match match;
  bool covered_by_allow = false;  // suppressed by an allow-bank entry
  bool auto_report = false;       // this match alone would auto-report
  bool flooding = false;          // demoted by the flood guard
};

struct RoutingDecision {
  Verdict verdict = Verdict::kNoMatch;
  bool novel = false;                // review of an unmatched, flagged item
  std::vector<RoutedMatch> matches;  // match-bank matches first, closest first
  int best = -1;                     // index into matches of the deciding match
  // Entries the flood guard flagged on this scan (for a lead to look at).
  std::vector<uint64_t> flagged_entries;
  std::string reason;  // one human-readable line
};

struct FloodGuardOptions {
  int max_distinct_contents = 50;          // per entry per window; > 0
  absl::Duration window = absl::Hours(1);  // > 0
  // Called, under the guard's lock, when an entry's quarantine starts or
  // must be extended, with its new end: store it durably so that Restore
  // finds it after a restart. Extensions are written at most about twice a
  // window per entry. Null: the guard lives in memory only. A failure is
  // logged; the quarantine holds in memory all the same.
  std::function<absl::Status(uint64_t entry_id, absl::Time until)> persist =
      nullptr;
};

// Counts distinct content ids per bank entry in a sliding window. An entry
// that matches more than max_distinct_contents within the window is
// quarantined (its matches go to review) until a whole window has passed
// since it was last over the limit. The quarantines are handed to
// options.persist and put back by Restore, so they survive a restart; the
// counts themselves start afresh. Thread-safe.
class FloodGuard final {
 public:
  FloodGuard(const FloodGuardOptions& options, Clock* clock);
  // Records that `content_id` matched `entry_id`; returns true when the
  // entry is now over its limit.
  bool RecordAndCheck(uint64_t entry_id, absl::string_view content_id);
  // Entries flagged so far (over the limit at some point), sorted.
  std::vector<uint64_t> Flagged() const;
  // Puts back a quarantine stored by options.persist (flagged, and
  // quarantined until `until`).
  void Restore(uint64_t entry_id, absl::Time until);

 private:
  struct Seen {
    std::deque<std::pair<absl::Time, std::string>> recent;
  };
  const FloodGuardOptions options_;
  Clock* const clock_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<uint64_t, Seen> seen_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, bool> flagged_ ABSL_GUARDED_BY(mu_);
  // Quarantine end per entry: in force, and as last persisted.
  absl::flat_hash_map<uint64_t, absl::Time> quarantine_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, absl::Time> persisted_ ABSL_GUARDED_BY(mu_);
};

// Decides one scan. `matches` are all matches of the query (any banks,
// both kinds), `quality` the query's PDQ quality (0..100; use 100 for
// exact-hash-only queries). `flood_guard` may be null (no guard).
RoutingDecision Route(const std::vector<Match>& matches, int quality,
                      absl::string_view content_id, const ScanContext& context,
                      const RoutingOptions& options, FloodGuard* flood_guard);

// The category a match stands for: its entry's, else its bank's default.
std::string MatchCategory(const Match& match);
// A match as evidence: the entry, the distance, the category and the
// bank's thresholds.
MatchEvidence EvidenceOf(const Match& match);
// The evidence of the decision's matches that count, the ones no allow-bank
// entry covers, in the decision's order (what a report or a review item
// records).
std::vector<MatchEvidence> CountedEvidence(const RoutingDecision& decision);

}  // namespace hashwatch::matcher

#endif  // HASHWATCH_MATCHER_ROUTING_H_
