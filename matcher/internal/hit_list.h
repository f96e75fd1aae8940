// Result post-processing shared by the Hamming indexes.
#ifndef HASHWATCH_MATCHER_INTERNAL_HIT_LIST_H_
#define HASHWATCH_MATCHER_INTERNAL_HIT_LIST_H_

#include <algorithm>
#include <tuple>
#include <vector>

#include "matcher/hamming_index.h"

namespace hashwatch::matcher::internal {

// Keeps one hit per id, the one with the smallest (distance, variant), and
// sorts the result by (distance, id). Duplicates arise when an entry is found
// through several tables, through several queries, or (during a concurrent
// replace) under both its old and new hash.
inline void NormalizeHits(std::vector<IndexHit>& hits) {
  std::sort(hits.begin(), hits.end(), [](const IndexHit& a, const IndexHit& b) {
    return std::tie(a.id, a.distance, a.variant) <
           std::tie(b.id, b.distance, b.variant);
  });
  hits.erase(std::unique(hits.begin(), hits.end(),
                         [](const IndexHit& a, const IndexHit& b) {
                           return a.id == b.id;
                         }),
             hits.end());
  std::sort(hits.begin(), hits.end(), [](const IndexHit& a, const IndexHit& b) {
    return std::tie(a.distance, a.id) < std::tie(b.distance, b.id);
  });
}

}  // namespace hashwatch::matcher::internal

#endif  // HASHWATCH_MATCHER_INTERNAL_HIT_LIST_H_
