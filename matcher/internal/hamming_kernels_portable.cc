// Portable kernels: four 64-bit popcounts per hash, baseline x86-64 (or any
// CPU). The reference the other kernels are tested against, and what runs
// on CPUs without AVX2.
#include "matcher/internal/hamming_kernels.h"

namespace hashwatch::matcher::internal {
namespace portable {
namespace {

#define HW_KERNEL_TARGET
#include "matcher/internal/hamming_kernels_scalar.inc"
#undef HW_KERNEL_TARGET

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
}  // namespace portable

const HammingKernels& PortableKernels() { return portable::kPortable; }

}  // namespace hashwatch::matcher::internal
