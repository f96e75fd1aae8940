// The multi-index-hashing HammingIndex.
//
// Structure. A search sees a State: an immutable generation (MihGeneration:
// hashes sorted by id plus one bucketed table per substring; only its dead
// bits change) and the deltas (MihDelta: append-only logs of the writes since
// that generation, scanned linearly). Writers serialise on write_mu_, append
// to the active delta and set dead bits; they never modify a table. When the
// active delta reaches merge_threshold entries, it is frozen (writes go to a
// fresh delta), and a new generation is built from the old one's live
// entries plus the frozen delta's, off the search path. Removals made
// meanwhile are logged and replayed onto the new generation under write_mu_
// before the new State is published with a pointer swap. Searches take a
// snapshot of the State (a shared_ptr copy under a mutex held for
// nanoseconds) and never wait for writers or builds; an old generation is
// freed on the merger thread once the last search using it drops it.
//
// Visibility. Appends are published by the delta's count (release/acquire),
// removals by dead bits. A replacing Upsert appends the new hash before it
// kills the old one, and a search reads the deltas (re-reading their counts
// and following frozen deltas to their successors) after every dead bit it
// checked, so a search that saw the old hash dead also sees the new one.
//
// Why this layout. Numbers: bench/index_bench on this 2-core AMD EPYC VM,
// 10M random 128-of-256-bit hashes, fresh queries, radius 31, one core.
// A radius search costs random memory reads (about 20 ns each here once the
// index spans ~1 GB), so the layout minimises them per query:
//  - 11 substrings of 23..24 bits. With the generalised pigeonhole
//    thresholds (mih_layout.h) a query reads ~2,100 buckets and verifies
//    ~2,900 candidates. 10 substrings: 4,400 buckets + 1,500 candidates;
//    12: 1,800 + 7,300; 16 (FAISS's 16 x 16 bits): 270 + 41,500. Measured in
//    one session: 11 tables 4,800 q/s, 10: 4,000, 12: 3,700, 16: 1,700.
//  - A bucket is one 64-byte line holding up to 15 entries of (slot, low
//    substring bits), filtered in one AVX-512 step; ~4% of lines overflow
//    into a spill run at ~10 entries per bucket. The first version used a
//    directory of offsets plus an entry array (CSR), which costs a
//    directory line and one to three entry lines per probe: 3,600 q/s, or
//    4,300 q/s with the pipeline below. Bucket lines: 8,200 q/s. They cost
//    more memory (64 bytes per bucket, 42..84 bytes per hash for the 11
//    tables), within the 128-byte budget; for skewed data a table halves
//    its buckets until lines plus spill fit 7.6 bytes per hash.
//  - Hashes are stored as low and high 16-byte halves; a random candidate
//    is rejected on the low half (distance ~64 > 31), so verification reads
//    one 160 MB array instead of a 320 MB one (~8% faster).
//  - One software pipeline per query: prefetch the bucket line of probe j,
//    filter probe j - 16, prefetch each candidate's low half as it is found,
//    verify 64 candidates behind; the big arrays are on transparent huge
//    pages (a TLB miss per random read otherwise).
//  - Rebuilds renumber slots in id order, so Remove and Upsert find an id by
//    binary search over the generation's ids (no id map: 8 bytes per hash
//    instead of ~30), and dead entries vanish without a separate
//    compaction. The price is a full background rebuild per merge (about
//    4.5 s of one core and a second copy of the generation at 10M hashes);
//    searches never wait for it. Merging table by table would need stable
//    slots, hence an id map and slot reuse, for the same O(N) work per merge.
#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/parallel_for.h"
#include "common/status_macros.h"
#include "matcher/hamming_index.h"
#include "matcher/internal/hamming_kernels.h"
#include "matcher/internal/hit_list.h"
#include "matcher/internal/huge_array.h"
#include "matcher/internal/mih_delta.h"
#include "matcher/internal/mih_generation.h"

