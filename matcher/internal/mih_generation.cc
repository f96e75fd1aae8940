#include "matcher/internal/mih_generation.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "common/parallel_for.h"
#include "common/status_macros.h"

namespace hashwatch::matcher::internal {
namespace {

constexpr int kLineEntries = 15;  // lanes 0..14
constexpr uint32_t kOverflow =
    16;                         // header flag: the bucket continues in spill
constexpr int kSpillShift = 5;  // header bits above the count hold the offset
// Memory budget of one table built with automatic bucket bits: 11 tables
// then take at most 84 bytes per hash.
constexpr double kTableBytesPerHash = 7.6;
constexpr int kMinBucketBits = 4;

// A bucket to read: line index, table, and how many of the entry's low bits
// may still differ.
struct Probe {
  uint32_t bucket;
  uint8_t table;
  uint8_t budget;
};

// Per-thread scratch, reused across searches so the hot path allocates
// nothing after warm-up.
struct Scratch {
  std::vector<Probe> probes;
  std::vector<uint32_t> cands;
  std::vector<uint32_t> hit_slots;
  std::vector<uint16_t> hit_dist;
  std::vector<uint32_t> overflowed;  // probes whose bucket continues in spill
  std::vector<PdqHash> block;        // SearchScan
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
  out->push_back({prefix ^ mask, static_cast<uint8_t>(table),
                  static_cast<uint8_t>(t - weight)});
  if (weight == max_weight) return;
  for (int b = from; b < p; ++b) {
    AddMasks(prefix, mask | (uint32_t{1} << b), weight + 1, b + 1, p,
             max_weight, t, table, out);
  }
}

// Pipeline distances (see Search), in probes; candidates are verified in
// batches once kCandidateLag newer ones have been prefetched.
constexpr size_t kLag = 16;
constexpr size_t kCandidateLag = 64;
constexpr size_t kVerifyBatch = 64;
// Linear scans go block by block.
constexpr size_t kScanBlock = 4096;

}  // namespace

std::unique_ptr<MihGeneration> MihGeneration::Build(
    MihColumns columns, const MihIndexOptions& options, int build_threads) {
  std::unique_ptr<MihGeneration> g(new MihGeneration());
  const size_t n = columns.n;
  g->kernels_ = &KernelsFor(options.kernel);
  int bits = options.bucket_bits > 0 ? options.bucket_bits
                                     : AutoBucketBits(n, options.num_tables);
  // Slot numbers must fit beside the low bits in a 32-bit entry.
  while (MihLayout::Make(options.num_tables, bits).SlotCapacity() <= n) ++bits;
  g->layout_ = MihLayout::Make(options.num_tables, bits);
  g->n_ = n;
  g->ids_ = std::move(columns.ids);
  g->lo_ = std::move(columns.lo);
  g->hi_ = std::move(columns.hi);
  g->dead_words_ = (n + 63) / 64 + 1;
  g->dead_ = std::make_unique<std::atomic<uint64_t>[]>(g->dead_words_);
  for (size_t i = 0; i < g->dead_words_; ++i)
    g->dead_[i].store(0, std::memory_order_relaxed);

  const int m = g->layout_.num_tables;
  const bool adapt = options.bucket_bits == 0;
  ParallelFor(
      static_cast<size_t>(m), {.threads = std::max(build_threads, 1)},
      [&g, adapt](size_t t) { g->BuildTable(static_cast<int>(t), adapt); });
  const std::vector<ProbePlan> plans =
      MakeProbePlans(g->layout_, n, kMaxIndexRadius, options.allow_scan);
  std::copy(plans.begin(), plans.end(), g->plans_.begin());
  return g;
}

PdqHash MihGeneration::hash(uint32_t slot) const {
  const uint64_t w[4] = {lo_[slot].w[0], lo_[slot].w[1], hi_[slot].w[0],
                         hi_[slot].w[1]};
  PdqHash h;
  std::memcpy(h.words.data(), w, sizeof(w));
  return h;
}

void MihGeneration::BuildTable(int table, bool adapt) {
  int p = layout_.bucket_bits[table];
  // The substring's bits, reading only the one or two words that hold them.
  const int off = layout_.offset[table], width = layout_.width[table];
  const int first = off >> 6, shift = off & 63;
  const bool straddles = shift + width > 64;
  const uint64_t key_mask = (uint64_t{1} << width) - 1;
  auto word = [&](size_t s, int k) {
    return k < 2 ? lo_[s].w[k] : hi_[s].w[k - 2];
  };
  auto key_of = [&](size_t s) {
    uint64_t v = word(s, first) >> shift;
    if (straddles) v |= word(s, first + 1) << (64 - shift);
    return static_cast<uint32_t>(v & key_mask);
  };
  // Count per bucket.
  HugeArray<uint32_t> fill(size_t{1} << p, /*zero=*/true);
  {
    const int shift = layout_.low_bits[table];
    for (size_t s = 0; s < n_; ++s) ++fill[key_of(s) >> shift];
  }
  auto spill_size = [&](size_t buckets) {
    size_t size = 0;
    for (size_t b = 0; b < buckets; ++b) {
      if (fill[b] > kLineEntries) size += 1 + fill[b] - kLineEntries;
    }
    return size;
  };
  // Skewed data (hashes crowding around a few values) fills few buckets and
  // overflows them: lines stay empty while the spill grows. Halve the
  // buckets, merging counts pairwise, until lines + spill fit the memory
  // budget, as long as the slot numbers still fit beside the low bits.
  const size_t budget =
      std::max<size_t>(static_cast<size_t>(kTableBytesPerHash * n_),
                       64 * (size_t{1} << kMinBucketBits));
  const int min_bits =
      std::max(kMinBucketBits, layout_.width[table] -
                                   (32 - static_cast<int>(std::bit_width(n_))));
  while (adapt && p > min_bits &&
         64 * (size_t{1} << p) + 4 * spill_size(size_t{1} << p) > budget) {
    --p;
    for (size_t b = 0; b < (size_t{1} << p); ++b)
      fill[b] = fill[2 * b] + fill[2 * b + 1];
  }
  layout_.bucket_bits[table] = p;
  layout_.low_bits[table] = layout_.width[table] - p;
  const int lb = layout_.low_bits[table];
  const uint32_t low_mask = (uint32_t{1} << lb) - 1;
  const size_t buckets = size_t{1} << p;
  // Place the spill runs of the full buckets, then fill.
  const size_t spill = spill_size(buckets);
  HW_CHECK(spill < (size_t{1} << (32 - kSpillShift)), "mih spill too large");
  Table& t = tables_[table];
  t.lines = HugeArray<uint32_t>(buckets * 16);
  t.spill = HugeArray<uint32_t>(spill);
  size_t cursor = 0;
  for (size_t b = 0; b < buckets; ++b) {
    uint32_t* line = t.lines.data() + b * 16;
    std::memset(line, 0, 64);
    if (fill[b] <= kLineEntries) {
      line[15] = fill[b];
    } else {
      line[15] = kOverflow | static_cast<uint32_t>(cursor << kSpillShift);
      t.spill[cursor] = fill[b] - kLineEntries;
      cursor += 1 + fill[b] - kLineEntries;
    }
    fill[b] = 0;
  }
  for (size_t s = 0; s < n_; ++s) {
    const uint32_t key = key_of(s);
    const size_t b = key >> lb;
    const uint32_t entry = (static_cast<uint32_t>(s) << lb) | (key & low_mask);
    const uint32_t k = fill[b]++;
    uint32_t* line = t.lines.data() + b * 16;
    if (k < kLineEntries) {
      line[k] = entry;
    } else {
      t.spill[(line[15] >> kSpillShift) + 1 + (k - kLineEntries)] = entry;
    }
  }
}

int64_t MihGeneration::Find(uint64_t id) const {
  const uint64_t* end = ids_.data() + n_;
  const uint64_t* it = std::lower_bound(ids_.data(), end, id);
  if (it == end || *it != id) return -1;
  return it - ids_.data();
}

bool MihGeneration::Kill(uint32_t slot) {
  const uint64_t bit = uint64_t{1} << (slot & 63);
  const uint64_t old =
      dead_[slot >> 6].fetch_or(bit, std::memory_order_acq_rel);
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
    const int p = layout_.bucket_bits[i];
    // A budget of lb or more passes every entry of the bucket.
    AddMasks(key >> lb, 0, 0, 0, p, std::min(t, p), t, i, &s.probes);
  }

