#include "queue/internal/lane_scheduler.h"

#include <algorithm>
#include <numeric>

namespace hashwatch::queue::internal {

LaneScheduler::LaneScheduler(const std::vector<Lane>& lanes)
    : lanes_(lanes), pass_(lanes.size(), 0.0) {}

int LaneScheduler::Pick(absl::FunctionRef<bool(int)> eligible) {
  const int n = static_cast<int>(lanes_.size());
  for (int i = 0; i < n; ++i) {
    if (lanes_[i].served_first && eligible(i)) return i;
  }
  std::vector<int> order;
  for (int i = 0; i < n; ++i) {
    if (!lanes_[i].served_first) order.push_back(i);
  }
  auto effective = [&](int i) { return std::max(pass_[i], virtual_time_); };
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return effective(a) < effective(b); });
  for (int i : order) {
    if (!eligible(i)) continue;
    virtual_time_ = effective(i);
    pass_[i] = virtual_time_ + 1.0 / lanes_[i].weight;
    return i;
  }
  return -1;
}

}  // namespace hashwatch::queue::internal
