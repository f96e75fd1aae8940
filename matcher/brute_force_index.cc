// The brute-force HammingIndex: every search scans every stored hash.
#include <algorithm>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"
#include "matcher/hamming_index.h"
#include "matcher/internal/hamming_kernels.h"
#include "matcher/internal/hit_list.h"

namespace hashwatch::matcher {
namespace {

// Scans in blocks so the scratch buffers stay small and in cache.
constexpr size_t kBlock = 4096;

class BruteForceIndex final : public HammingIndex {
 public:
  explicit BruteForceIndex(const BruteForceIndexOptions& options)
      : kernels_(internal::KernelsFor(options.kernel)) {}

  void Upsert(uint64_t id, const PdqHash& hash) override {
    absl::MutexLock lock(&mu_);
    UpsertLocked(id, hash);
  }

  bool Remove(uint64_t id) override {
    absl::MutexLock lock(&mu_);
    auto it = pos_.find(id);
    if (it == pos_.end()) return false;
    const uint32_t i = it->second;
    pos_.erase(it);
    const uint32_t last = static_cast<uint32_t>(ids_.size() - 1);
    if (i != last) {
      hashes_[i] = hashes_[last];
      ids_[i] = ids_[last];
      pos_[ids_[i]] = i;
    }
    hashes_.pop_back();
    ids_.pop_back();
    return true;
  }

  std::vector<IndexHit> Search(const PdqHash& query,
                               int radius) const override {
    HW_CHECK(radius >= 0 && radius <= kMaxIndexRadius, "radius out of range");
    std::vector<IndexHit> hits;
    uint32_t idx[kBlock];
    uint16_t dist[kBlock];
    absl::ReaderMutexLock lock(&mu_);
    for (size_t begin = 0; begin < hashes_.size(); begin += kBlock) {
      const size_t n = std::min(kBlock, hashes_.size() - begin);
      const size_t k =
          kernels_.scan(hashes_.data() + begin, n, query, radius, idx, dist);
      for (size_t j = 0; j < k; ++j) {
        hits.push_back({ids_[begin + idx[j]], dist[j], 0});
      }
    }
    internal::NormalizeHits(hits);
    return hits;
  }

  std::vector<IndexHit> SearchMany(absl::Span<const PdqHash> queries,
                                   int radius) const override {
    HW_CHECK(radius >= 0 && radius <= kMaxIndexRadius, "radius out of range");
    HW_CHECK(queries.size() <= 255, "too many queries");
    std::vector<IndexHit> hits;
    uint32_t idx[kBlock];
    uint16_t dist[kBlock];
    uint8_t var[kBlock];
    absl::ReaderMutexLock lock(&mu_);
    for (size_t begin = 0; begin < hashes_.size(); begin += kBlock) {
      const size_t n = std::min(kBlock, hashes_.size() - begin);
      for (size_t q0 = 0; q0 < queries.size();
           q0 += internal::kMaxScanQueries) {
        const int nq = static_cast<int>(
            std::min<size_t>(internal::kMaxScanQueries, queries.size() - q0));
        const size_t k =
            kernels_.scan_many(hashes_.data() + begin, n, &queries[q0], nq,
                               radius, idx, dist, var);
        for (size_t j = 0; j < k; ++j) {
          hits.push_back(
              {ids_[begin + idx[j]], dist[j], static_cast<int>(q0) + var[j]});
        }
      }
    }
    internal::NormalizeHits(hits);
    return hits;
  }

  size_t size() const override {
    absl::ReaderMutexLock lock(&mu_);
    return ids_.size();
  }

  size_t MemoryBytes() const override {
    absl::ReaderMutexLock lock(&mu_);
    return hashes_.capacity() * sizeof(PdqHash) +
           ids_.capacity() * sizeof(uint64_t) +
           pos_.capacity() * (sizeof(std::pair<uint64_t, uint32_t>) + 1);
  }

  void BulkLoad(
      absl::Span<const std::pair<uint64_t, PdqHash>> entries) override {
    absl::MutexLock lock(&mu_);
    hashes_.reserve(hashes_.size() + entries.size());
    ids_.reserve(ids_.size() + entries.size());
    pos_.reserve(pos_.size() + entries.size());
    for (const auto& [id, hash] : entries) UpsertLocked(id, hash);
  }

 private:
  void UpsertLocked(uint64_t id, const PdqHash& hash)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto [it, inserted] =
        pos_.try_emplace(id, static_cast<uint32_t>(ids_.size()));
    if (!inserted) {
      hashes_[it->second] = hash;
      return;
    }
    hashes_.push_back(hash);
    ids_.push_back(id);
  }

  const internal::HammingKernels& kernels_;
  mutable absl::Mutex mu_;
  std::vector<PdqHash> hashes_ ABSL_GUARDED_BY(mu_);
  std::vector<uint64_t> ids_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, uint32_t> pos_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::unique_ptr<HammingIndex> NewBruteForceIndex(
    const BruteForceIndexOptions& options) {
  return std::make_unique<BruteForceIndex>(options);
}

}  // namespace hashwatch::matcher
