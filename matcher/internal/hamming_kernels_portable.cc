// Portable kernels: four 64-bit popcounts per hash. The reference the
// AVX-512 kernels are tested against, and what runs on CPUs without them.
#include <algorithm>
#include <bit>

#include "matcher/internal/hamming_kernels.h"

namespace hashwatch::matcher::internal {
namespace {

inline int Distance(const uint64_t a[4], const uint64_t b[4]) {
  return std::popcount(a[0] ^ b[0]) + std::popcount(a[1] ^ b[1]) +
         std::popcount(a[2] ^ b[2]) + std::popcount(a[3] ^ b[3]);
}

size_t Scan(const PdqHash* hashes, size_t n, const PdqHash& q, int radius,
            uint32_t* out_idx, uint16_t* out_dist) {
  uint64_t qw[4];
  LoadWords(q, qw);
  size_t out = 0;
  for (size_t i = 0; i < n; ++i) {
    uint64_t w[4];
    LoadWords(hashes[i], w);
    const int d = Distance(w, qw);
    if (d <= radius) {
      out_idx[out] = static_cast<uint32_t>(i);
      out_dist[out] = static_cast<uint16_t>(d);
      ++out;
    }
  }
  return out;
}

size_t ScanMany(const PdqHash* hashes, size_t n, const PdqHash* queries, int nq,
                int radius, uint32_t* out_idx, uint16_t* out_dist,
                uint8_t* out_variant) {
  uint64_t qw[kMaxScanQueries][4];
  for (int v = 0; v < nq; ++v) LoadWords(queries[v], qw[v]);
  size_t out = 0;
  for (size_t i = 0; i < n; ++i) {
    uint64_t w[4];
    LoadWords(hashes[i], w);
    int best = radius + 1, best_v = 0;
    for (int v = 0; v < nq; ++v) {
      const int d = Distance(w, qw[v]);
      if (d < best) {
        best = d;
        best_v = v;
      }
    }
    if (best <= radius) {
      out_idx[out] = static_cast<uint32_t>(i);
      out_dist[out] = static_cast<uint16_t>(best);
      out_variant[out] = static_cast<uint8_t>(best_v);
      ++out;
    }
  }
  return out;
}

size_t Verify(const PdqHash* base, const uint32_t* slots, size_t n,
              const PdqHash& q, int radius, uint32_t* out_slots,
              uint16_t* out_dist) {
  uint64_t qw[4];
  LoadWords(q, qw);
  size_t out = 0;
  for (size_t i = 0; i < n; ++i) {
    uint64_t w[4];
    LoadWords(base[slots[i]], w);
    const int d = Distance(w, qw);
    if (d <= radius) {
      out_slots[out] = slots[i];
      out_dist[out] = static_cast<uint16_t>(d);
      ++out;
    }
  }
  return out;
}

size_t VerifySplit(const HalfHash* lo, const HalfHash* hi,
                   const uint32_t* slots, size_t n, const PdqHash& q,
                   int radius, uint32_t* out_slots, uint16_t* out_dist) {
  uint64_t qw[4];
  LoadWords(q, qw);
  size_t out = 0;
  for (size_t i = 0; i < n; ++i) {
    const HalfHash& a = lo[slots[i]];
    const int d_lo =
        std::popcount(a.w[0] ^ qw[0]) + std::popcount(a.w[1] ^ qw[1]);
    if (d_lo > radius) continue;
    const HalfHash& b = hi[slots[i]];
    const int d =
        d_lo + std::popcount(b.w[0] ^ qw[2]) + std::popcount(b.w[1] ^ qw[3]);
    if (d <= radius) {
      out_slots[out] = slots[i];
      out_dist[out] = static_cast<uint16_t>(d);
      ++out;
    }
  }
  return out;
}

size_t Filter(const uint32_t* entries, size_t n, uint32_t q_low, int low_bits,
              int budget, uint32_t* out) {
  const uint32_t mask = (uint32_t{1} << low_bits) - 1;
  size_t k = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t e = entries[i];
    // Branch-free append: the slot is always written, the count advances
    // only when the entry passes.
    out[k] = e >> low_bits;
    k += std::popcount((e ^ q_low) & mask) <= budget;
  }
  return k;
}

size_t FilterLine(const uint32_t* line, uint32_t q_low, int low_bits,
                  int budget, uint32_t* out) {
  const size_t n = std::min<uint32_t>(line[15] & 31, 15);
  return Filter(line, n, q_low, low_bits, budget, out);
}

constexpr HammingKernels kPortable = {
    PopcountKernel::kPortable,
    "portable",
    Scan,
    ScanMany,
    Verify,
    VerifySplit,
    Filter,
    FilterLine,
};

}  // namespace

const HammingKernels& PortableKernels() { return kPortable; }

}  // namespace hashwatch::matcher::internal
