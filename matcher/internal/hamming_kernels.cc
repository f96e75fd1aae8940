#include "matcher/internal/hamming_kernels.h"

namespace hashwatch::matcher {

PopcountKernel ResolvePopcountKernel(PopcountKernel requested) {
  if (requested == PopcountKernel::kPortable) return PopcountKernel::kPortable;
  // Asked once: the answers cannot change while the process runs.
  static const bool avx512 =
      internal::Avx512Kernels() != nullptr && internal::CpuHasAvx512Popcount();
  static const bool avx2 =
      internal::Avx2Kernels() != nullptr && internal::CpuHasAvx2Popcount();
  if (requested != PopcountKernel::kAvx2 && avx512) {
    return PopcountKernel::kAvx512;
  }
  return avx2 ? PopcountKernel::kAvx2 : PopcountKernel::kPortable;
}

namespace internal {

#if !defined(__x86_64__)
// Other CPUs have only the portable kernels (the AVX2 and AVX-512 files
// compile to nothing there).
const HammingKernels* Avx2Kernels() { return nullptr; }
bool CpuHasAvx2Popcount() { return false; }
const HammingKernels* Avx512Kernels() { return nullptr; }
bool CpuHasAvx512Popcount() { return false; }
#endif

const HammingKernels& KernelsFor(PopcountKernel requested) {
  switch (ResolvePopcountKernel(requested)) {
    case PopcountKernel::kAvx512:
      return *Avx512Kernels();
    case PopcountKernel::kAvx2:
      return *Avx2Kernels();
    default:
      return PortableKernels();
  }
}

}  // namespace internal
}  // namespace hashwatch::matcher