  size_t num_cands = 0, verified = 0;
  // Room for one line's candidates, or a spill run's.
  auto reserve = [&](size_t more) {
    if (num_cands + more + 16 > s.cands.size()) {
      s.cands.resize(std::max(2 * s.cands.size(), num_cands + more + 16));
    }
  };
  auto prefetch_new = [&](size_t from) {
    for (size_t x = from; x < num_cands; ++x)
      __builtin_prefetch(lo_.data() + s.cands[x]);
  };
  // Verifies candidates [verified, upto).
  auto verify = [&](size_t upto) {
    const size_t len = upto - verified;
    if (len == 0) return;
    if (s.hit_slots.size() < len) {
      s.hit_slots.resize(len);
      s.hit_dist.resize(len);
    }
    const size_t k = kernels_->verify_split(
        lo_.data(), hi_.data(), s.cands.data() + verified, len, query, radius,
        s.hit_slots.data(), s.hit_dist.data());
    for (size_t j = 0; j < k; ++j) {
      const uint32_t slot = s.hit_slots[j];
      if (!IsDead(slot)) out->push_back({ids_[slot], s.hit_dist[j], variant});
    }
    verified = upto;
  };
  // The entries of probe k's bucket past its line.
  auto filter_spill = [&](size_t k) {
    const Probe& pr = s.probes[k];
    const Table& t = tables_[pr.table];
    const uint32_t offset = t.lines[size_t{pr.bucket} * 16 + 15] >> kSpillShift;
    const uint32_t len = t.spill[offset];
    reserve(len);
    const size_t from = num_cands;
    num_cands += kernels_->filter(t.spill.data() + offset + 1, len,
                                  q_low[pr.table], layout_.low_bits[pr.table],
                                  pr.budget, s.cands.data() + num_cands);
    prefetch_new(from);
  };

