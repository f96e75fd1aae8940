// Priority of review items: pure functions over configurable weights, no
// storage and no clock. The queue calls them at enqueue time.
//
// The formula. An item's *base* priority, in points, is
//
//   base = severity[category]                 (severity_default if unknown)
//        + confidence_weight * confidence     (confidence in 0..1, below)
//        + (kind is novel ? novelty_weight : 0)
//        + sum of signal_weights[s] over the distinct signals s present
//          (grooming, livestream, underage_account, multiple_victims, ...)
//        + classifier_weight * classifier_score   (when a classifier ran)
//        + priority_boost                     (the bank policy's boost)
//
// where the match confidence of one match at Hamming distance d, for a bank
// that auto-reports at distance A and reviews up to distance R (A < R), is
//
//   confidence = clamp((R - d) / (R - A), 0, 1)
//
// (1 at or below the auto-report distance, falling linearly to 0 at the
// review radius; for exact hashes, A = R = 0, a match is 1); an item's
// confidence is that of its best match, 0 without matches.
//
// While an item waits, its *effective* priority rises linearly:
//
//   effective(t) = base + aging_per_hour * hours(t - lane_time)
//
// so any item eventually outranks any newer one: no starvation. An item of
// base b1 enqueued at t1 overtakes one of base b2 > b1 enqueued at t2 > t1
// exactly when aging_per_hour * (t2 - t1) > b2 - b1.
//
// Ordering without re-scoring. For one aging rate r, effective(t) orders
// items exactly as the static *virtual enqueue time*
//
//   v = lane_time - base / r
//
// does in reverse (effective_a(t) > effective_b(t)  <=>  v_a < v_b, at
// every t), so the queue keeps items sorted by v in RocksDB and never
// rescans them as time passes.
//
// Classes and SLAs. The base priority also places an item in a priority
// class (critical, high, normal, low) by the class floors below. Each lane
// has an SLA per class; an item still waiting at lane_time + SLA is
// *overdue* and is served before the lane's other items, earliest deadline
// first.
//
// Thread-safety: all functions are pure and thread-safe.
#ifndef HASHWATCH_QUEUE_PRIORITY_H_
#define HASHWATCH_QUEUE_PRIORITY_H_

#include <array>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace hashwatch::queue {

enum class PriorityClass { kCritical = 0, kHigh = 1, kNormal = 2, kLow = 3 };
inline constexpr int kPriorityClassCount = 4;

// "critical", "high", "normal", "low".
absl::string_view PriorityClassName(PriorityClass c);

// Weights of the formula above, in priority points. The defaults put a
// category-A novel livestream far above a category-C near-radius match, and
// let a day of waiting (96 points at 4/hour) lift any item to the top.
struct PriorityPolicy {
  // Points per severity category (IWF A/B/C by default; platforms add their
  // own). Categories not listed get severity_default.
  std::map<std::string, double> severity = {{"A", 40}, {"B", 25}, {"C", 15}};
  double severity_default = 10;   // unknown or empty category
  double confidence_weight = 20;  // times the best match's confidence (0..1)
  double novelty_weight = 25;     // for ItemKind::kNovel (possibly new abuse)
  // Points per signal present; signals not listed add nothing.
  std::map<std::string, double> signal_weights = {{"grooming", 20},
                                                  {"livestream", 30},
                                                  {"underage_account", 15},
                                                  {"multiple_victims", 10}};
  double classifier_weight = 10;  // times the classifier score (0..1)
  // Points gained per hour of waiting. Must be > 0: it is what prevents
  // starvation, and the virtual enqueue time divides by it.
  double aging_per_hour = 4;
  // Lowest base priority of kCritical, kHigh and kNormal (anything lower is
  // kLow); must be decreasing.
  std::array<double, 3> class_floors = {70, 45, 20};
};

// The inputs of the formula, independent of how an item is stored.
struct PriorityMatch {
  int distance = 0;
  int auto_report_distance = 0;
  int review_distance = 0;
};
struct PriorityInput {
  absl::string_view category = {};
  bool novel = false;
  absl::Span<const PriorityMatch> matches = {};
  absl::Span<const std::string> signals = {};  // duplicates count once
  double classifier_score = -1;                // negative: none
  double priority_boost = 0;
};

struct PriorityScore {
  double base = 0;
  PriorityClass priority_class = PriorityClass::kLow;
};

// InvalidArgument naming the bad field: a negative or non-finite weight,
// aging_per_hour <= 0, class floors not strictly decreasing.
absl::Status ValidatePriorityPolicy(const PriorityPolicy& policy);

// Confidence of one match, 0..1, as in the header comment.
double MatchConfidence(const PriorityMatch& match);

// The base priority and its class. `policy` must be valid.
PriorityScore ScorePriority(const PriorityPolicy& policy,
                            const PriorityInput& input);

// The class of a base priority under the policy's floors.
PriorityClass ClassOf(const PriorityPolicy& policy, double base);

// base + aging_per_hour * hours(waited); `waited` below zero counts as zero.
double EffectivePriority(const PriorityPolicy& policy, double base,
                         absl::Duration waited);

// lane_time - base / aging_per_hour, rounded to the microsecond: the key the
// queue sorts waiting items by (ascending = highest effective priority
// first).
absl::Time VirtualEnqueueTime(const PriorityPolicy& policy, double base,
                              absl::Time lane_time);

}  // namespace hashwatch::queue

#endif  // HASHWATCH_QUEUE_PRIORITY_H_
