// STUB brute force (replaced on branch `index`).
#include <algorithm>
#include <map>

#include "absl/synchronization/mutex.h"
#include "matcher/hamming_index.h"

namespace hashwatch::matcher {
namespace {
class Stub final : public HammingIndex {
 public:
  void Upsert(uint64_t id, const PdqHash& hash) override {
    absl::MutexLock l(&mu_);
    m_[id] = hash;
  }
  bool Remove(uint64_t id) override {
    absl::MutexLock l(&mu_);
    return m_.erase(id) > 0;
  }
  std::vector<IndexHit> Search(const PdqHash& q, int r) const override {
    return SearchMany(absl::MakeConstSpan(&q, 1), r);
  }
  std::vector<IndexHit> SearchMany(absl::Span<const PdqHash> qs, int r) const override {
    absl::MutexLock l(&mu_);
    std::vector<IndexHit> out;
    for (const auto& [id, h] : m_) {
      int best = 1000, bv = 0;
      for (size_t v = 0; v < qs.size(); ++v) {
        int d = HammingDistance(h, qs[v]);
        if (d < best) best = d, bv = static_cast<int>(v);
      }
      if (best <= r) out.push_back({id, best, bv});
    }
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) {
      return a.distance != b.distance ? a.distance < b.distance : a.id < b.id;
    });
    return out;
  }
  size_t size() const override {
    absl::MutexLock l(&mu_);
    return m_.size();
  }
  size_t MemoryBytes() const override { return size() * 64; }

 private:
  mutable absl::Mutex mu_;
  std::map<uint64_t, PdqHash> m_;
};
}  // namespace
std::unique_ptr<HammingIndex> NewBruteForceIndex() { return std::make_unique<Stub>(); }
std::unique_ptr<HammingIndex> NewMihIndex(const MihIndexOptions&) { return std::make_unique<Stub>(); }
}  // namespace hashwatch::matcher
