// Popcount kernels behind the Hamming indexes, one implementation per ISA:
// hamming_kernels_portable.cc (64-bit popcounts in baseline x86-64, any
// CPU), hamming_kernels_avx2.cc (the same code with POPCNT and AVX2) and
// hamming_kernels_avx512.cc (AVX-512 VPOPCNTDQ). The last two are compiled
// with per-function target attributes, live in namespaces avx2 and avx512
// (the only code tests/portable allows beyond baseline x86-64) and are
// chosen at run time, so a binary built for baseline x86-64 still uses them
// where the CPU has them.
//
// All kernels are pure functions over caller-owned memory; thread-safe.
// Output arrays must have room for `n` elements. Distances fit in uint16_t.
#ifndef HASHWATCH_MATCHER_INTERNAL_HAMMING_KERNELS_H_
#define HASHWATCH_MATCHER_INTERNAL_HAMMING_KERNELS_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "matcher/hamming_index.h"
#include "matcher/pdq.h"

namespace hashwatch::matcher::internal {

// Half a hash: words 0..1 (bits 0..127) or 2..3 (bits 128..255) of the
// four little-endian 64-bit words.
struct HalfHash {
  uint64_t w[2];
};

// The most queries one ScanMany call compares at once.
inline constexpr int kMaxScanQueries = 8;

struct HammingKernels {
  PopcountKernel isa;  // kPortable, kAvx2 or kAvx512
  const char* name;

  // For i in [0, n) with d = dist(hashes[i], q) <= radius: appends i to
  // out_idx and d to out_dist. Returns the number appended.
  size_t (*scan)(const PdqHash* hashes, size_t n, const PdqHash& q, int radius,
                 uint32_t* out_idx, uint16_t* out_dist);

  // For i in [0, n), d = min over the nq (1..kMaxScanQueries) queries of
  // dist(hashes[i], queries[v]), v the lowest index reaching it: when d <=
  // radius appends i, d, v. Returns the number appended.
  size_t (*scan_many)(const PdqHash* hashes, size_t n, const PdqHash* queries,
                      int nq, int radius, uint32_t* out_idx, uint16_t* out_dist,
                      uint8_t* out_variant);

  // For i in [0, n) with d = dist(base[slots[i]], q) <= radius: appends
  // slots[i] to out_slots and d to out_dist. Returns the number appended.
  size_t (*verify)(const PdqHash* base, const uint32_t* slots, size_t n,
                   const PdqHash& q, int radius, uint32_t* out_slots,
                   uint16_t* out_dist);

  // verify over hashes stored as two half arrays: for i in [0, n), s =
  // slots[i], d = dist(lo[s] ++ hi[s], q). The low halves are compared
  // first (a random candidate differs there by ~64 bits, so hi is read only
  // for real matches), which halves the memory the random reads touch.
  size_t (*verify_split)(const HalfHash* lo, const HalfHash* hi,
                         const uint32_t* slots, size_t n, const PdqHash& q,
                         int radius, uint32_t* out_slots, uint16_t* out_dist);

  // Bucket filter. Each entry is (slot << low_bits) | low. For i in [0, n)
  // with popcount((entries[i] ^ q_low) & ((1 << low_bits) - 1)) <= budget:
  // appends entries[i] >> low_bits to out. Returns the number appended.
  // Requires 0 <= low_bits < 32; out has room for n + 16.
  size_t (*filter)(const uint32_t* entries, size_t n, uint32_t q_low,
                   int low_bits, int budget, uint32_t* out);

  // filter over the inline entries of one 64-byte-aligned bucket line:
  // lanes 0..14 are entries, lane 15 the header, whose low five bits give
  // the count (16 or more: the line is full, 15 entries).
  size_t (*filter_line)(const uint32_t* line, uint32_t q_low, int low_bits,
                        int budget, uint32_t* out);
};

const HammingKernels& PortableKernels();
// nullptr when this build has no AVX2 kernels (not x86-64).
const HammingKernels* Avx2Kernels();
// Whether this CPU (and OS) can run the AVX2 kernels.
bool CpuHasAvx2Popcount();
// nullptr when this build has no AVX-512 kernels (not x86-64).
const HammingKernels* Avx512Kernels();
// Whether this CPU (and OS) can run the AVX-512 kernels.
bool CpuHasAvx512Popcount();
// The kernels `requested` resolves to (see ResolvePopcountKernel).
const HammingKernels& KernelsFor(PopcountKernel requested);

// The hash as four little-endian 64-bit words (bits 0..63 first).
inline void LoadWords(const PdqHash& h, uint64_t out[4]) {
  static_assert(sizeof(PdqHash) == 32);
  std::memcpy(out, h.words.data(), 32);
}

}  // namespace hashwatch::matcher::internal

#endif  // HASHWATCH_MATCHER_INTERNAL_HAMMING_KERNELS_H_
