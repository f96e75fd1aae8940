#include "queue/priority.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"

namespace hashwatch::queue {
namespace {

absl::Status CheckWeight(absl::string_view name, double w) {
  if (!std::isfinite(w) || w < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "priority: ", name, " is ", w, ", want a finite value >= 0"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view PriorityClassName(PriorityClass c) {
  switch (c) {
    case PriorityClass::kCritical:
      return "critical";
    case PriorityClass::kHigh:
      return "high";
    case PriorityClass::kNormal:
      return "normal";
    case PriorityClass::kLow:
      return "low";
  }
  return "unknown";
}

absl::Status ValidatePriorityPolicy(const PriorityPolicy& policy) {
  for (const auto& [category, w] : policy.severity) {
    absl::Status s = CheckWeight(absl::StrCat("severity[", category, "]"), w);
    if (!s.ok()) return s;
  }
  for (const auto& [signal, w] : policy.signal_weights) {
    absl::Status s =
        CheckWeight(absl::StrCat("signal_weights[", signal, "]"), w);
    if (!s.ok()) return s;
  }
  for (const auto& [name, w] :
       {std::pair<const char*, double>{"severity_default",
                                       policy.severity_default},
        {"confidence_weight", policy.confidence_weight},
        {"novelty_weight", policy.novelty_weight},
        {"classifier_weight", policy.classifier_weight}}) {
    absl::Status s = CheckWeight(name, w);
    if (!s.ok()) return s;
  }
  if (!std::isfinite(policy.aging_per_hour) || policy.aging_per_hour <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "priority: aging_per_hour is ", policy.aging_per_hour, ", want > 0"));
  }
  const auto& f = policy.class_floors;
  if (!std::isfinite(f[0]) || !std::isfinite(f[2]) || !(f[0] > f[1]) ||
      !(f[1] > f[2])) {
    return absl::InvalidArgumentError(
        absl::StrCat("priority: class_floors {", f[0], ", ", f[1], ", ", f[2],
                     "} must be finite and strictly decreasing"));
  }
  return absl::OkStatus();
}

double MatchConfidence(const PriorityMatch& match) {
  if (match.distance <= match.auto_report_distance) return 1.0;
  if (match.review_distance <= match.auto_report_distance) return 0.0;
  const double c =
      static_cast<double>(match.review_distance - match.distance) /
      static_cast<double>(match.review_distance - match.auto_report_distance);
  return std::clamp(c, 0.0, 1.0);
}

PriorityClass ClassOf(const PriorityPolicy& policy, double base) {
  for (int c = 0; c < 3; ++c) {
    if (base >= policy.class_floors[c]) return static_cast<PriorityClass>(c);
  }
  return PriorityClass::kLow;
}

PriorityScore ScorePriority(const PriorityPolicy& policy,
                            const PriorityInput& input) {
  double base = policy.severity_default;
  if (auto it = policy.severity.find(std::string(input.category));
      it != policy.severity.end()) {
    base = it->second;
  }
  double confidence = 0;
  for (const PriorityMatch& m : input.matches) {
    confidence = std::max(confidence, MatchConfidence(m));
  }
  base += policy.confidence_weight * confidence;
  if (input.novel) base += policy.novelty_weight;
  std::set<absl::string_view> seen;
  for (const std::string& s : input.signals) {
    if (!seen.insert(s).second) continue;
    if (auto it = policy.signal_weights.find(s);
        it != policy.signal_weights.end()) {
      base += it->second;
    }
  }
  if (input.classifier_score >= 0) {
    base += policy.classifier_weight * std::min(input.classifier_score, 1.0);
  }
  if (std::isfinite(input.priority_boost)) base += input.priority_boost;
  return PriorityScore{base, ClassOf(policy, base)};
}

double EffectivePriority(const PriorityPolicy& policy, double base,
                         absl::Duration waited) {
  const double hours = std::max(0.0, absl::ToDoubleHours(waited));
  return base + policy.aging_per_hour * hours;
}

absl::Time VirtualEnqueueTime(const PriorityPolicy& policy, double base,
                              absl::Time lane_time) {
  const double offset_us = base / policy.aging_per_hour * 3600e6;
  return lane_time - absl::Microseconds(std::llround(offset_us));
}

}  // namespace hashwatch::queue