namespace hashwatch::matcher {
namespace {

using internal::MihColumns;
using internal::MihDelta;
using internal::MihGeneration;

struct State {
  std::shared_ptr<MihGeneration> gen;  // never null
  std::shared_ptr<MihDelta>
      frozen;  // being merged into the next generation, or null
  std::shared_ptr<MihDelta> active;  // receives writes; never null
};

class MihIndex final : public HammingIndex {
 public:
  explicit MihIndex(const MihIndexOptions& options)
      : options_(options), kernels_(internal::KernelsFor(options.kernel)) {
    HW_CHECK(options.num_tables >= internal::kMinTables &&
                 options.num_tables <= internal::kMaxTables,
             "MihIndexOptions.num_tables must be 8..16");
    HW_CHECK(options.bucket_bits >= 0 && options.bucket_bits <= 24,
             "MihIndexOptions.bucket_bits must be 0..24");
    HW_CHECK(options.build_threads >= 1,
             "MihIndexOptions.build_threads must be >= 1");
    HW_CHECK(options.bulk_load_threads >= 0,
             "MihIndexOptions.bulk_load_threads must be >= 0");
    options_.merge_threshold = std::max<size_t>(options_.merge_threshold, 1);
    auto state = std::make_unique<State>();
    state->gen = MihGeneration::Build(internal::MihColumns(0), options_, 1);
    state->active = std::make_shared<MihDelta>();
    absl::MutexLock lock(&write_mu_);
    Publish(std::move(state));
    if (options_.background_merge) {
      {
        absl::MutexLock merger_lock(&merger_mu_);
        reclaim_async_ = true;
      }
      merger_ = std::thread([this] { MergerLoop(); });
    }
  }

  ~MihIndex() override {
    if (merger_.joinable()) {
      {
        absl::MutexLock lock(&merger_mu_);
        stop_ = true;
        reclaim_async_ = false;
      }
      merger_.join();
    }
    // States released from here on are freed inline.
    absl::MutexLock lock(&write_mu_);
    Publish(nullptr);
  }

  void Upsert(uint64_t id, const PdqHash& hash) override {
    absl::MutexLock lock(&write_mu_);
    const Location old = FindLive(id);
    cur_->active->Append(id, hash);  // before the kill: see "Visibility"
    if (old.kind == Location::kNone) {
      size_.fetch_add(1, std::memory_order_relaxed);
    } else {
      Kill(old, id);
    }
    MaybeStartMerge();
  }

  bool Remove(uint64_t id) override {
    absl::MutexLock lock(&write_mu_);
    const Location old = FindLive(id);
    if (old.kind == Location::kNone) return false;
    Kill(old, id);
    size_.fetch_sub(1, std::memory_order_relaxed);
    MaybeStartMerge();
    return true;
  }

  std::vector<IndexHit> Search(const PdqHash& query,
                               int radius) const override {
    return SearchMany(absl::MakeConstSpan(&query, 1), radius);
  }

  std::vector<IndexHit> SearchMany(absl::Span<const PdqHash> queries,
                                   int radius) const override {
    HW_CHECK(radius >= 0 && radius <= kMaxIndexRadius, "radius out of range");
    HW_CHECK(queries.size() <= 255, "too many queries");
    std::vector<IndexHit> hits;
    const std::shared_ptr<const State> s = Snapshot();
    for (size_t v = 0; v < queries.size(); ++v) {
      s->gen->Search(queries[v], radius, static_cast<int>(v), &hits);
    }
    if (s->frozen != nullptr) {
      ScanDelta(*s->frozen, queries, radius, 0, s->frozen->count(), &hits);
    }
    // The active delta last, and its successors if it was frozen meanwhile.
    for (const MihDelta* d = s->active.get(); d != nullptr;) {
      size_t done = 0;
      for (;;) {
        const size_t count = d->count();
        if (count > done) {
          ScanDelta(*d, queries, radius, done, count, &hits);
          done = count;
          continue;
        }
        const MihDelta* next = d->next();
        if (next != nullptr) {
          // Frozen: its count is final now; take what came before the freeze.
          const size_t final_count = d->count();
          if (final_count > done)
            ScanDelta(*d, queries, radius, done, final_count, &hits);
        }
        d = next;
        break;
      }
    }
    internal::NormalizeHits(hits);
    return hits;
  }

