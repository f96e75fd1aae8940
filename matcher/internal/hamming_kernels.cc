#include "matcher/internal/hamming_kernels.h"

namespace hashwatch::matcher {

PopcountKernel ResolvePopcountKernel(PopcountKernel requested) {
  if (requested == PopcountKernel::kPortable) return PopcountKernel::kPortable;
  if (internal::Avx512Kernels() != nullptr &&
      internal::CpuHasAvx512Popcount()) {
    return PopcountKernel::kAvx512;
  }
  return PopcountKernel::kPortable;
}

namespace internal {

const HammingKernels& KernelsFor(PopcountKernel requested) {
  if (ResolvePopcountKernel(requested) == PopcountKernel::kAvx512) {
    return *Avx512Kernels();
  }
  return PortableKernels();
}

}  // namespace internal
}  // namespace hashwatch::matcher
