// Compiled by check_isa.py's self-test with -mavx2 -mpopcnt: the checker
// must flag the two *Offender functions, and accept the kernel in the avx2
// namespace and the baseline function.
#include <immintrin.h>

#include <cstdint>

namespace sample {

void Avx2Offender(const int* a, int* out) {
  const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm256_add_epi32(x, x));
}

int PopcountOffender(uint64_t x) { return __builtin_popcountll(x); }

namespace avx2 {
void AllowedKernel(const int* a, int* out) {
  const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm256_xor_si256(x, x));
}
}  // namespace avx2

int Baseline(int a, int b) { return a * b + 1; }

}  // namespace sample