  size_t size() const override { return size_.load(std::memory_order_relaxed); }

  size_t MemoryBytes() const override {
    const std::shared_ptr<const State> s = Snapshot();
    size_t bytes = s->gen->MemoryBytes() + s->active->MemoryBytes();
    if (s->frozen != nullptr) bytes += s->frozen->MemoryBytes();
    return bytes;
  }

  void BulkLoad(
      absl::Span<const std::pair<uint64_t, PdqHash>> entries) override {
    absl::MutexLock lock(&write_mu_);
    write_mu_.Await(absl::Condition(this, &MihIndex::NotBuilding));
    const MihGeneration& gen = *cur_->gen;
    std::vector<std::pair<uint64_t, PdqHash>> delta =
        cur_->active->LiveEntries();
    const bool existing = gen.size() > gen.dead_count() || !delta.empty();

    // The new entries in id order, the last of equal ids kept.
    std::vector<uint32_t> order;
    bool sorted = true;
    for (size_t i = 1; i < entries.size() && sorted; ++i) {
      sorted = entries[i - 1].first < entries[i].first;
    }
    if (!sorted) {
      order.resize(entries.size());
      for (size_t i = 0; i < order.size(); ++i)
        order[i] = static_cast<uint32_t>(i);
      std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
        return entries[a].first < entries[b].first;
      });
      size_t w = 0;
      for (size_t i = 0; i < order.size(); ++i) {
        if (i + 1 < order.size() &&
            entries[order[i + 1]].first == entries[order[i]].first) {
          continue;
        }
        order[w++] = order[i];
      }
      order.resize(w);
    }
    const size_t num_new = sorted ? entries.size() : order.size();
    auto new_at = [&](size_t i) -> const std::pair<uint64_t, PdqHash>& {
      return sorted ? entries[i] : entries[order[i]];
    };

    MihColumns columns(num_new + (existing ? gen.size() + delta.size() : 0));
    size_t j = 0;
    if (existing) {
      // Three sorted sources; an id is live in at most one of the old two,
      // and a new entry replaces it.
      ForEachLive(gen, delta,
                  [&](uint64_t id, int64_t slot, const PdqHash* hash) {
                    for (; j < num_new && new_at(j).first < id; ++j) {
                      columns.Append(new_at(j).first, new_at(j).second);
                    }
                    if (j < num_new && new_at(j).first == id) return;
                    if (slot >= 0) {
                      gen.AppendTo(static_cast<uint32_t>(slot), &columns);
                    } else {
                      columns.Append(id, *hash);
                    }
                  });
    }
    for (; j < num_new; ++j) columns.Append(new_at(j).first, new_at(j).second);
    const size_t n = columns.n;
    std::shared_ptr<MihGeneration> new_gen =
        MihGeneration::Build(std::move(columns), options_, BulkLoadThreads());
    auto next = std::make_shared<MihDelta>();
    cur_->active->SetNext(next);
    auto state = std::make_unique<State>();
    state->gen = std::move(new_gen);
    state->active = std::move(next);
    size_.store(n, std::memory_order_relaxed);
    Publish(std::move(state));
  }

 private:
  struct Location {
    enum Kind { kNone, kActive, kFrozen, kGen };
    Kind kind = kNone;
    int64_t index = -1;
  };

  std::shared_ptr<const State> Snapshot() const {
    absl::MutexLock lock(&state_mu_);
    return state_;
  }

