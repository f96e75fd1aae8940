// One immutable multi-index-hashing base: the hashes sorted by id, and one
// table per substring. Only the dead bits change after the build (removals
// and replacements, until the next generation drops them).
//
// Table layout. A table has 2^bucket_bits buckets, one 64-byte line each:
// lanes 0..14 hold up to 15 entries, lane 15 a header. An entry is
// (slot << low_bits) | low, where low is the part of the substring below
// the bucket bits; the header is the bucket's entry count, or, for a bucket
// with more than 15 entries, kOverflow | (offset << 5) where spill[offset]
// is the number of entries past the first 15 and the entries follow it. With
// about 8..16 entries per bucket a probe reads one line (plus a spill line
// for the few full buckets), where a directory plus bucket array (CSR)
// reads two or three.
//
// Hashes are stored as two half arrays (bits 0..127 and 128..255): a
// candidate is first compared on its low half, and a random candidate is
// rejected there, so the random reads touch 16 bytes of a 160 MB array
// (at 10M hashes) rather than 32 of 320 MB.
//
// Memory per hash: 32 (hash) + 8 (id) + 1/8 (dead bit), plus per table
// 64 * 2^bucket_bits / N for the lines and 4 per spilled entry (42..84
// bytes for 11 tables with the automatic choice).
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

// The entries of a generation under construction, appended in id order.
struct MihColumns {
  explicit MihColumns(size_t capacity)
      : ids(capacity), lo(capacity), hi(capacity) {}
  void Append(uint64_t id, const PdqHash& hash) {
    uint64_t w[4];
    LoadWords(hash, w);
    Append(id, {{w[0], w[1]}}, {{w[2], w[3]}});
  }
  void Append(uint64_t id, const HalfHash& low, const HalfHash& high) {
    ids[n] = id;
    lo[n] = low;
    hi[n] = high;
    ++n;
  }

  HugeArray<uint64_t> ids;
  HugeArray<HalfHash> lo, hi;
  size_t n = 0;
};

class MihGeneration {
 public:
  // Takes the columns (ids strictly increasing) and builds the tables with
  // `threads` threads (>= 1).
  static std::unique_ptr<MihGeneration> Build(MihColumns columns,
                                              const MihIndexOptions& options,
                                              int threads);

  // Appends the entry in `slot` to `out`.
  void AppendTo(uint32_t slot, MihColumns* out) const {
    out->Append(ids_[slot], lo_[slot], hi_[slot]);
  }

  size_t size() const { return n_; }  // including dead entries
  size_t dead_count() const {
    return dead_count_.load(std::memory_order_relaxed);
  }
  uint64_t id(uint32_t slot) const { return ids_[slot]; }
  PdqHash hash(uint32_t slot) const;

  // The slot holding `id` (alive or dead), or -1.
  int64_t Find(uint64_t id) const;
  bool IsDead(uint32_t slot) const {
    return (dead_[slot >> 6].load(std::memory_order_acquire) >> (slot & 63)) &
           1;
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
    HugeArray<uint32_t> lines;  // 16 lanes per bucket, see the file comment
    HugeArray<uint32_t> spill;
  };

  MihGeneration() = default;
  // Builds table `table`; with `adapt`, first lowers its bucket bits while
  // its lines and spill exceed the memory budget (skewed data).
  void BuildTable(int table, bool adapt);
  void SearchScan(const PdqHash& query, int radius, int variant,
                  std::vector<IndexHit>* out) const;

  const HammingKernels* kernels_ = nullptr;
  MihLayout layout_;
  size_t n_ = 0;
  HugeArray<uint64_t> ids_;
  HugeArray<HalfHash> lo_, hi_;
  std::unique_ptr<std::atomic<uint64_t>[]> dead_;
  size_t dead_words_ = 0;
  std::atomic<size_t> dead_count_{0};
  std::array<Table, kMaxTables> tables_;
  std::array<ProbePlan, kMaxIndexRadius + 1> plans_;
};

}  // namespace hashwatch::matcher::internal

#endif  // HASHWATCH_MATCHER_INTERNAL_MIH_GENERATION_H_
