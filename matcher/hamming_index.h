// Exact Hamming radius search over PDQ hashes, in memory, updated live.
//
// HammingIndex is the interface; two implementations:
//   NewBruteForceIndex()  a popcount scan over every stored hash: the oracle
//                         the tests compare against, and the benchmark
//                         baseline. O(N) per query.
//   NewMihIndex()         multi-index hashing (Norouzi, Punjani, Fleet,
//                         "Fast Search in Hamming Space with Multi-Index
//                         Hashing", CVPR 2012), with a static base rebuilt in
//                         the background and a small live delta. Exact: the
//                         same hits as the scan, sub-linear on PDQ-like data.
//
// Both are exact: a search returns every stored id within the radius, with
// its true distance, and nothing else. Ids are arbitrary 64-bit values chosen
// by the caller; an id holds at most one hash at a time.
//
// Thread-safety: every method may be called from any number of threads at
// once. A write (Upsert, Remove, BulkLoad) is visible to every search that
// starts after it returns (read-your-writes). A search that overlaps a write
// sees the entry before or after it (for an Upsert that replaces a hash it
// may see either hash, never neither, and reports the id once).
//
// When to use which (10M PDQ-like hashes, radius 31, one core of this 2-core
// AMD EPYC with AVX-512; bench/index_bench prints the full table): the scan
// answers about 70 queries/s and needs 40 bytes per hash; the MIH index
// answers several thousand queries/s with about 100 bytes per hash. Below a
// few thousand hashes the scan is as fast and simpler.
//
//   std::unique_ptr<HammingIndex> index = NewMihIndex();
//   index->BulkLoad(entries_from_disk);          // start-up, one pass
//   index->Upsert(42, hash);                     // live change
//   for (const IndexHit& hit : index->SearchMany(variants, 31)) { ... }
#ifndef HASHWATCH_MATCHER_HAMMING_INDEX_H_
#define HASHWATCH_MATCHER_HAMMING_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "absl/types/span.h"
#include "matcher/pdq.h"

namespace hashwatch::matcher {

// The largest radius HammingIndex searches support. Callers validate radii
// (InvalidArgument at their API); passing more is a programmer error.
inline constexpr int kMaxIndexRadius = 64;

// One search result.
struct IndexHit {
  uint64_t id;      // caller's id
  int distance;     // 0..256
  int variant = 0;  // index into the queries span of SearchMany (0 for Search)

  friend bool operator==(const IndexHit&, const IndexHit&) = default;
};

// Exact radius search over PDQ hashes. Thread-safety: all methods may be
// called concurrently; a write is visible to every Search that starts after it
// returns (read-your-writes); no operation blocks searches for more than a few
// milliseconds (the brute-force index excepted, see NewBruteForceIndex).
class HammingIndex {
 public:
  virtual ~HammingIndex() = default;

  // Inserts `hash` under `id`, or replaces the hash stored under `id`.
  virtual void Upsert(uint64_t id, const PdqHash& hash) = 0;

  // Removes `id`. Returns false if it was absent.
  virtual bool Remove(uint64_t id) = 0;

  // Every stored id within `radius` (0..64; callers validate) of `query`,
  // sorted by (distance, id).
  virtual std::vector<IndexHit> Search(const PdqHash& query,
                                       int radius) const = 0;

  // Several queries at once (the eight dihedral variants): for each id within
  // radius of any query, one hit with its smallest distance and the index of
  // the query that gave it (lowest index on ties); sorted by (distance, id).
  // Requires queries.size() <= 255.
  virtual std::vector<IndexHit> SearchMany(absl::Span<const PdqHash> queries,
                                           int radius) const = 0;

  // Number of stored ids.
  virtual size_t size() const = 0;

  // Heap bytes the index holds (allocated capacity, not just what is used).
  virtual size_t MemoryBytes() const = 0;

