// Run-time dispatch for the matcher's hot loops (private to matcher/).
//
// The build targets baseline x86-64 (SSE2, no POPCNT) so a binary runs on
// any x86-64 CPU. Code that needs more to be fast is dispatched at run
// time, in one of two ways:
//  - kernel tables (hamming_kernels.h): hand-written AVX2 and AVX-512
//    kernels in namespaces `avx2` and `avx512`, each function with its own
//    target attribute, chosen once with __builtin_cpu_supports;
//  - HW_TARGET_CLONES on a loop the compiler vectorises well by itself: GCC
//    compiles the function three times (baseline, AVX2, AVX-512) and an
//    ifunc resolver picks one with cpuid when the program is loaded.
// tests/portable/check_isa.py fails the build's tests when any other code
// holds an instruction beyond baseline x86-64; it recognises exactly these
// two forms (the namespaces, and the compiler's "[clone .avx2]" and
// "[clone .avx512f]" names).
//
// Clones keep PDQ bit-exact: the vector code does the same float operations
// per element in the same order (no reassociation without -ffast-math), and
// FMA is not among the targets (and -ffp-contract=off forbids contraction).
#ifndef HASHWATCH_MATCHER_INTERNAL_ISA_H_
#define HASHWATCH_MATCHER_INTERNAL_ISA_H_

#if defined(__x86_64__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
#define HW_TARGET_CLONES \
  __attribute__((target_clones("default", "avx2", "avx512f")))
#else
// Other CPUs, clang (the fuzz build) and ThreadSanitizer builds (GCC
// instruments the ifunc resolver, which the dynamic loader runs before the
// sanitizer's runtime exists: the program crashes before main) compile one
// version.
#define HW_TARGET_CLONES
#endif

#endif  // HASHWATCH_MATCHER_INTERNAL_ISA_H_
