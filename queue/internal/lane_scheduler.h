// Weighted lane shares by stride scheduling (private).
//
// Each weighted lane has a stride 1/weight and a pass; serving a lane adds
// its stride to its pass, and the lane with the smallest pass that has an
// eligible item is served next (ties by configured order). So when lanes
// stay non-empty, any window of leases follows the weights to within one
// lease per lane (C. A. Waldspurger and W. E. Weihl, "Stride Scheduling",
// MIT/LCS/TM-528, 1995). A lane with nothing eligible is passed over, so its
// share goes to the others, and it banks no credit while idle: its pass is
// raised to the scheduler's virtual time (the pass last served) before it
// competes again. served_first lanes are served before any weighted lane.
//
// The state is a few doubles per lane in memory; after a restart the
// shares start afresh.
//
// Thread-safety: not thread-safe; the queue calls it under its mutex.
#ifndef HASHWATCH_QUEUE_INTERNAL_LANE_SCHEDULER_H_
#define HASHWATCH_QUEUE_INTERNAL_LANE_SCHEDULER_H_

#include <vector>

#include "absl/functional/function_ref.h"

namespace hashwatch::queue::internal {

class LaneScheduler {
 public:
  struct Lane {
    int weight = 1;  // > 0 unless served_first
    bool served_first = false;
  };
  explicit LaneScheduler(const std::vector<Lane>& lanes);

  // The lane (index into the constructor's list) to serve next among those
  // for which eligible(i) is true, or -1 when none is. Calls eligible()
  // lazily, in serving order, and charges the chosen lane.
  int Pick(absl::FunctionRef<bool(int)> eligible);

 private:
  std::vector<Lane> lanes_;
  std::vector<double> pass_;
  double virtual_time_ = 0;
};

}  // namespace hashwatch::queue::internal

#endif  // HASHWATCH_QUEUE_INTERNAL_LANE_SCHEDULER_H_
