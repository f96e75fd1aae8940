// STUB (replaced by the multi-index implementation on branch `index`).
#ifndef HASHWATCH_MATCHER_HAMMING_INDEX_H_
#define HASHWATCH_MATCHER_HAMMING_INDEX_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/types/span.h"
#include "matcher/pdq.h"

namespace hashwatch::matcher {

struct IndexHit {
  uint64_t id;
  int distance;
  int variant = 0;
};

class HammingIndex {
 public:
  virtual ~HammingIndex() = default;
  virtual void Upsert(uint64_t id, const PdqHash& hash) = 0;
  virtual bool Remove(uint64_t id) = 0;
  virtual std::vector<IndexHit> Search(const PdqHash& query, int radius) const = 0;
  virtual std::vector<IndexHit> SearchMany(absl::Span<const PdqHash> queries,
                                           int radius) const = 0;
  virtual size_t size() const = 0;
  virtual size_t MemoryBytes() const = 0;
};

struct MihIndexOptions {};
std::unique_ptr<HammingIndex> NewBruteForceIndex();
std::unique_ptr<HammingIndex> NewMihIndex(const MihIndexOptions& options = {});

}  // namespace hashwatch::matcher

#endif  // HASHWATCH_MATCHER_HAMMING_INDEX_H_