  // One software pipeline over the probes: at step j, prefetch the bucket
  // line of probe j, filter the line of probe j - kLag (prefetching the
  // candidates' low halves, and the spill of a full bucket, whose entries are
  // filtered kLag steps later); candidates are verified kCandidateLag behind.
  // Every stage works on data requested a few hundred nanoseconds earlier,
  // and the memory system always has independent misses to serve.
  const size_t num_probes = s.probes.size();
  s.overflowed.clear();
  size_t next_overflow = 0;
  for (size_t j = 0; j < num_probes + 2 * kLag; ++j) {
    if (j < num_probes) {
      const Probe& pr = s.probes[j];
      __builtin_prefetch(tables_[pr.table].lines.data() +
                         size_t{pr.bucket} * 16);
    }
    if (j >= kLag && j - kLag < num_probes) {
      const size_t k = j - kLag;
      const Probe& pr = s.probes[k];
      const Table& t = tables_[pr.table];
      const uint32_t* line = t.lines.data() + size_t{pr.bucket} * 16;
      reserve(16);
      const size_t from = num_cands;
      num_cands += kernels_->filter_line(line, q_low[pr.table],
                                         layout_.low_bits[pr.table], pr.budget,
                                         s.cands.data() + num_cands);
      prefetch_new(from);
      if (line[15] & kOverflow) {
        __builtin_prefetch(t.spill.data() + (line[15] >> kSpillShift));
        s.overflowed.push_back(static_cast<uint32_t>(k));
      }
    }
    // Spill runs queued at least kLag steps ago.
    while (next_overflow < s.overflowed.size() &&
           s.overflowed[next_overflow] + 2 * kLag <= j) {
      filter_spill(s.overflowed[next_overflow++]);
    }
    if (num_cands - verified >= kVerifyBatch + kCandidateLag) {
      verify(num_cands - kCandidateLag);
    }
  }
  while (next_overflow < s.overflowed.size())
    filter_spill(s.overflowed[next_overflow++]);
  verify(num_cands);
}

void MihGeneration::SearchScan(const PdqHash& query, int radius, int variant,
                               std::vector<IndexHit>* out) const {
  Scratch& s = LocalScratch();
  // Each buffer separately: Search's probe path sizes hit_slots and
  // hit_dist for itself, so their sizes say nothing about block's.
  if (s.hit_slots.size() < kScanBlock) s.hit_slots.resize(kScanBlock);
  if (s.hit_dist.size() < kScanBlock) s.hit_dist.resize(kScanBlock);
  if (s.block.size() < kScanBlock) s.block.resize(kScanBlock);
  for (size_t begin = 0; begin < n_; begin += kScanBlock) {
    const size_t len = std::min(kScanBlock, n_ - begin);
    for (size_t i = 0; i < len; ++i)
      s.block[i] = hash(static_cast<uint32_t>(begin + i));
    const size_t k = kernels_->scan(s.block.data(), len, query, radius,
                                    s.hit_slots.data(), s.hit_dist.data());
    for (size_t j = 0; j < k; ++j) {
      const uint32_t slot = static_cast<uint32_t>(begin + s.hit_slots[j]);
      if (!IsDead(slot)) out->push_back({ids_[slot], s.hit_dist[j], variant});
    }
  }
}

size_t MihGeneration::MemoryBytes() const {
  size_t bytes =
      ids_.bytes() + lo_.bytes() + hi_.bytes() + dead_words_ * sizeof(uint64_t);
  for (int i = 0; i < layout_.num_tables; ++i) {
    bytes += tables_[i].lines.bytes() + tables_[i].spill.bytes();
  }
  return bytes;
}

}  // namespace hashwatch::matcher::internal
