// AVX-512 kernels (F, VL, BW, DQ + VPOPCNTDQ). Each function carries its own
// target attribute, so this file builds with any -march and the dispatcher
// in hamming_kernels.cc runs it only on CPUs that have the instructions. No
// standard-library templates are instantiated in here: an inline function
// compiled for AVX-512 could otherwise be merged into callers on other CPUs.
//
// Layout trick shared by the kernels: one 512-bit register holds two 256-bit
// values; after XOR and a 64-bit popcount it holds eight partial counts, four
// per value. Sum8 folds four such registers (eight values) into one register
// of eight whole distances, lane k = value k, with two unpacks and two
// two-source permutes instead of eight horizontal reductions.
#include "matcher/internal/hamming_kernels.h"

#if defined(__x86_64__)

// GCC 12's AVX-512 headers trip -Wuninitialized on their own
// _mm512_undefined_* helpers (GCC bug 105593, fixed in 12.3/13).
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)  // a GCC-only warning (clang builds the fuzzers)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#define HW_AVX512_TARGET \
  __attribute__((        \
      target("avx512f,avx512vl,avx512bw,avx512dq,avx512vpopcntdq,popcnt")))

namespace hashwatch::matcher::internal {
namespace avx512 {
namespace {

// a = values 0,1; b = 2,3; c = 4,5; d = 6,7 (each as four 64-bit counts).
HW_AVX512_TARGET inline __m512i Sum8(__m512i a, __m512i b, __m512i c,
                                     __m512i d) {
  // ab = [a0+a1, b0+b1, a2+a3, b2+b3, a4+a5, b4+b5, a6+a7, b6+b7].
  const __m512i ab = _mm512_add_epi64(_mm512_unpacklo_epi64(a, b),
                                      _mm512_unpackhi_epi64(a, b));
  const __m512i cd = _mm512_add_epi64(_mm512_unpacklo_epi64(c, d),
                                      _mm512_unpackhi_epi64(c, d));
  // value 0 = ab0+ab2, 1 = ab4+ab6, 2 = ab1+ab3, 3 = ab5+ab7; 4..7 from cd.
  const __m512i x_idx = _mm512_set_epi64(13, 9, 12, 8, 5, 1, 4, 0);
  const __m512i y_idx = _mm512_set_epi64(15, 11, 14, 10, 7, 3, 6, 2);
  return _mm512_add_epi64(_mm512_permutex2var_epi64(ab, x_idx, cd),
                          _mm512_permutex2var_epi64(ab, y_idx, cd));
}

HW_AVX512_TARGET inline __m512i PopXor(__m512i a, __m512i b) {
  return _mm512_popcnt_epi64(_mm512_xor_si512(a, b));
}

HW_AVX512_TARGET inline __m512i Load2(const PdqHash* a, const PdqHash* b) {
  const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a));
  const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b));
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

HW_AVX512_TARGET inline __m512i Broadcast(const PdqHash& h) {
  return _mm512_broadcast_i64x4(
      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(&h)));
}

HW_AVX512_TARGET inline int Distance1(const PdqHash& a, const __m256i q) {
  const __m256i x = _mm256_xor_si256(
      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(&a)), q);
  const __m256i c = _mm256_popcnt_epi64(x);
  const __m128i s =
      _mm_add_epi64(_mm256_castsi256_si128(c), _mm256_extracti64x2_epi64(c, 1));
  return static_cast<int>(_mm_cvtsi128_si64(s) + _mm_extract_epi64(s, 1));
}

HW_AVX512_TARGET size_t Scan(const PdqHash* hashes, size_t n, const PdqHash& q,
                             int radius, uint32_t* out_idx,
                             uint16_t* out_dist) {
  const __m512i q2 = Broadcast(q);
  const __m512i r = _mm512_set1_epi64(radius);
  size_t out = 0, i = 0;
  alignas(64) uint64_t sums[8];
  for (; i + 8 <= n; i += 8) {
    const __m512i* p = reinterpret_cast<const __m512i*>(hashes + i);
    const __m512i s = Sum8(PopXor(_mm512_loadu_si512(p), q2),
                           PopXor(_mm512_loadu_si512(p + 1), q2),
                           PopXor(_mm512_loadu_si512(p + 2), q2),
                           PopXor(_mm512_loadu_si512(p + 3), q2));
    unsigned m = _mm512_cmple_epu64_mask(s, r);
    if (m != 0) {
      _mm512_store_si512(reinterpret_cast<__m512i*>(sums), s);
      while (m != 0) {
        const int k = __builtin_ctz(m);
        m &= m - 1;
        out_idx[out] = static_cast<uint32_t>(i + k);
        out_dist[out] = static_cast<uint16_t>(sums[k]);
        ++out;
      }
    }
  }
  const __m256i q1 = _mm512_castsi512_si256(q2);
  for (; i < n; ++i) {
    const int d = Distance1(hashes[i], q1);
    if (d <= radius) {
      out_idx[out] = static_cast<uint32_t>(i);
      out_dist[out] = static_cast<uint16_t>(d);
      ++out;
    }
  }
  return out;
}

