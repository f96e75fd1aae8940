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
// Why this layout (numbers: bench/index_bench, 10M random 128-of-256-bit
// hashes, radius 31, one core; see the table in the commit that added it).
// The cost of a radius search is random memory reads: bucket lookups and
// candidate verifications. With m substrings of b = 256/m bits and the
// generalised pigeonhole thresholds (mih_layout.h), m = 11 (b = 23..24)
// balances them for 1M..100M hashes: about 2,300 bucket probes and 3,000
// candidates per query at radius 31. Narrower substrings (m = 16, b = 16, the
// FAISS layout) verify ~40,000 candidates; wider ones (m = 8, b = 32) probe
// ~44,000 buckets. Each table directly addresses only the high
// directory_bits (about log2(N) - 4) of its substring, 4 MiB per table at 10M,
// and keeps the remaining 3..7 bits inside each 32-bit entry beside the slot
// number, filtered 16 entries at a time with AVX-512 while scanning the
// bucket. That gives the probe count of a 20-bit table with the candidate
// count of a 24-bit one, at 4 bytes per hash per table. Probes run in chunks
// of 256 with software prefetch (directory lines, then buckets, then
// candidate hashes) so the random reads overlap; the big arrays sit on
// transparent huge pages.
#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"
#include "matcher/hamming_index.h"
#include "matcher/internal/hamming_kernels.h"
#include "matcher/internal/hit_list.h"
#include "matcher/internal/huge_array.h"
#include "matcher/internal/mih_delta.h"
#include "matcher/internal/mih_generation.h"

namespace hashwatch::matcher {
namespace {

using internal::HugeArray;
using internal::MihDelta;
using internal::MihGeneration;

struct State {
  std::shared_ptr<MihGeneration> gen;  // never null
  std::shared_ptr<MihDelta> frozen;    // being merged into the next generation, or null
  std::shared_ptr<MihDelta> active;    // receives writes; never null
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
    HW_CHECK(options.build_threads >= 1, "MihIndexOptions.build_threads must be >= 1");
    options_.merge_threshold = std::max<size_t>(options_.merge_threshold, 1);
    auto state = std::make_shared<State>();
    state->gen = Own(MihGeneration::Build({}, {}, 0, options_));
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
    // Generations released from here on are freed inline.
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

