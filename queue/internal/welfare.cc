#include "queue/internal/welfare.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace hashwatch::queue::internal {
namespace {

constexpr int kUnlimited = 1 << 30;

// Applies one sliding-window limit.
void ApplyWindow(int limit, absl::Duration window, absl::string_view name,
                 absl::Time now, absl::Span<const absl::Time> exposures,
                 int* count, WelfareVerdict* v,
                 std::vector<std::string>* reasons) {
  const absl::Time from = now - window;
  const auto first = std::upper_bound(exposures.begin(), exposures.end(), from);
  *count = static_cast<int>(exposures.end() - first);
  if (limit <= 0) return;
  if (*count < limit) {
    v->allowed = std::min(v->allowed, limit - *count);
    return;
  }
  v->allowed = 0;
  // The window drops below the limit when its (count - limit + 1)-th oldest
  // exposure leaves it.
  v->break_until =
      std::max(v->break_until, *(first + (*count - limit)) + window);
  reasons->push_back(
      absl::StrCat(*count, " items ", name, " (limit ", limit, ")"));
}

}  // namespace

absl::Duration WelfareWindow(const WelfareOptions& options) {
  return std::max(absl::Hours(1), options.shift_length);
}

WelfareVerdict EvaluateWelfare(const WelfareOptions& options, absl::Time now,
                               const ModeratorState& state,
                               absl::Span<const absl::Time> exposures) {
  WelfareVerdict v;
  v.allowed = kUnlimited;
  std::vector<std::string> reasons;
  v.consecutive = static_cast<int>(state.consecutive);
  if (now - state.last_activity >= options.break_length) v.consecutive = 0;
  if (options.break_after_items > 0) {
    if (v.consecutive >= options.break_after_items) {
      v.allowed = 0;
      v.break_until = state.last_activity + options.break_length;
      reasons.push_back(absl::StrCat(v.consecutive,
                                     " items without a break (limit ",
                                     options.break_after_items, ")"));
    } else {
      v.allowed = options.break_after_items - v.consecutive;
    }
  }
  ApplyWindow(options.max_items_per_hour, absl::Hours(1), "in the last hour",
              now, exposures, &v.items_last_hour, &v, &reasons);
  ApplyWindow(options.max_items_per_shift, options.shift_length, "this shift",
              now, exposures, &v.items_this_shift, &v, &reasons);
  if (v.allowed == 0) v.reason = absl::StrJoin(reasons, ", ");
  return v;
}

}  // namespace hashwatch::queue::internal