  // Added: start-up loading. The same result as calling Upsert(id, hash) for
  // each entry in order (a later duplicate id wins), built in one pass: for
  // 10M entries about 5 s for the MIH index, where 10M Upserts would cause
  // thousands of background rebuilds. Fastest when the entries are sorted by
  // id (RocksDB iteration order of big-endian id keys) and the index is
  // empty; on a non-empty index it rebuilds once with everything, so it
  // also suits large imports into a running index. Searches running
  // meanwhile see the index as before the call until it returns; other
  // writes wait for it. The default (for fakes) calls Upsert per entry.
  virtual void BulkLoad(
      absl::Span<const std::pair<uint64_t, PdqHash>> entries) {
    for (const auto& [id, hash] : entries) Upsert(id, hash);
  }
};

// Which popcount kernels an index uses.
// The binaries target baseline x86-64; the kernels beyond it are chosen at
// run time from what the CPU reports (cpuid), so one build runs anywhere.
enum class PopcountKernel {
  kAuto,      // the widest the CPU offers, chosen at run time (kAvx512,
              // else kAvx2, else kPortable)
  kPortable,  // popcount on 64-bit words in baseline x86-64; any CPU
  kAvx512,    // AVX-512 F/VL/BW/DQ + VPOPCNTDQ; falls back to kAvx2 or
              // kPortable when the CPU lacks them
  kAvx2,      // AVX2 + POPCNT + BMI1/2 (one popcnt per 64-bit word); falls
              // back to kPortable when the CPU lacks them
};

// The kernel `requested` resolves to on this CPU: the widest the CPU has
// that is not wider than `requested` (kAuto: the widest); never kAuto.
PopcountKernel ResolvePopcountKernel(PopcountKernel requested);

struct BruteForceIndexOptions {
  PopcountKernel kernel = PopcountKernel::kAuto;  // tests force kPortable
};

// The oracle and the baseline: hashes in one array, each search scans all of
// them (SearchMany compares each stored hash with every query in the same
// pass). Searches hold a shared lock for their whole scan and writes an
// exclusive one, so unlike the MIH index a write waits for running scans and
// blocks new ones while it runs (an Upsert that grows the array copies it).
// Memory: about 70 bytes per hash (the hashes, the ids and an id map).
std::unique_ptr<HammingIndex> NewBruteForceIndex(
    const BruteForceIndexOptions& options = {});

// Knobs of the multi-index-hashing index. The defaults were chosen with
// bench/index_bench on 1M and 10M PDQ-like hashes (see mih_index.cc).
struct MihIndexOptions {
  // Number of substrings (one table each) the 256 bits are split into,
  // 8..16. More tables: narrower substrings, fewer candidates to verify but
  // more buckets to read and more memory. 11 (23..24 bits) reads the fewest
  // cache lines at radius 31 for 1M..100M hashes.
  int num_tables = 11;

  // Bits of each substring that select its bucket (one 64-byte line of up
  // to 15 entries); the rest of the substring is kept in each entry and
  // filtered while reading the line. 0 (default) picks it at each rebuild
  // from the number of hashes N: floor(log2(N / 8.4)), so buckets hold
  // 8.4..16.8 entries on average and 11 tables take 42..84 bytes per hash;
  // a table of skewed data gets fewer buckets until it fits 7.6 bytes per
  // hash. A fixed value is used as given: more bits, fewer entries per
  // bucket (fewer full lines continued elsewhere), more memory (64 * 2^bits
  // bytes per table). Raised where needed so that slot numbers fit in the
  // 32-bit entries.
  int bucket_bits = 0;

  // Writes go to an unindexed delta that every search scans (about 3 ms per
  // 1M delta entries per query). When it holds this many entries, or the
  // base holds max(this, N / 16) removed entries, the base is rebuilt with
  // them. Larger: fewer rebuilds (each one O(N): about 4.5 s of one core at
  // 10M hashes), slower searches in between. >= 1.
  size_t merge_threshold = 4096;

  // Rebuild on a background thread (true) or inside the write that crosses
  // merge_threshold (false: deterministic, for tests). Either way searches
  // never wait for a rebuild.
  bool background_merge = true;

  // Let a search scan the base linearly when the planner estimates that is
  // cheaper than probing (large radii on small indexes). Tests turn it off to
  // exercise probing at every radius.
  bool allow_scan = true;

  // Threads a background rebuild uses to build the tables, >= 1. One leaves
  // the other cores to searches.
  int build_threads = 1;

  // Threads BulkLoad uses; 0 (default): one per core, since at start-up
  // nothing else runs. Searches running meanwhile get what is left.
  int bulk_load_threads = 0;

  PopcountKernel kernel = PopcountKernel::kAuto;  // tests force kPortable
};

// Returns a multi-index-hashing index. Aborts (HW_CHECK) on options out of
// range: they are fixed by the program, not by input.
//
// Costs (10M hashes, this machine; bench/index_bench): radius 31 in ~0.1 ms
// (probes ~2,100 bucket lines, verifies ~2,900 candidates); radius 16 in
// ~10 us; radius 40 in ~0.6 ms; 64 in several ms. Memory about 115 bytes per
// hash (at most ~125 with the automatic bucket bits), plus the delta. Each
// rebuild (every merge_threshold writes) builds a second generation in the
// background, O(N) time and, until it is published, memory; MemoryBytes
// counts what searches use, not a rebuild in progress. Upsert and Remove
// cost O(log N) plus, amortised, the rebuilds.
std::unique_ptr<HammingIndex> NewMihIndex(const MihIndexOptions& options = {});

}  // namespace hashwatch::matcher

#endif  // HASHWATCH_MATCHER_HAMMING_INDEX_H_