  std::vector<IndexHit> Search(const PdqHash& query, int radius) const override {
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
          if (final_count > done) ScanDelta(*d, queries, radius, done, final_count, &hits);
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

  void BulkLoad(absl::Span<const std::pair<uint64_t, PdqHash>> entries) override {
    absl::MutexLock lock(&write_mu_);
    write_mu_.Await(absl::Condition(this, &MihIndex::NotBuilding));
    const MihGeneration& gen = *cur_->gen;
    std::vector<std::pair<uint64_t, PdqHash>> delta = cur_->active->LiveEntries();
    const bool existing = gen.size() > gen.dead_count() || !delta.empty();

    // The new entries in id order, the last of equal ids kept.
    std::vector<uint32_t> order;
    bool sorted = true;
    for (size_t i = 1; i < entries.size() && sorted; ++i) {
      sorted = entries[i - 1].first < entries[i].first;
    }
    if (!sorted) {
      order.resize(entries.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint32_t>(i);
      std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
        return entries[a].first < entries[b].first;
      });
      size_t w = 0;
      for (size_t i = 0; i < order.size(); ++i) {
        if (i + 1 < order.size() && entries[order[i + 1]].first == entries[order[i]].first) {
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

    const size_t cap = num_new + (existing ? gen.size() + delta.size() : 0);
    HugeArray<uint64_t> ids(cap);
    HugeArray<PdqHash> hashes(cap);
    size_t n = 0;
    if (!existing) {
      for (size_t i = 0; i < num_new; ++i) {
        ids[i] = new_at(i).first;
        hashes[i] = new_at(i).second;
      }
      n = num_new;
    } else {
      // Three sorted sources; an id is live in at most one of the old two,
      // and a new entry replaces it.
      std::vector<std::pair<uint64_t, PdqHash>> old = MergeLive(gen, delta);
      size_t i = 0, j = 0;
      while (i < old.size() || j < num_new) {
        if (j == num_new || (i < old.size() && old[i].first < new_at(j).first)) {
          ids[n] = old[i].first;
          hashes[n++] = old[i++].second;
        } else {
          if (i < old.size() && old[i].first == new_at(j).first) ++i;
          ids[n] = new_at(j).first;
          hashes[n++] = new_at(j++).second;
        }
      }
    }
    auto new_gen = Own(MihGeneration::Build(std::move(ids), std::move(hashes), n, options_));
    auto next = std::make_shared<MihDelta>();
    cur_->active->SetNext(next);
    auto state = std::make_shared<State>();
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

  // Makes `s` the state searches start from. The replaced state is
  // destroyed after state_mu_ is released.
  void Publish(std::shared_ptr<const State> s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    std::shared_ptr<const State> old = cur_;
    cur_ = s;
    {
      absl::MutexLock lock(&state_mu_);
      state_.swap(s);
    }
  }

  // Wraps a generation so that the last reference, wherever it is dropped
  // (often by a search), hands it to the merger thread to free.
  std::shared_ptr<MihGeneration> Own(std::unique_ptr<MihGeneration> g) {
    return std::shared_ptr<MihGeneration>(g.release(), [this](MihGeneration* p) {
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

  Location FindLive(uint64_t id) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    int64_t i = cur_->active->FindLive(id);
    if (i >= 0) return {Location::kActive, i};
    if (cur_->frozen != nullptr && (i = cur_->frozen->FindLive(id)) >= 0) {
      return {Location::kFrozen, i};
    }
    i = cur_->gen->Find(id);
    if (i >= 0 && !cur_->gen->IsDead(static_cast<uint32_t>(i))) return {Location::kGen, i};
    return {};
  }

  void Kill(const Location& loc, uint64_t id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
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

  bool NotBuilding() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) { return !building_; }

  void MaybeStartMerge() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    if (building_) return;
    const MihGeneration& gen = *cur_->gen;
    const size_t dead_limit = std::max(options_.merge_threshold, gen.size() / 16);
    if (cur_->active->count() < options_.merge_threshold && gen.dead_count() < dead_limit) {
      return;
    }
    auto next = std::make_shared<MihDelta>();
    cur_->active->SetNext(next);
    auto state = std::make_shared<State>();
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
  std::unique_ptr<MihGeneration> BuildFrom(const MihGeneration& gen, const MihDelta& frozen) const {
    std::vector<std::pair<uint64_t, PdqHash>> live = MergeLive(gen, frozen.LiveEntries());
    HugeArray<uint64_t> ids(live.size());
    HugeArray<PdqHash> hashes(live.size());
    for (size_t i = 0; i < live.size(); ++i) {
      ids[i] = live[i].first;
      hashes[i] = live[i].second;
    }
    return MihGeneration::Build(std::move(ids), std::move(hashes), live.size(), options_);
  }

  // Live entries of a generation merged with sorted delta entries (which win
  // on equal ids), in id order.
  static std::vector<std::pair<uint64_t, PdqHash>> MergeLive(
      const MihGeneration& gen, const std::vector<std::pair<uint64_t, PdqHash>>& delta) {
    std::vector<std::pair<uint64_t, PdqHash>> out;
    out.reserve(gen.size() - std::min(gen.size(), gen.dead_count()) + delta.size());
    size_t j = 0;
    for (uint32_t s = 0; s < gen.size(); ++s) {
      if (gen.IsDead(s)) continue;
      const uint64_t id = gen.id(s);
      while (j < delta.size() && delta[j].first < id) out.push_back(delta[j++]);
      if (j < delta.size() && delta[j].first == id) continue;
      out.emplace_back(id, gen.hash(s));
    }
    while (j < delta.size()) out.push_back(delta[j++]);
    return out;
  }

  void FinishMerge(std::unique_ptr<MihGeneration> built) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    for (uint64_t id : replay_) {
      const int64_t slot = built->Find(id);
      if (slot >= 0) built->Kill(static_cast<uint32_t>(slot));
    }
    replay_.clear();
    auto state = std::make_shared<State>();
    state->gen = Own(std::move(built));
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
      std::vector<MihGeneration*> retired;
      bool merge = false;
      {
        absl::MutexLock lock(&merger_mu_);
        merger_mu_.Await(absl::Condition(this, &MihIndex::MergerHasWork));
        retired.swap(retired_);
        if (stop_) {
          for (MihGeneration* g : retired) delete g;
          return;
        }
        merge = std::exchange(merge_requested_, false);
      }
      for (MihGeneration* g : retired) delete g;
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

  void ScanDelta(const MihDelta& d, absl::Span<const PdqHash> queries, int radius,
                 size_t begin, size_t end, std::vector<IndexHit>* hits) const {
    for (size_t q0 = 0; q0 < queries.size(); q0 += internal::kMaxScanQueries) {
      const size_t nq = std::min<size_t>(internal::kMaxScanQueries, queries.size() - q0);
      d.Search(queries.subspan(q0, nq), radius, static_cast<int>(q0), begin, end, kernels_,
               hits);
    }
  }

  MihIndexOptions options_;
  const internal::HammingKernels& kernels_;

  mutable absl::Mutex state_mu_;
  std::shared_ptr<const State> state_ ABSL_GUARDED_BY(state_mu_);

  absl::Mutex write_mu_ ABSL_ACQUIRED_BEFORE(merger_mu_);
  std::shared_ptr<const State> cur_ ABSL_GUARDED_BY(write_mu_);  // == state_
  bool building_ ABSL_GUARDED_BY(write_mu_) = false;
  std::vector<uint64_t> replay_ ABSL_GUARDED_BY(write_mu_);  // ids killed while building
  std::atomic<size_t> size_{0};

  absl::Mutex merger_mu_;
  bool merge_requested_ ABSL_GUARDED_BY(merger_mu_) = false;
  bool stop_ ABSL_GUARDED_BY(merger_mu_) = false;
  bool reclaim_async_ ABSL_GUARDED_BY(merger_mu_) = false;  // the merger frees generations
  std::vector<MihGeneration*> retired_ ABSL_GUARDED_BY(merger_mu_);
  std::thread merger_;
};

}  // namespace

std::unique_ptr<HammingIndex> NewMihIndex(const MihIndexOptions& options) {
  return std::make_unique<MihIndex>(options);
}

}  // namespace hashwatch::matcher
