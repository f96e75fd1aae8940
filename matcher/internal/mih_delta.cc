#include "matcher/internal/mih_delta.h"

#include <algorithm>
#include <bit>

#include "common/status_macros.h"

namespace hashwatch::matcher::internal {

MihDelta::Chunk::Chunk(size_t n)
    : hashes(n), ids(n), dead(std::make_unique<std::atomic<uint8_t>[]>(n)) {
  for (size_t i = 0; i < n; ++i) dead[i].store(0, std::memory_order_relaxed);
}

MihDelta::~MihDelta() {
  for (auto& c : chunks_) delete c.load(std::memory_order_relaxed);
}

std::pair<int, size_t> MihDelta::Locate(size_t index) {
  const int c = std::bit_width(index / kFirstChunk + 1) - 1;
  return {c, index - ChunkStart(c)};
}

uint32_t MihDelta::Append(uint64_t id, const PdqHash& hash) {
  const size_t index = count_.load(std::memory_order_relaxed);
  const auto [c, off] = Locate(index);
  HW_CHECK(c < kMaxChunks, "mih delta full");
  Chunk* chunk = chunks_[c].load(std::memory_order_relaxed);
  if (chunk == nullptr) {
    chunk = new Chunk(kFirstChunk << c);
    chunks_[c].store(chunk, std::memory_order_release);
  }
  chunk->hashes[off] = hash;
  chunk->ids[off] = id;
  live_index_[id] = static_cast<uint32_t>(index);
  map_bytes_.store(
      live_index_.capacity() * (sizeof(std::pair<uint64_t, uint32_t>) + 1),
      std::memory_order_relaxed);
  live_.fetch_add(1, std::memory_order_relaxed);
  count_.store(index + 1, std::memory_order_release);
  return static_cast<uint32_t>(index);
}

void MihDelta::Kill(uint32_t index) {
  const auto [c, off] = Locate(index);
  Chunk* chunk = chunks_[c].load(std::memory_order_relaxed);
  if (chunk->dead[off].exchange(1, std::memory_order_acq_rel) != 0) return;
  live_.fetch_sub(1, std::memory_order_relaxed);
  auto it = live_index_.find(chunk->ids[off]);
  if (it != live_index_.end() && it->second == index) live_index_.erase(it);
}

int64_t MihDelta::FindLive(uint64_t id) const {
  auto it = live_index_.find(id);
  return it == live_index_.end() ? -1 : static_cast<int64_t>(it->second);
}

void MihDelta::SetNext(std::shared_ptr<MihDelta> next) {
  HW_CHECK(next_owner_ == nullptr, "mih delta frozen twice");
  next_owner_ = std::move(next);
  next_.store(next_owner_.get(), std::memory_order_release);
}

void MihDelta::Search(absl::Span<const PdqHash> queries, int radius,
                      int variant_base, size_t begin, size_t end,
                      const HammingKernels& kernels,
                      std::vector<IndexHit>* out) const {
  constexpr size_t kBlock = 1024;
  uint32_t idx[kBlock];
  uint16_t dist[kBlock];
  uint8_t var[kBlock];
  const int nq = static_cast<int>(queries.size());
  while (begin < end) {
    const auto [c, off] = Locate(begin);
    const Chunk* chunk = chunks_[c].load(std::memory_order_acquire);
    const size_t len =
        std::min({end - begin, (kFirstChunk << c) - off, kBlock});
    const PdqHash* h = chunk->hashes.data() + off;
    const size_t k = nq == 1
                         ? kernels.scan(h, len, queries[0], radius, idx, dist)
                         : kernels.scan_many(h, len, queries.data(), nq, radius,
                                             idx, dist, var);
    for (size_t j = 0; j < k; ++j) {
      const size_t e = off + idx[j];
      if (chunk->dead[e].load(std::memory_order_acquire) != 0) continue;
      out->push_back(
          {chunk->ids[e], dist[j], variant_base + (nq == 1 ? 0 : var[j])});
    }
    begin += len;
  }
}

std::vector<std::pair<uint64_t, PdqHash>> MihDelta::LiveEntries() const {
  std::vector<std::pair<uint64_t, PdqHash>> out;
  const size_t n = count();
  out.reserve(live_count());
  for (size_t i = 0; i < n; ++i) {
    const auto [c, off] = Locate(i);
    const Chunk* chunk = chunks_[c].load(std::memory_order_acquire);
    if (chunk->dead[off].load(std::memory_order_acquire) != 0) continue;
    out.emplace_back(chunk->ids[off], chunk->hashes[off]);
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

size_t MihDelta::MemoryBytes() const {
  size_t bytes = map_bytes_.load(std::memory_order_relaxed);
  for (const auto& c : chunks_) {
    const Chunk* chunk = c.load(std::memory_order_acquire);
    if (chunk != nullptr) {
      bytes +=
          chunk->hashes.bytes() + chunk->ids.bytes() + chunk->hashes.size();
    }
  }
  return bytes;
}

}  // namespace hashwatch::matcher::internal