HW_AVX512_TARGET size_t ScanMany(const PdqHash* hashes, size_t n,
                                 const PdqHash* queries, int nq, int radius,
                                 uint32_t* out_idx, uint16_t* out_dist,
                                 uint8_t* out_variant) {
  // Qk holds queries 2k and 2k+1; missing ones repeat query 0 and are masked.
  auto at = [&](int v) -> const PdqHash* { return &queries[v < nq ? v : 0]; };
  const __m512i q0 = Load2(at(0), at(1)), q1 = Load2(at(2), at(3));
  const __m512i q2 = Load2(at(4), at(5)), q3 = Load2(at(6), at(7));
  const __mmask8 valid = static_cast<__mmask8>((1u << nq) - 1);
  const __m512i r = _mm512_set1_epi64(radius);
  alignas(64) uint64_t sums[8];
  size_t out = 0;
  for (size_t i = 0; i < n; ++i) {
    const __m512i h = Broadcast(hashes[i]);
    const __m512i s =
        Sum8(PopXor(h, q0), PopXor(h, q1), PopXor(h, q2), PopXor(h, q3));
    unsigned m = _mm512_mask_cmple_epu64_mask(valid, s, r);
    if (m != 0) {
      _mm512_store_si512(reinterpret_cast<__m512i*>(sums), s);
      int best_v = __builtin_ctz(m);
      for (m &= m - 1; m != 0; m &= m - 1) {
        const int v = __builtin_ctz(m);
        if (sums[v] < sums[best_v]) best_v = v;
      }
      out_idx[out] = static_cast<uint32_t>(i);
      out_dist[out] = static_cast<uint16_t>(sums[best_v]);
      out_variant[out] = static_cast<uint8_t>(best_v);
      ++out;
    }
  }
  return out;
}

HW_AVX512_TARGET size_t Verify(const PdqHash* base, const uint32_t* slots,
                               size_t n, const PdqHash& q, int radius,
                               uint32_t* out_slots, uint16_t* out_dist) {
  const __m512i q2 = Broadcast(q);
  const __m512i r = _mm512_set1_epi64(radius);
  alignas(64) uint64_t sums[8];
  size_t out = 0, i = 0;
  for (; i + 8 <= n; i += 8) {
    const uint32_t* s8 = slots + i;
    const __m512i s = Sum8(PopXor(Load2(base + s8[0], base + s8[1]), q2),
                           PopXor(Load2(base + s8[2], base + s8[3]), q2),
                           PopXor(Load2(base + s8[4], base + s8[5]), q2),
                           PopXor(Load2(base + s8[6], base + s8[7]), q2));
    unsigned m = _mm512_cmple_epu64_mask(s, r);
    if (m != 0) {
      _mm512_store_si512(reinterpret_cast<__m512i*>(sums), s);
      while (m != 0) {
        const int k = __builtin_ctz(m);
        m &= m - 1;
        out_slots[out] = s8[k];
        out_dist[out] = static_cast<uint16_t>(sums[k]);
        ++out;
      }
    }
  }
  const __m256i q1 = _mm512_castsi512_si256(q2);
  for (; i < n; ++i) {
    const int d = Distance1(base[slots[i]], q1);
    if (d <= radius) {
      out_slots[out] = slots[i];
      out_dist[out] = static_cast<uint16_t>(d);
      ++out;
    }
  }
  return out;
}

HW_AVX512_TARGET inline __m512i Load4(const HalfHash* a, const HalfHash* b,
                                      const HalfHash* c, const HalfHash* d) {
  __m512i v = _mm512_castsi128_si512(
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(a)));
  v = _mm512_inserti64x2(
      v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(b)), 1);
  v = _mm512_inserti64x2(
      v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(c)), 2);
  return _mm512_inserti64x2(
      v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(d)), 3);
}

