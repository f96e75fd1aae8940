// AVX2 kernels: the scalar kernels (hamming_kernels_scalar.inc) compiled
// with per-function target attributes for AVX2 + POPCNT + BMI (x86-64-v3
// CPUs: Intel Haswell, AMD Zen and later), so each 64-bit popcount is one
// instruction instead of libgcc's call. This file builds with any -march;
// the dispatcher in hamming_kernels.cc runs these only on CPUs that have
// the instructions (tests/portable checks no other code uses them).
#include "matcher/internal/hamming_kernels.h"

#if defined(__x86_64__)

namespace hashwatch::matcher::internal {
namespace avx2 {
namespace {

#define HW_KERNEL_TARGET __attribute__((target("avx2,popcnt,bmi,bmi2")))
#include "matcher/internal/hamming_kernels_scalar.inc"
#undef HW_KERNEL_TARGET

constexpr HammingKernels kAvx2 = {
    PopcountKernel::kAvx2, "avx2-popcnt", Scan,       ScanMany, Verify,
    VerifySplit,           Filter,        FilterLine,
};

}  // namespace
}  // namespace avx2

const HammingKernels* Avx2Kernels() { return &avx2::kAvx2; }

bool CpuHasAvx2Popcount() {
  // libgcc also checks that the OS saves the 256-bit state (XCR0).
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt") &&
         __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2");
}

}  // namespace hashwatch::matcher::internal

#endif  // __x86_64__
