// Synthetic data and statistics shared by the benchmarks: a small fast
// RNG, PDQ-like random hashes (256 bits, exactly 128 ones, like PDQ's
// median threshold) and percentiles.
#ifndef HASHWATCH_BENCH_SYNTHETIC_H_
#define HASHWATCH_BENCH_SYNTHETIC_H_

#include <algorithm>
#include <cstdint>
#include <vector>

#include "matcher/pdq.h"

namespace hashwatch::bench {

using matcher::PdqHash;

// splitmix64: fast and good enough for synthetic data.
struct Rng {
  uint64_t s;
  uint64_t operator()() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  int Below(int n) {
    return static_cast<int>((*this)() % static_cast<uint64_t>(n));
  }
};

inline int Popcount(const PdqHash& h) {
  int n = 0;
  for (uint16_t w : h.words) n += __builtin_popcount(w);
  return n;
}

inline void ToggleBit(PdqHash& h, int bit) {
  h.words[bit >> 4] ^= static_cast<uint16_t>(1u << (bit & 15));
}

// Random 256 bits with exactly 128 ones.
inline PdqHash PdqLike(Rng& rng) {
  PdqHash h;
  for (int i = 0; i < 16; i += 4) {
    const uint64_t x = rng();
    for (int k = 0; k < 4; ++k)
      h.words[i + k] = static_cast<uint16_t>(x >> (16 * k));
  }
  for (int ones = Popcount(h); ones != 128;) {
    const int bit = rng.Below(256);
    if (h.Bit(bit) == (ones > 128)) {
      ToggleBit(h, bit);
      ones += ones > 128 ? -1 : 1;
    }
  }
  return h;
}

// The p-quantile (0..1) of `v` (nearest rank); 0 for no values.
inline double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p * v.size()));
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

}  // namespace hashwatch::bench

#endif  // HASHWATCH_BENCH_SYNTHETIC_H_