HW_AVX512_TARGET size_t VerifySplit(const HalfHash* lo, const HalfHash* hi,
                                    const uint32_t* slots, size_t n,
                                    const PdqHash& q, int radius,
                                    uint32_t* out_slots, uint16_t* out_dist) {
  uint64_t qw[4];
  LoadWords(q, qw);
  const __m512i q_lo = _mm512_broadcast_i64x2(
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(qw)));
  const __m512i r = _mm512_set1_epi64(radius);
  alignas(64) uint64_t sums[8];
  size_t out = 0, i = 0;
  // Eight candidates per step: two registers of four low halves; after the
  // popcount, adding the two 64-bit counts of each half (unpacklo + unpackhi)
  // leaves the low-half distances in the order 0 4 1 5 2 6 3 7.
  // Candidate k's lane, to report survivors in input order.
  static constexpr int kLaneOf[8] = {0, 2, 4, 6, 1, 3, 5, 7};
  for (; i + 8 <= n; i += 8) {
    const uint32_t* s8 = slots + i;
    const __m512i a =
        PopXor(Load4(lo + s8[0], lo + s8[1], lo + s8[2], lo + s8[3]), q_lo);
    const __m512i b =
        PopXor(Load4(lo + s8[4], lo + s8[5], lo + s8[6], lo + s8[7]), q_lo);
    const __m512i s = _mm512_add_epi64(_mm512_unpacklo_epi64(a, b),
                                       _mm512_unpackhi_epi64(a, b));
    unsigned m = _mm512_cmple_epu64_mask(s, r);
    if (m == 0) continue;
    _mm512_store_si512(reinterpret_cast<__m512i*>(sums), s);
    for (int k = 0; k < 8; ++k) {
      const int lane = kLaneOf[k];
      if (((m >> lane) & 1) == 0) continue;
      const uint32_t slot = s8[k];
      const HalfHash& h = hi[slot];
      const uint64_t d = sums[lane] + static_cast<uint64_t>(
                                          __builtin_popcountll(h.w[0] ^ qw[2]) +
                                          __builtin_popcountll(h.w[1] ^ qw[3]));
      if (d <= static_cast<uint64_t>(radius)) {
        out_slots[out] = slot;
        out_dist[out] = static_cast<uint16_t>(d);
        ++out;
      }
    }
  }
  for (; i < n; ++i) {
    const HalfHash& a = lo[slots[i]];
    const int d_lo = __builtin_popcountll(a.w[0] ^ qw[0]) +
                     __builtin_popcountll(a.w[1] ^ qw[1]);
    if (d_lo > radius) continue;
    const HalfHash& b = hi[slots[i]];
    const int d = d_lo + __builtin_popcountll(b.w[0] ^ qw[2]) +
                  __builtin_popcountll(b.w[1] ^ qw[3]);
    if (d <= radius) {
      out_slots[out] = slots[i];
      out_dist[out] = static_cast<uint16_t>(d);
      ++out;
    }
  }
  return out;
}

HW_AVX512_TARGET size_t Filter(const uint32_t* entries, size_t n,
                               uint32_t q_low, int low_bits, int budget,
                               uint32_t* out) {
  const __m512i ql = _mm512_set1_epi32(static_cast<int>(q_low));
  const __m512i lm =
      _mm512_set1_epi32(static_cast<int>((uint32_t{1} << low_bits) - 1));
  const __m512i bud = _mm512_set1_epi32(budget);
  const __m128i shift = _mm_cvtsi32_si128(low_bits);
  size_t k = 0, i = 0;
  // Compress into a register and store all 16 lanes (out has 16 spare
  // slots): the memory form of VPCOMPRESSD is slow on AMD cores.
  for (; i + 16 <= n; i += 16) {
    const __m512i e = _mm512_loadu_si512(entries + i);
    const __m512i pc =
        _mm512_popcnt_epi32(_mm512_and_si512(_mm512_xor_si512(e, ql), lm));
    const __mmask16 m = _mm512_cmple_epu32_mask(pc, bud);
    _mm512_storeu_si512(
        out + k, _mm512_maskz_compress_epi32(m, _mm512_srl_epi32(e, shift)));
    k += static_cast<size_t>(__builtin_popcount(m));
  }
  if (i < n) {
    const __mmask16 tail = static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m512i e = _mm512_maskz_loadu_epi32(tail, entries + i);
    const __m512i pc =
        _mm512_popcnt_epi32(_mm512_and_si512(_mm512_xor_si512(e, ql), lm));
    const __mmask16 m = _mm512_mask_cmple_epu32_mask(tail, pc, bud);
    _mm512_storeu_si512(
        out + k, _mm512_maskz_compress_epi32(m, _mm512_srl_epi32(e, shift)));
    k += static_cast<size_t>(__builtin_popcount(m));
  }
  return k;
}

HW_AVX512_TARGET size_t FilterLine(const uint32_t* line, uint32_t q_low,
                                   int low_bits, int budget, uint32_t* out) {
  const __m512i e = _mm512_load_si512(line);
  const uint32_t count = line[15] & 31;
  const __mmask16 valid =
      static_cast<__mmask16>((1u << (count < 15 ? count : 15)) - 1);
  const __m512i pc = _mm512_popcnt_epi32(_mm512_and_si512(
      _mm512_xor_si512(e, _mm512_set1_epi32(static_cast<int>(q_low))),
      _mm512_set1_epi32(static_cast<int>((uint32_t{1} << low_bits) - 1))));
  const __mmask16 m =
      _mm512_mask_cmple_epu32_mask(valid, pc, _mm512_set1_epi32(budget));
  _mm512_storeu_si512(out,
                      _mm512_maskz_compress_epi32(
                          m, _mm512_srl_epi32(e, _mm_cvtsi32_si128(low_bits))));
  return static_cast<size_t>(__builtin_popcount(m));
}

constexpr HammingKernels kAvx512 = {
    PopcountKernel::kAvx512,
    "avx512-vpopcntdq",
    Scan,
    ScanMany,
    Verify,
    VerifySplit,
    Filter,
    FilterLine,
};

}  // namespace
}  // namespace avx512

const HammingKernels* Avx512Kernels() { return &avx512::kAvx512; }

bool CpuHasAvx512Popcount() {
  // libgcc also checks that the OS saves the 512-bit state (XCR0).
  return __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vpopcntdq");
}

}  // namespace hashwatch::matcher::internal

#endif  // __x86_64__
