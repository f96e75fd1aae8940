#include "matcher/internal/mih_layout.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "common/status_macros.h"

namespace hashwatch::matcher::internal {
namespace {

// Cost model, nanoseconds on one core of the benchmark machine (AMD EPYC,
// DDR5), fitted with bench/index_bench: a probe is one random line
// overlapped with others; a bucket entry is filtered 16 at a time (only
// matters when a bucket overflows); a candidate is one random 16-byte read;
// a linear scan streams 32 bytes per hash.
constexpr double kProbeNs = 20.0;
constexpr double kEntryNs = 0.15;
constexpr double kCandidateNs = 15.0;
constexpr double kScanNs = 1.6;

double TableCost(const MihLayout& l, int i, size_t n, int t) {
  if (t < 0) return 0;
  const double probes =
      BallVolume(l.bucket_bits[i], std::min(t, l.bucket_bits[i]));
  const double entries =
      probes * static_cast<double>(n) / std::ldexp(1.0, l.bucket_bits[i]);
  const double cands = static_cast<double>(n) * BallVolume(l.width[i], t) /
                       std::ldexp(1.0, l.width[i]);
  return kProbeNs * probes + kEntryNs * entries + kCandidateNs * cands;
}

}  // namespace

double BallVolume(int bits, int t) {
  double sum = 0, c = 1;  // c = C(bits, k)
  for (int k = 0; k <= t && k <= bits; ++k) {
    sum += c;
    c = c * (bits - k) / (k + 1);
  }
  return sum;
}

MihLayout MihLayout::Make(int num_tables, int bucket_bits) {
  HW_CHECK(num_tables >= kMinTables && num_tables <= kMaxTables,
           "num_tables out of range");
  MihLayout l;
  l.num_tables = num_tables;
  int off = 0;
  for (int i = 0; i < num_tables; ++i) {
    l.width[i] = 256 / num_tables + (i < 256 % num_tables ? 1 : 0);
    l.offset[i] = off;
    off += l.width[i];
    l.bucket_bits[i] = std::clamp(bucket_bits, 1, l.width[i]);
    l.low_bits[i] = l.width[i] - l.bucket_bits[i];
  }
  return l;
}

uint64_t MihLayout::SlotCapacity() const {
  int low = 0;
  for (int i = 0; i < num_tables; ++i) low = std::max(low, low_bits[i]);
  return uint64_t{1} << (32 - low);
}

int AutoBucketBits(size_t n, int num_tables) {
  // floor(log2(n / 8.4)): 8.4..16.8 entries per bucket on average.
  const int bits_for_8 = std::bit_width(std::max<size_t>(n * 5 / 42, 1)) - 1;
  int bits = std::clamp(bits_for_8, 4, 24);
  while (MihLayout::Make(num_tables, bits).SlotCapacity() < n) ++bits;
  return bits;
}

std::vector<ProbePlan> MakeProbePlans(const MihLayout& l, size_t n,
                                      int max_radius, bool allow_scan) {
  const int m = l.num_tables;
  // cost[i][t + 1]: table i probed at threshold t (t = -1: not probed).
  std::vector<std::vector<double>> cost(m);
  for (int i = 0; i < m; ++i) {
    for (int t = -1; t <= l.width[i]; ++t)
      cost[i].push_back(TableCost(l, i, n, t));
  }
  std::vector<ProbePlan> plans;
  ProbePlan plan;
  for (int i = 0; i < m; ++i) plan.threshold[i] = -1;
  // sum(t_i) must reach r - m + 1; from all -1 that is r + 1 steps.
  for (int r = 0; r <= max_radius; ++r) {
    int best = -1;
    double best_delta = 0;
    for (int i = 0; i < m; ++i) {
      const int t = plan.threshold[i];
      if (t >= l.width[i]) continue;  // already probes every value
      const double delta = cost[i][t + 2] - cost[i][t + 1];
      if (best < 0 || delta < best_delta) {
        best = i;
        best_delta = delta;
      }
    }
    HW_CHECK(best >= 0, "radius beyond the layout");
    ++plan.threshold[best];
    double total = 0;
    plan.est_probes = plan.est_candidates = 0;
    for (int i = 0; i < m; ++i) {
      const int t = plan.threshold[i];
      if (t < 0) continue;
      total += cost[i][t + 1];
      plan.est_probes +=
          BallVolume(l.bucket_bits[i], std::min(t, l.bucket_bits[i]));
      plan.est_candidates += static_cast<double>(n) *
                             BallVolume(l.width[i], t) /
                             std::ldexp(1.0, l.width[i]);
    }
    plan.scan = allow_scan && kScanNs * static_cast<double>(n) < total;
    plans.push_back(plan);
  }
  return plans;
}

}  // namespace hashwatch::matcher::internal
