// The live part of the MIH index: an append-only log of (id, hash) writes
// since the last rebuild, scanned linearly by every search, with a dead flag
// per entry. Storage grows in chunks of doubling size, so appends never move
// what readers are scanning.
//
// Thread-safety: one writer at a time (the index's write mutex) calls
// Append, Kill, FindLive and SetNext; any number of readers call count,
// next, Search and LiveEntries concurrently with it. An append is published
// by count() (release/acquire), a kill by the entry's dead flag.
#ifndef HASHWATCH_MATCHER_INTERNAL_MIH_DELTA_H_
#define HASHWATCH_MATCHER_INTERNAL_MIH_DELTA_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "matcher/hamming_index.h"
#include "matcher/internal/hamming_kernels.h"
#include "matcher/internal/huge_array.h"
#include "matcher/pdq.h"

namespace hashwatch::matcher::internal {

class MihDelta {
 public:
  MihDelta() = default;
  ~MihDelta();
  MihDelta(const MihDelta&) = delete;
  MihDelta& operator=(const MihDelta&) = delete;

  // Writer side.
  uint32_t Append(uint64_t id, const PdqHash& hash);  // returns the index
  void Kill(uint32_t index);                          // marks the entry dead
  int64_t FindLive(uint64_t id) const;  // index of the live entry, or -1
  // The delta that receives writes after this one is frozen. Set once.
  void SetNext(std::shared_ptr<MihDelta> next);

  // Reader side.
  size_t count() const { return count_.load(std::memory_order_acquire); }
  size_t live_count() const { return live_.load(std::memory_order_relaxed); }
  MihDelta* next() const { return next_.load(std::memory_order_acquire); }
  // Appends live entries in [begin, end) within radius of any query (one
  // hit per entry: smallest distance, lowest query index on ties, offset by
  // variant_base). Requires end <= count() and queries.size() <= 8.
  void Search(absl::Span<const PdqHash> queries, int radius, int variant_base,
              size_t begin, size_t end, const HammingKernels& kernels,
              std::vector<IndexHit>* out) const;
  // The live entries of [0, count()), sorted by id.
  std::vector<std::pair<uint64_t, PdqHash>> LiveEntries() const;

  size_t MemoryBytes() const;

 private:
  static constexpr size_t kFirstChunk = 1024;  // chunk c holds kFirstChunk << c
  static constexpr int kMaxChunks = 22;

  struct Chunk {
    explicit Chunk(size_t n);
    HugeArray<PdqHash> hashes;
    HugeArray<uint64_t> ids;
    std::unique_ptr<std::atomic<uint8_t>[]> dead;
  };
  // Chunk number and offset of an index.
  static std::pair<int, size_t> Locate(size_t index);
  static size_t ChunkStart(int c) {
    return kFirstChunk * ((size_t{1} << c) - 1);
  }

  std::array<std::atomic<Chunk*>, kMaxChunks> chunks_{};
  std::atomic<size_t> count_{0};
  std::atomic<size_t> live_{0};
  std::atomic<size_t> map_bytes_{0};  // live_index_'s allocation, for readers
  std::atomic<MihDelta*> next_{nullptr};
  std::shared_ptr<MihDelta> next_owner_;  // writer-set before next_
  absl::flat_hash_map<uint64_t, uint32_t> live_index_;  // writer only
};

}  // namespace hashwatch::matcher::internal

#endif  // HASHWATCH_MATCHER_INTERNAL_MIH_DELTA_H_
