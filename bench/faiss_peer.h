// FAISS IndexBinaryMultiHash behind a small interface, so index_bench can
// compare with it without including FAISS headers. Built only when CMake
// finds FAISS (Debian's libfaiss-dev); a benchmark-only dependency.
#ifndef HASHWATCH_BENCH_FAISS_PEER_H_
#define HASHWATCH_BENCH_FAISS_PEER_H_

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "matcher/pdq.h"

namespace hashwatch::bench {

class FaissMultiHash {
 public:
  virtual ~FaissMultiHash() = default;
  // Labels are positions in the order added.
  virtual void Add(
      const std::vector<std::pair<uint64_t, matcher::PdqHash>>& entries) = 0;
  // Exact: every label within `radius` (inclusive) with its distance. Uses
  // enough bit flips per table for the pigeonhole bound.
  virtual std::vector<std::pair<int64_t, int>> RangeSearch(
      const matcher::PdqHash& query, int radius) = 0;
};

// `tables` hash tables of `bits` bits each; single-threaded (OpenMP off).
std::unique_ptr<FaissMultiHash> NewFaissMultiHash(int tables, int bits);

}  // namespace hashwatch::bench

#endif  // HASHWATCH_BENCH_FAISS_PEER_H_
