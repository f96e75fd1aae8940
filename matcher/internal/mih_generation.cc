#include "matcher/internal/mih_generation.h"

#include <algorithm>
#include <cstring>
#include <thread>

#include "common/status_macros.h"

namespace hashwatch::matcher::internal {
namespace {

// A bucket to read: directory index, table, and how many of the entry's low
// bits may still differ.
struct Probe {
  uint32_t bucket;
  uint8_t table;
  uint8_t budget;
};

// Per-thread scratch, reused across searches so the hot path allocates
// nothing after warm-up.
struct Scratch {
  std::vector<Probe> probes;
  std::vector<uint32_t> begin, end;
  std::vector<uint32_t> cands;
  std::vector<uint32_t> hit_slots;
  std::vector<uint16_t> hit_dist;
};

Scratch& LocalScratch() {
  thread_local Scratch scratch;
  return scratch;
}

// Appends every p-bit mask of weight <= max_weight (as prefix ^ mask) with
// the budget t - weight left for the entry's low bits; `from` is the lowest
// bit still free.
void AddMasks(uint32_t prefix, uint32_t mask, int weight, int from, int p,
              int max_weight, int t, int table, std::vector<Probe>* out) {
  out->push_back({prefix ^ mask, static_cast<uint8_t>(table), static_cast<uint8_t>(t - weight)});
  if (weight == max_weight) return;
  for (int b = from; b < p; ++b) {
    AddMasks(prefix, mask | (uint32_t{1} << b), weight + 1, b + 1, p, max_weight, t,
             table, out);
  }
}

// Probes are processed in chunks: prefetch every directory line of the
// chunk, then read the bucket bounds and prefetch the buckets, then filter
// them (prefetching each candidate's hash), so the random reads of a chunk
// overlap instead of running one after another.
constexpr size_t kChunk = 256;
// Candidates are verified in batches of about this many.
constexpr size_t kVerifyBatch = 1024;
// Linear scans go block by block.
constexpr size_t kScanBlock = 4096;

}  // namespace

std::unique_ptr<MihGeneration> MihGeneration::Build(HugeArray<uint64_t> ids,
                                                    HugeArray<PdqHash> hashes, size_t n,
                                                    const MihIndexOptions& options) {
  HW_CHECK(n <= ids.size() && n <= hashes.size(), "generation arrays too small");
  std::unique_ptr<MihGeneration> g(new MihGeneration());
  g->kernels_ = &KernelsFor(options.kernel);
  const int bits = options.directory_bits > 0 ? options.directory_bits
                                              : AutoDirectoryBits(n, options.num_tables);
  g->layout_ = MihLayout::Make(options.num_tables, bits);
  HW_CHECK(n < g->layout_.SlotCapacity(), "too many hashes for directory_bits");
  g->n_ = n;
  g->ids_ = std::move(ids);
  g->hashes_ = std::move(hashes);
  g->dead_words_ = (n + 63) / 64 + 1;
  g->dead_ = std::make_unique<std::atomic<uint64_t>[]>(g->dead_words_);
  for (size_t i = 0; i < g->dead_words_; ++i) g->dead_[i].store(0, std::memory_order_relaxed);

  const int m = g->layout_.num_tables;
  const int threads = std::clamp(options.build_threads, 1, m);
  if (threads == 1) {
    for (int t = 0; t < m; ++t) g->BuildTable(t);
  } else {
    std::vector<std::thread> pool;
    for (int w = 0; w < threads; ++w) {
      pool.emplace_back([&g, w, m, threads] {
        for (int t = w; t < m; t += threads) g->BuildTable(t);
      });
    }
    for (std::thread& th : pool) th.join();
  }
  const std::vector<ProbePlan> plans =
      MakeProbePlans(g->layout_, n, kMaxIndexRadius, options.allow_scan);
  std::copy(plans.begin(), plans.end(), g->plans_.begin());
  return g;
}

void MihGeneration::BuildTable(int table) {
  const int p = layout_.dir_bits[table], lb = layout_.low_bits[table];
  const uint32_t low_mask = (uint32_t{1} << lb) - 1;
  const size_t buckets = size_t{1} << p;
  Table& t = tables_[table];
  t.dir = HugeArray<uint32_t>(buckets + 1, /*zero=*/true);
  t.entries = HugeArray<uint32_t>(n_);
  uint32_t* dir = t.dir.data();
  // Counting sort by the directory bits: count, exclusive prefix sum,
  // scatter (which leaves dir[b] at the end of bucket b), shift by one.
  for (size_t s = 0; s < n_; ++s) {
    uint64_t w[4];
    LoadWords(hashes_[s], w);
    ++dir[layout_.Key(w, table) >> lb];
  }
  uint32_t sum = 0;
  for (size_t b = 0; b < buckets; ++b) {
    const uint32_t c = dir[b];
    dir[b] = sum;
    sum += c;
  }
  for (size_t s = 0; s < n_; ++s) {
    uint64_t w[4];
    LoadWords(hashes_[s], w);
    const uint32_t key = layout_.Key(w, table);
    t.entries[dir[key >> lb]++] = (static_cast<uint32_t>(s) << lb) | (key & low_mask);
  }
  std::memmove(dir + 1, dir, buckets * sizeof(uint32_t));
  dir[0] = 0;
}

int64_t MihGeneration::Find(uint64_t id) const {
  const uint64_t* end = ids_.data() + n_;
  const uint64_t* it = std::lower_bound(ids_.data(), end, id);
  if (it == end || *it != id) return -1;
  return it - ids_.data();
}

bool MihGeneration::Kill(uint32_t slot) {
  const uint64_t bit = uint64_t{1} << (slot & 63);
  const uint64_t old = dead_[slot >> 6].fetch_or(bit, std::memory_order_acq_rel);
  if (old & bit) return false;
  dead_count_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void MihGeneration::Search(const PdqHash& query, int radius, int variant,
                           std::vector<IndexHit>* out) const {
  if (n_ == 0) return;
  const ProbePlan& plan = plans_[radius];
  if (plan.scan) {
    SearchScan(query, radius, variant, out);
    return;
  }
  Scratch& s = LocalScratch();
  uint64_t qw[4];
  LoadWords(query, qw);
  std::array<uint32_t, kMaxTables> q_low{};
  s.probes.clear();
  for (int i = 0; i < layout_.num_tables; ++i) {
    const int t = plan.threshold[i];
    if (t < 0) continue;
    const uint32_t key = layout_.Key(qw, i);
    const int lb = layout_.low_bits[i];
    q_low[i] = key & ((uint32_t{1} << lb) - 1);
    const int p = layout_.dir_bits[i];
    // A budget of lb or more passes every entry of the bucket.
    AddMasks(key >> lb, 0, 0, 0, p, std::min(t, p), t, i, &s.probes);
  }

  s.begin.resize(kChunk);
  s.end.resize(kChunk);
  if (s.cands.size() < kVerifyBatch + 16) s.cands.resize(kVerifyBatch + 16);
  size_t num_cands = 0;
  auto verify = [&] {
    if (s.hit_slots.size() < num_cands) {
      s.hit_slots.resize(num_cands);
      s.hit_dist.resize(num_cands);
    }
    const size_t k = kernels_->verify(hashes_.data(), s.cands.data(), num_cands, query,
                                      radius, s.hit_slots.data(), s.hit_dist.data());
    for (size_t j = 0; j < k; ++j) {
      const uint32_t slot = s.hit_slots[j];
      if (!IsDead(slot)) out->push_back({ids_[slot], s.hit_dist[j], variant});
    }
    num_cands = 0;
  };

  const size_t num_probes = s.probes.size();
  for (size_t c0 = 0; c0 < num_probes; c0 += kChunk) {
    const size_t c1 = std::min(num_probes, c0 + kChunk);
    for (size_t j = c0; j < c1; ++j) {
      __builtin_prefetch(tables_[s.probes[j].table].dir.data() + s.probes[j].bucket);
    }
    for (size_t j = c0; j < c1; ++j) {
      const Table& t = tables_[s.probes[j].table];
      const uint32_t b = t.dir[s.probes[j].bucket], e = t.dir[s.probes[j].bucket + 1];
      s.begin[j - c0] = b;
      s.end[j - c0] = e;
      if (e > b) __builtin_prefetch(t.entries.data() + b);
    }
    for (size_t j = c0; j < c1; ++j) {
      const uint32_t b = s.begin[j - c0], e = s.end[j - c0];
      if (e == b) continue;
      const Probe& pr = s.probes[j];
      const size_t len = e - b;
      if (num_cands + len + 16 > s.cands.size()) s.cands.resize(num_cands + len + 16);
      const size_t k = kernels_->filter(tables_[pr.table].entries.data() + b, len,
                                        q_low[pr.table], layout_.low_bits[pr.table],
                                        pr.budget, s.cands.data() + num_cands);
      for (size_t x = num_cands; x < num_cands + k; ++x) {
        __builtin_prefetch(hashes_.data() + s.cands[x]);
      }
      num_cands += k;
      if (num_cands >= kVerifyBatch) verify();
    }
  }
  verify();
}

void MihGeneration::SearchScan(const PdqHash& query, int radius, int variant,
                               std::vector<IndexHit>* out) const {
  Scratch& s = LocalScratch();
  if (s.hit_slots.size() < kScanBlock) {
    s.hit_slots.resize(kScanBlock);
    s.hit_dist.resize(kScanBlock);
  }
  for (size_t begin = 0; begin < n_; begin += kScanBlock) {
    const size_t len = std::min(kScanBlock, n_ - begin);
    const size_t k = kernels_->scan(hashes_.data() + begin, len, query, radius,
                                    s.hit_slots.data(), s.hit_dist.data());
    for (size_t j = 0; j < k; ++j) {
      const uint32_t slot = static_cast<uint32_t>(begin + s.hit_slots[j]);
      if (!IsDead(slot)) out->push_back({ids_[slot], s.hit_dist[j], variant});
    }
  }
}

size_t MihGeneration::MemoryBytes() const {
  size_t bytes = ids_.bytes() + hashes_.bytes() + dead_words_ * sizeof(uint64_t);
  for (int i = 0; i < layout_.num_tables; ++i) {
    bytes += tables_[i].dir.bytes() + tables_[i].entries.bytes();
  }
  return bytes;
}

}  // namespace hashwatch::matcher::internal
