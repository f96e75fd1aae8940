// One immutable multi-index-hashing base: the hashes sorted by id, and one
// bucketed table per substring. Only the dead bits change after the build
// (removals and replacements, until the next generation drops them).
//
// Memory per hash: 32 (hash) + 8 (id) + 4 per table + 1/8 (dead bit), plus
// 4 * 2^dir_bits per table for the directories.
//
// Thread-safety: Search, Find, IsDead and the accessors may run concurrently
// with each other and with Kill; Kill calls must be serialised by the owner.
#ifndef HASHWATCH_MATCHER_INTERNAL_MIH_GENERATION_H_
#define HASHWATCH_MATCHER_INTERNAL_MIH_GENERATION_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "matcher/hamming_index.h"
#include "matcher/internal/hamming_kernels.h"
#include "matcher/internal/huge_array.h"
#include "matcher/internal/mih_layout.h"
#include "matcher/pdq.h"

namespace hashwatch::matcher::internal {

class MihGeneration {
 public:
  // Takes the first n elements of ids (strictly increasing) and hashes;
  // builds the tables with options.build_threads threads.
  static std::unique_ptr<MihGeneration> Build(HugeArray<uint64_t> ids,
                                              HugeArray<PdqHash> hashes, size_t n,
                                              const MihIndexOptions& options);

  size_t size() const { return n_; }  // including dead entries
  size_t dead_count() const { return dead_count_.load(std::memory_order_relaxed); }
  uint64_t id(uint32_t slot) const { return ids_[slot]; }
  const PdqHash& hash(uint32_t slot) const { return hashes_[slot]; }
  const MihLayout& layout() const { return layout_; }
  const ProbePlan& plan(int radius) const { return plans_[radius]; }

  // The slot holding `id` (alive or dead), or -1.
  int64_t Find(uint64_t id) const;
  bool IsDead(uint32_t slot) const {
    return (dead_[slot >> 6].load(std::memory_order_acquire) >> (slot & 63)) & 1;
  }
  // Marks the slot dead (release). Returns false if it already was.
  bool Kill(uint32_t slot);

  // Appends every live entry within `radius` of `query` as a hit with the
  // given variant; an entry may be appended more than once.
  void Search(const PdqHash& query, int radius, int variant,
              std::vector<IndexHit>* out) const;

  size_t MemoryBytes() const;

 private:
  struct Table {
    HugeArray<uint32_t> dir;      // 2^dir_bits + 1 bucket starts
    HugeArray<uint32_t> entries;  // (slot << low_bits) | low, grouped by bucket
  };

  MihGeneration() = default;
  void BuildTable(int table);
  void SearchScan(const PdqHash& query, int radius, int variant,
                  std::vector<IndexHit>* out) const;

  const HammingKernels* kernels_ = nullptr;
  MihLayout layout_;
  size_t n_ = 0;
  HugeArray<uint64_t> ids_;
  HugeArray<PdqHash> hashes_;
  std::unique_ptr<std::atomic<uint64_t>[]> dead_;
  size_t dead_words_ = 0;
  std::atomic<size_t> dead_count_{0};
  std::array<Table, kMaxTables> tables_;
  std::array<ProbePlan, kMaxIndexRadius + 1> plans_;
};

}  // namespace hashwatch::matcher::internal

#endif  // HASHWATCH_MATCHER_INTERNAL_MIH_GENERATION_H_
