// Exposure-limit arithmetic (private): pure functions over a moderator's
// recent exposures, so the rules are testable without a database.
//
// Thread-safety: pure functions.
#ifndef HASHWATCH_QUEUE_INTERNAL_WELFARE_H_
#define HASHWATCH_QUEUE_INTERNAL_WELFARE_H_

#include <string>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "queue/internal/records.h"
#include "queue/review_queue.h"

namespace hashwatch::queue::internal {

struct WelfareVerdict {
  int allowed = 0;  // items the moderator may lease now (capped at 1 << 30)
  absl::Time break_until = absl::InfinitePast();  // when allowed == 0
  std::string reason;  // which limits were reached, when allowed == 0
  int items_last_hour = 0;
  int items_this_shift = 0;
  int consecutive = 0;  // after resetting for a break already taken
};

// How far back exposures matter: max(1 hour, shift_length).
absl::Duration WelfareWindow(const WelfareOptions& options);

// `exposures` are the lease times of the moderator's items within
// WelfareWindow before `now`, ascending.
WelfareVerdict EvaluateWelfare(const WelfareOptions& options, absl::Time now,
                               const ModeratorState& state,
                               absl::Span<const absl::Time> exposures);

}  // namespace hashwatch::queue::internal

#endif  // HASHWATCH_QUEUE_INTERNAL_WELFARE_H_