  // Makes `next` the state searches start from. A state is freed where its
  // last reference is dropped, often at the end of a search; freeing a
  // generation or a delta returns memory to the kernel (munmap), which can
  // wait for the address-space lock behind a rebuild's page faults, so in
  // background mode that is handed to the merger thread.
  void Publish(std::unique_ptr<State> next)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    std::shared_ptr<const State> s;
    if (next != nullptr) {
      s = std::shared_ptr<const State>(next.release(), [this](const State* p) {
        {
          absl::MutexLock lock(&merger_mu_);
          if (reclaim_async_) {
            retired_.push_back(p);
            return;
          }
        }
        delete p;
      });
    }
    std::shared_ptr<const State> old = cur_;
    cur_ = s;
    absl::MutexLock lock(&state_mu_);
    state_.swap(s);
  }

  Location FindLive(uint64_t id) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    int64_t i = cur_->active->FindLive(id);
    if (i >= 0) return {Location::kActive, i};
    if (cur_->frozen != nullptr && (i = cur_->frozen->FindLive(id)) >= 0) {
      return {Location::kFrozen, i};
    }
    i = cur_->gen->Find(id);
    if (i >= 0 && !cur_->gen->IsDead(static_cast<uint32_t>(i)))
      return {Location::kGen, i};
    return {};
  }

  void Kill(const Location& loc, uint64_t id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    switch (loc.kind) {
      case Location::kActive:
        cur_->active->Kill(static_cast<uint32_t>(loc.index));
        break;
      case Location::kFrozen:
        cur_->frozen->Kill(static_cast<uint32_t>(loc.index));
        replay_.push_back(id);
        break;
      case Location::kGen:
        cur_->gen->Kill(static_cast<uint32_t>(loc.index));
        if (building_) replay_.push_back(id);
        break;
      case Location::kNone:
        break;
    }
  }

  bool NotBuilding() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    return !building_;
  }

  int BulkLoadThreads() const {
    return ResolveThreadCount(options_.bulk_load_threads);
  }

  void MaybeStartMerge() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    if (building_) return;
    const MihGeneration& gen = *cur_->gen;
    const size_t dead_limit =
        std::max(options_.merge_threshold, gen.size() / 16);
    if (cur_->active->count() < options_.merge_threshold &&
        gen.dead_count() < dead_limit) {
      return;
    }
    auto next = std::make_shared<MihDelta>();
    cur_->active->SetNext(next);
    auto state = std::make_unique<State>();
    state->gen = cur_->gen;
    state->frozen = cur_->active;
    state->active = std::move(next);
    Publish(std::move(state));
    building_ = true;
    replay_.clear();
    if (options_.background_merge) {
      absl::MutexLock lock(&merger_mu_);
      merge_requested_ = true;
    } else {
      FinishMerge(BuildFrom(*cur_->gen, *cur_->frozen));
    }
  }

  // The new generation: live entries of `gen` and `frozen`. Runs without
  // write_mu_ in background mode; dead bits set meanwhile are in replay_.
  std::unique_ptr<MihGeneration> BuildFrom(const MihGeneration& gen,
                                           const MihDelta& frozen) const {
    const std::vector<std::pair<uint64_t, PdqHash>> delta =
        frozen.LiveEntries();
    MihColumns columns(gen.size() + delta.size());
    ForEachLive(gen, delta,
                [&](uint64_t id, int64_t slot, const PdqHash* hash) {
                  if (slot >= 0) {
                    gen.AppendTo(static_cast<uint32_t>(slot), &columns);
                  } else {
                    columns.Append(id, *hash);
                  }
                });
    return MihGeneration::Build(std::move(columns), options_,
                                options_.build_threads);
  }

  // Calls fn(id, slot, hash) for the live entries of a generation (slot >=
  // 0, hash null) and of delta entries sorted by id (slot -1), in id order;
  // a delta entry wins over a generation entry with the same id.
  template <typename Fn>
  static void ForEachLive(
      const MihGeneration& gen,
      const std::vector<std::pair<uint64_t, PdqHash>>& delta, Fn&& fn) {
    size_t j = 0;
    for (uint32_t s = 0; s < gen.size(); ++s) {
      if (gen.IsDead(s)) continue;
      const uint64_t id = gen.id(s);
      for (; j < delta.size() && delta[j].first < id; ++j)
        fn(delta[j].first, -1, &delta[j].second);
      if (j < delta.size() && delta[j].first == id) continue;
      fn(id, s, nullptr);
    }
    for (; j < delta.size(); ++j) fn(delta[j].first, -1, &delta[j].second);
  }

  void FinishMerge(std::unique_ptr<MihGeneration> built)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    for (uint64_t id : replay_) {
      const int64_t slot = built->Find(id);
      if (slot >= 0) built->Kill(static_cast<uint32_t>(slot));
    }
    replay_.clear();
    auto state = std::make_unique<State>();
    state->gen = std::move(built);
    state->active = cur_->active;
    Publish(std::move(state));
    building_ = false;
    MaybeStartMerge();
  }

  bool MergerHasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(merger_mu_) {
    return merge_requested_ || stop_ || !retired_.empty();
  }

  void MergerLoop() {
    for (;;) {
      std::vector<const State*> retired;
      bool merge = false;
      {
        absl::MutexLock lock(&merger_mu_);
        merger_mu_.Await(absl::Condition(this, &MihIndex::MergerHasWork));
        retired.swap(retired_);
        if (stop_) {
          for (const State* p : retired) delete p;
          return;
        }
        merge = std::exchange(merge_requested_, false);
      }
      for (const State* p : retired) delete p;
      if (!merge) continue;
      std::shared_ptr<MihGeneration> gen;
      std::shared_ptr<MihDelta> frozen;
      {
        absl::MutexLock lock(&write_mu_);
        gen = cur_->gen;
        frozen = cur_->frozen;
      }
      std::unique_ptr<MihGeneration> built = BuildFrom(*gen, *frozen);
      gen.reset();
      frozen.reset();
      absl::MutexLock lock(&write_mu_);
      FinishMerge(std::move(built));
    }
  }

  void ScanDelta(const MihDelta& d, absl::Span<const PdqHash> queries,
                 int radius, size_t begin, size_t end,
                 std::vector<IndexHit>* hits) const {
    for (size_t q0 = 0; q0 < queries.size(); q0 += internal::kMaxScanQueries) {
      const size_t nq =
          std::min<size_t>(internal::kMaxScanQueries, queries.size() - q0);
      d.Search(queries.subspan(q0, nq), radius, static_cast<int>(q0), begin,
               end, kernels_, hits);
    }
  }

  MihIndexOptions options_;
  const internal::HammingKernels& kernels_;

  mutable absl::Mutex state_mu_;
  std::shared_ptr<const State> state_ ABSL_GUARDED_BY(state_mu_);

  absl::Mutex write_mu_ ABSL_ACQUIRED_BEFORE(merger_mu_);
  std::shared_ptr<const State> cur_ ABSL_GUARDED_BY(write_mu_);  // == state_
  bool building_ ABSL_GUARDED_BY(write_mu_) = false;
  // Ids killed while a rebuild runs, replayed onto its result.
  std::vector<uint64_t> replay_ ABSL_GUARDED_BY(write_mu_);
  std::atomic<size_t> size_{0};

  absl::Mutex merger_mu_;
  bool merge_requested_ ABSL_GUARDED_BY(merger_mu_) = false;
  bool stop_ ABSL_GUARDED_BY(merger_mu_) = false;
  // Whether released states go to the merger thread to be freed.
  bool reclaim_async_ ABSL_GUARDED_BY(merger_mu_) = false;
  std::vector<const State*> retired_ ABSL_GUARDED_BY(merger_mu_);
  std::thread merger_;
};

}  // namespace

std::unique_ptr<HammingIndex> NewMihIndex(const MihIndexOptions& options) {
  return std::make_unique<MihIndex>(options);
}

}  // namespace hashwatch::matcher
