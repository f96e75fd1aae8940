// index_bench: exact Hamming radius search over synthetic PDQ-like hashes.
//
// For each N (--n) and data set (random: 256-bit hashes with exactly 128
// ones, like PDQ's median threshold; clustered: hashes 0..32 bits around
// --centres centres, which skews the buckets), it loads the MIH index
// (for the random set: from a temporary RocksDB, timing open + full
// iteration + BulkLoad, the start-up path), then times on one core, for
// fresh random queries (most uploads match nothing) and for stored hashes
// with 0..40 random bits flipped, at radius 16, 31 and 40:
//   - the MIH index: queries/s, p50/p99 latency, and recall against the
//     brute-force scan (must be 100%: the results are compared exactly);
//   - the brute-force popcount scan (one query per pass, and eight);
//   - FAISS IndexBinaryMultiHash, 16 tables x 16 bits, exact range search
//     (when built with FAISS);
// and prints one table with the ratios. A second table gives memory per
// hash, start-up time, and search latency while a writer thread upserts and
// removes at --live-rate writes/s.
//
//   build/bin/index_bench --n 1000000,10000000
//   build/bin/index_bench --n 100000 --queries 2000 --recall-queries 100   #
//   quick
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "bench/synthetic.h"
#include "matcher/hamming_index.h"
#include "matcher/pdq.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"

#if HW_HAVE_FAISS
#include "bench/faiss_peer.h"
#endif

namespace {

using hashwatch::matcher::HammingIndex;
using hashwatch::matcher::IndexHit;
using hashwatch::matcher::PdqHash;
using Clock = std::chrono::steady_clock;
using Entries = std::vector<std::pair<uint64_t, PdqHash>>;
using hashwatch::bench::PdqLike;
using hashwatch::bench::Percentile;
using hashwatch::bench::Rng;
using hashwatch::bench::ToggleBit;

// The name of a resolved kernel set, as the index_bench table prints it.
const char* KernelName(hashwatch::matcher::PopcountKernel k) {
  switch (k) {
    case hashwatch::matcher::PopcountKernel::kAvx512:
      return "avx512-vpopcntdq";
    case hashwatch::matcher::PopcountKernel::kAvx2:
      return "avx2-popcnt";
    default:
      return "portable";
  }
}

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// `swaps` one-bits turned off and as many zero-bits turned on: 2 * swaps
// bits flipped, still 128 ones.
PdqHash SwapBits(PdqHash h, int swaps, Rng& rng) {
  for (int want : {1, 0}) {
    for (int i = 0; i < swaps;) {
      const int bit = rng.Below(256);
      if (h.Bit(bit) == (want == 1)) {
        ToggleBit(h, bit);
        ++i;
      }
    }
  }
  return h;
}

// `flips` distinct random bits inverted.
PdqHash FlipBits(PdqHash h, int flips, Rng& rng) {
  int order[256];
  for (int i = 0; i < 256; ++i) order[i] = i;
  for (int i = 0; i < flips; ++i) {
    std::swap(order[i], order[i + rng.Below(256 - i)]);
    ToggleBit(h, order[i]);
  }
  return h;
}

// Ids as the bank store makes them: a bank number in the high byte. Sorted.
uint64_t IdOf(size_t i, size_t n) { return (uint64_t{i * 4 / n} << 56) | i; }

Entries RandomSet(size_t n, uint64_t seed) {
  Rng rng{seed};
  Entries out(n);
  for (size_t i = 0; i < n; ++i) out[i] = {IdOf(i, n), PdqLike(rng)};
  return out;
}

Entries ClusteredSet(size_t n, int centres, uint64_t seed) {
  Rng rng{seed};
  std::vector<PdqHash> c(centres);
  for (PdqHash& h : c) h = PdqLike(rng);
  Entries out(n);
  for (size_t i = 0; i < n; ++i) {
    out[i] = {IdOf(i, n), SwapBits(c[rng.Below(centres)], rng.Below(17), rng)};
  }
  return out;
}

std::vector<PdqHash> FreshQueries(int n, uint64_t seed) {
  Rng rng{seed};
  std::vector<PdqHash> q(n);
  for (PdqHash& h : q) h = PdqLike(rng);
  return q;
}

std::vector<PdqHash> NearQueries(const Entries& stored, int n, uint64_t seed) {
  Rng rng{seed};
  std::vector<PdqHash> q(n);
  for (PdqHash& h : q) {
    h = FlipBits(stored[rng() % stored.size()].second, rng.Below(41), rng);
  }
  return q;
}

struct Timing {
  double qps = 0, p50_us = 0, p99_us = 0, max_us = 0, mean_hits = 0;
};

// Runs each query once, in order, on this thread.
template <typename Fn>
Timing TimeQueries(int count, Fn&& fn) {
  std::vector<double> lat;
  lat.reserve(count);
  size_t hits = 0;
  const auto start = Clock::now();
  for (int i = 0; i < count; ++i) {
    const auto t0 = Clock::now();
    hits += fn(i);
    lat.push_back(Seconds(t0, Clock::now()) * 1e6);
  }
  const double total = Seconds(start, Clock::now());
  Timing t;
  t.qps = count / total;
  t.p50_us = Percentile(lat, 0.5);
  t.p99_us = Percentile(lat, 0.99);
  t.max_us = *std::max_element(lat.begin(), lat.end());
  t.mean_hits = static_cast<double>(hits) / count;
  return t;
}

// Involuntary context switches of the calling thread so far.
long InvoluntarySwitches() {
  rusage u;
  getrusage(RUSAGE_THREAD, &u);
  return u.ru_nivcsw;
}

// The machine's own hiccups: the longest a fixed ~50 us of arithmetic took,
// over `seconds`, on a thread that was not preempted meanwhile (the
// hypervisor and interrupts still show). Search latencies during the live
// run are comparable with this, not with zero.
double NoiseFloorUs(double seconds) {
  double worst = 0;
  volatile uint64_t sink = 0;
  const auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(seconds));
  while (Clock::now() < end) {
    const long switches = InvoluntarySwitches();
    const auto t0 = Clock::now();
    uint64_t x = sink;
    for (int i = 0; i < 40000; ++i)
      x = x * 6364136223846793005ull + 1442695040888963407ull;
    sink = x;
    const double us = Seconds(t0, Clock::now()) * 1e6;
    if (InvoluntarySwitches() == switches) worst = std::max(worst, us);
  }
  return worst;
}

// Peak resident memory of this process (VmHWM), MB.
double PeakRssMb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return -1;
}

void Die(const std::string& what, const rocksdb::Status& s) {
  std::fprintf(stderr, "index_bench: %s: %s\n", what.c_str(),
               s.ToString().c_str());
  std::exit(1);
}

// Writes the entries to a fresh RocksDB under /tmp (key: 8-byte big-endian
// id, value: the 32 hash bytes; sync and WAL off, then a full compaction),
// reopens it and times open + full iteration + BulkLoad into `index`.
struct StartUp {
  double write_s = 0, read_s = 0, build_s = 0;
};
StartUp LoadThroughRocksDb(const Entries& entries, HammingIndex& index) {
  StartUp out;
  char templ[] = "/tmp/hw-index-bench-XXXXXX";
  if (mkdtemp(templ) == nullptr) {
    std::perror("index_bench: mkdtemp");
    std::exit(1);
  }
  const std::string dir = templ;
  const auto w0 = Clock::now();
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(options, dir, &raw);
    if (!s.ok()) Die("open for writing", s);
    std::unique_ptr<rocksdb::DB> db(raw);
    rocksdb::WriteOptions wo;
    wo.sync = false;
    wo.disableWAL = true;
    rocksdb::WriteBatch batch;
    for (size_t i = 0; i < entries.size(); ++i) {
      char key[8];
      for (int b = 0; b < 8; ++b)
        key[b] = static_cast<char>(entries[i].first >> (56 - 8 * b));
      batch.Put(rocksdb::Slice(key, 8),
                rocksdb::Slice(reinterpret_cast<const char*>(
                                   entries[i].second.words.data()),
                               32));
      if (batch.Count() == 100000 || i + 1 == entries.size()) {
        s = db->Write(wo, &batch);
        if (!s.ok()) Die("write", s);
        batch.Clear();
      }
    }
    s = db->CompactRange(rocksdb::CompactRangeOptions(), nullptr, nullptr);
    if (!s.ok()) Die("compact", s);
    s = db->Close();
    if (!s.ok()) Die("close", s);
  }
  out.write_s = Seconds(w0, Clock::now());

  const auto t0 = Clock::now();
  Entries loaded;
  {
    rocksdb::Options options;
    rocksdb::DB* raw = nullptr;
    rocksdb::Status s = rocksdb::DB::OpenForReadOnly(options, dir, &raw);
    if (!s.ok()) Die("open", s);
    std::unique_ptr<rocksdb::DB> db(raw);
    uint64_t estimate = 0;
    if (db->GetIntProperty("rocksdb.estimate-num-keys", &estimate))
      loaded.reserve(estimate);
    rocksdb::ReadOptions ro;
    ro.fill_cache = false;
    ro.readahead_size = 4 << 20;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const rocksdb::Slice k = it->key(), v = it->value();
      if (k.size() != 8 || v.size() != 32) {
        std::fprintf(stderr, "index_bench: bad record\n");
        std::exit(1);
      }
      uint64_t id = 0;
      for (int b = 0; b < 8; ++b) id = id << 8 | static_cast<uint8_t>(k[b]);
      PdqHash h;
      std::memcpy(h.words.data(), v.data(), 32);
      loaded.emplace_back(id, h);
    }
    if (!it->status().ok()) Die("iterate", it->status());
  }
  const auto t1 = Clock::now();
  index.BulkLoad(loaded);
  const auto t2 = Clock::now();
  out.read_s = Seconds(t0, t1);
  out.build_s = Seconds(t1, t2);
  std::filesystem::remove_all(dir);
  if (loaded.size() != entries.size()) {
    std::fprintf(stderr, "index_bench: read back %zu of %zu\n", loaded.size(),
                 entries.size());
    std::exit(1);
  }
  return out;
}

std::string Human(size_t n) {
  if (n % 1000000 == 0) return std::to_string(n / 1000000) + "M";
  if (n % 1000 == 0) return std::to_string(n / 1000) + "k";
  return std::to_string(n);
}

std::string Fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), f, v);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"index_bench: exact Hamming radius search on PDQ-like hashes"};
  std::vector<size_t> sizes = {1000000, 10000000};
  std::vector<std::string> datasets = {"random", "clustered"};
  std::vector<int> radii = {16, 31, 40};
  int queries = 20000, recall_queries = 500, faiss_queries = 100,
      brute_queries = 64;
  int centres = 4096;
  double live_seconds = 5, live_rate = 1000;
  bool startup = true, use_faiss = true;
  std::string kernel = "auto";
  hashwatch::matcher::MihIndexOptions mih_options;
  app.add_option("--n", sizes, "Numbers of stored hashes")->delimiter(',');
  app.add_option("--datasets", datasets, "random, clustered")->delimiter(',');
  app.add_option("--radii", radii, "Search radii (<= 64)")->delimiter(',');
  app.add_option("--queries", queries, "Timed MIH queries per cell");
  app.add_option(
      "--recall-queries", recall_queries,
      "Queries per cell checked against brute force (and given to FAISS)");
  app.add_option("--faiss-queries", faiss_queries,
                 "Timed FAISS queries per cell");
  app.add_option("--brute-queries", brute_queries,
                 "Timed brute-force queries per N");
  app.add_option("--centres", centres, "Centres of the clustered set");
  app.add_option("--live-seconds", live_seconds,
                 "Duration of the live-update run (0: skip)");
  app.add_option("--live-rate", live_rate,
                 "Writes per second in the live-update run");
  app.add_option("--startup", startup, "Load the random set through RocksDB");
  app.add_option("--faiss", use_faiss,
                 "Compare with FAISS (when built with it)");
  app.add_option("--kernel", kernel, "auto or portable");
  app.add_option("--num-tables", mih_options.num_tables,
                 "MihIndexOptions.num_tables");
  app.add_option("--merge-threshold", mih_options.merge_threshold,
                 "MihIndexOptions.merge_threshold");
  app.add_option("--bucket-bits", mih_options.bucket_bits,
                 "MihIndexOptions.bucket_bits (0: auto)");
  CLI11_PARSE(app, argc, argv);
  for (int r : radii) {
    if (r < 0 || r > hashwatch::matcher::kMaxIndexRadius) {
      std::fprintf(stderr, "index_bench: radius %d out of range 0..64\n", r);
      return 2;
    }
  }
  const auto isa = kernel == "portable"
                       ? hashwatch::matcher::PopcountKernel::kPortable
                       : hashwatch::matcher::PopcountKernel::kAuto;
  mih_options.kernel = isa;
  recall_queries = std::min(recall_queries, queries);
  faiss_queries = std::min(faiss_queries, recall_queries);
  const int max_radius = *std::max_element(radii.begin(), radii.end());

  std::printf(
      "index_bench: one core per measurement; kernel %s; MIH %d tables\n\n",
      KernelName(hashwatch::matcher::ResolvePopcountKernel(isa)),
      mih_options.num_tables);

  struct Row {
    std::string n, data, queries;
    int radius;
    Timing mih;
    double recall;
    int mismatched;
    double brute_qps, brute8_qps, faiss_qps, faiss_recall;
  };
  struct Summary {
    std::string n, data;
    double mih_bytes = 0, brute_bytes = 0, rss_mb = 0;
    StartUp startup;
    bool have_startup = false;
    double faiss_build_s = 0;
    Timing live;
    double live_writes = 0, live_write_p99_us = 0, live_write_max_us = 0;
    double live_max_unpreempted_us = 0;
    double noise_max_us = 0;
    int live_slow_unpreempted = 0;
  };
  std::vector<Row> rows;
  std::vector<Summary> summaries;

  for (size_t n : sizes) {
    for (const std::string& data : datasets) {
      const uint64_t seed = n * 31 + (data == "random" ? 1 : 2);
      std::fprintf(stderr, "index_bench: %s %s: generating\n", Human(n).c_str(),
                   data.c_str());
      const Entries entries = data == "random" ? RandomSet(n, seed)
                                               : ClusteredSet(n, centres, seed);
      Summary sum;
      sum.n = Human(n);
      sum.data = data;

      auto mih = hashwatch::matcher::NewMihIndex(mih_options);
      if (data == "random" && startup) {
        std::fprintf(stderr, "index_bench: writing and reloading RocksDB\n");
        sum.startup = LoadThroughRocksDb(entries, *mih);
        sum.have_startup = true;
      } else {
        const auto t0 = Clock::now();
        mih->BulkLoad(entries);
        sum.startup.build_s = Seconds(t0, Clock::now());
      }
      sum.mih_bytes = static_cast<double>(mih->MemoryBytes()) / n;

      auto brute = hashwatch::matcher::NewBruteForceIndex({.kernel = isa});
      brute->BulkLoad(entries);
      sum.brute_bytes = static_cast<double>(brute->MemoryBytes()) / n;

      // Brute force does not depend on radius or data: time it once (after
      // one warm-up scan).
      const std::vector<PdqHash> fresh = FreshQueries(queries, seed + 100);
      brute->Search(fresh[0], 31);
      const Timing brute1 = TimeQueries(brute_queries, [&](int i) {
        return brute->Search(fresh[i], 31).size();
      });
      const int passes = std::max(1, brute_queries / 8);
      const Timing brute8 = TimeQueries(passes, [&](int i) {
        return brute
            ->SearchMany(absl::MakeConstSpan(fresh).subspan(8 * i, 8), 31)
            .size();
      });

#if HW_HAVE_FAISS
      std::unique_ptr<hashwatch::bench::FaissMultiHash> faiss;
      if (use_faiss) {
        std::fprintf(stderr,
                     "index_bench: building FAISS IndexBinaryMultiHash\n");
        const auto f0 = Clock::now();
        faiss = hashwatch::bench::NewFaissMultiHash(16, 16);
        faiss->Add(entries);
        sum.faiss_build_s = Seconds(f0, Clock::now());
      }
#endif

      for (const std::string& kind :
           {std::string("fresh"), std::string("near 0-40")}) {
        const std::vector<PdqHash> qs =
            kind == "fresh" ? fresh : NearQueries(entries, queries, seed + 200);
        // Ground truth at the largest radius, filtered per radius below.
        std::fprintf(stderr,
                     "index_bench: %s queries: brute-force ground truth\n",
                     kind.c_str());
        std::vector<std::vector<IndexHit>> truth(recall_queries);
        for (int i = 0; i < recall_queries; ++i)
          truth[i] = brute->Search(qs[i], max_radius);
        for (int r : radii) {
          Row row{Human(n), data,       kind,           r, {}, 0,
                  0,        brute1.qps, brute8.qps * 8, 0, 0};
          row.mih = TimeQueries(
              queries, [&](int i) { return mih->Search(qs[i], r).size(); });
          size_t want_hits = 0, got_hits = 0;
          for (int i = 0; i < recall_queries; ++i) {
            std::vector<IndexHit> want;
            for (const IndexHit& h : truth[i]) {
              if (h.distance <= r) want.push_back(h);
            }
            const std::vector<IndexHit> got = mih->Search(qs[i], r);
            want_hits += want.size();
            for (const IndexHit& h : want) {
              got_hits += std::count(got.begin(), got.end(), h);
            }
            if (got != want) ++row.mismatched;
          }
          row.recall =
              want_hits == 0 ? 1.0 : static_cast<double>(got_hits) / want_hits;
#if HW_HAVE_FAISS
          size_t faiss_found = 0, faiss_want = 0;
          if (faiss != nullptr) {
            std::vector<std::vector<std::pair<int64_t, int>>> faiss_got(
                faiss_queries);
            const Timing ft = TimeQueries(faiss_queries, [&](int i) {
              faiss_got[i] = faiss->RangeSearch(qs[i], r);
              return faiss_got[i].size();
            });
            for (int i = 0; i < faiss_queries; ++i) {
              const auto& got = faiss_got[i];
              for (const IndexHit& h : truth[i]) {
                if (h.distance > r) continue;
                ++faiss_want;
                const int64_t label =
                    static_cast<int64_t>(h.id & ((uint64_t{1} << 56) - 1));
                faiss_found += std::count(got.begin(), got.end(),
                                          std::make_pair(label, h.distance));
              }
            }
            row.faiss_qps = ft.qps;
            row.faiss_recall =
                faiss_want == 0 ? 1.0
                                : static_cast<double>(faiss_found) / faiss_want;
          }
#endif
          rows.push_back(row);
          std::fprintf(stderr,
                       "index_bench: %s %s %s r=%d: %.0f q/s, recall %.4f\n",
                       row.n.c_str(), data.c_str(), kind.c_str(), r,
                       row.mih.qps, row.recall);
        }
      }
      // The eight dihedral variants in one call (SearchMany), radius 31,
      // fresh queries: against the scan that compares each stored hash with
      // all eight in one pass, and FAISS answering the eight one by one.
      {
        const int r = 31, groups = std::max(1, queries / 8);
        Row row{Human(n), data,       "fresh x8 (SearchMany)",
                r,        {},         0,
                0,        brute8.qps, brute8.qps,
                0,        0};
        auto group = [&](int i) {
          return absl::MakeConstSpan(fresh).subspan(8 * i, 8);
        };
        row.mih = TimeQueries(
            groups, [&](int i) { return mih->SearchMany(group(i), r).size(); });
        const int checked = std::max(1, std::min(groups, recall_queries / 8));
        size_t want_hits = 0, got_hits = 0;
        for (int i = 0; i < checked; ++i) {
          const std::vector<IndexHit> want = brute->SearchMany(group(i), r);
          const std::vector<IndexHit> got = mih->SearchMany(group(i), r);
          want_hits += want.size();
          for (const IndexHit& h : want)
            got_hits += std::count(got.begin(), got.end(), h);
          if (got != want) ++row.mismatched;
        }
        row.recall =
            want_hits == 0 ? 1.0 : static_cast<double>(got_hits) / want_hits;
#if HW_HAVE_FAISS
        if (faiss != nullptr) {
          const Timing ft =
              TimeQueries(std::max(1, faiss_queries / 8), [&](int i) {
                size_t hits = 0;
                for (const PdqHash& q : group(i))
                  hits += faiss->RangeSearch(q, r).size();
                return hits;
              });
          row.faiss_qps = ft.qps;
          row.faiss_recall = 1;  // checked per query above
        }
#endif
        rows.push_back(row);
      }
#if HW_HAVE_FAISS
      faiss.reset();
#endif
      brute.reset();

      // Live updates: a writer thread upserts new ids and removes old ones at
      // live_rate writes/s while this thread searches (radius 31, fresh).
      if (live_seconds > 0) {
        sum.noise_max_us = NoiseFloorUs(std::min(live_seconds, 2.0));
        std::atomic<bool> stop{false};
        std::vector<double> write_lat;
        std::thread writer([&] {
          Rng rng{seed + 300};
          const auto start = Clock::now();
          for (size_t i = 0; !stop.load(); ++i) {
            const auto due =
                start + std::chrono::duration_cast<Clock::duration>(
                            std::chrono::duration<double>(i / live_rate));
            std::this_thread::sleep_until(due);
            const auto t0 = Clock::now();
            if (i % 4 == 3) {
              mih->Remove(entries[rng() % n].first);
            } else {
              mih->Upsert((uint64_t{5} << 56) | i, PdqLike(rng));
            }
            write_lat.push_back(Seconds(t0, Clock::now()) * 1e6);
          }
        });
        const auto start = Clock::now();
        std::vector<double> lat;
        // A search slower than 1 ms either waited inside the index or lost
        // its core to another thread (the writer, the merger, other
        // processes); the involuntary context switch count tells which.
        double max_unpreempted_us = 0;
        while (Seconds(start, Clock::now()) < live_seconds) {
          const long switches = InvoluntarySwitches();
          const auto t0 = Clock::now();
          mih->Search(fresh[lat.size() % fresh.size()], 31);
          lat.push_back(Seconds(t0, Clock::now()) * 1e6);
          if (InvoluntarySwitches() == switches) {
            max_unpreempted_us = std::max(max_unpreempted_us, lat.back());
            if (lat.back() > 2000) ++sum.live_slow_unpreempted;
          }
        }
        sum.live_max_unpreempted_us = max_unpreempted_us;
        const double elapsed = Seconds(start, Clock::now());
        stop = true;
        writer.join();
        sum.live.qps = lat.size() / elapsed;
        sum.live.p50_us = Percentile(lat, 0.5);
        sum.live.p99_us = Percentile(lat, 0.99);
        sum.live.max_us = *std::max_element(lat.begin(), lat.end());
        sum.live_writes = write_lat.size() / elapsed;
        sum.live_write_p99_us = Percentile(write_lat, 0.99);
        sum.live_write_max_us =
            *std::max_element(write_lat.begin(), write_lat.end());
      }
      sum.rss_mb = PeakRssMb();
      summaries.push_back(sum);
    }
  }

  std::printf(
      "| N | data | queries | r | MIH q/s | p50 us | p99 us | hits/q | recall "
      "| brute q/s (8/pass) | FAISS q/s | MIH/brute | MIH/FAISS |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const Row& r : rows) {
    const std::string recall =
        Fmt("%.2f%%", 100 * r.recall) +
        (r.mismatched ? " (" + std::to_string(r.mismatched) + " differ)" : "");
    std::string faiss = "n/a", faiss_ratio = "n/a";
    if (r.faiss_qps > 0) {
      faiss =
          Fmt("%.0f", r.faiss_qps) +
          (r.faiss_recall < 1 ? Fmt(" (recall %.1f%%)", 100 * r.faiss_recall)
                              : "");
      faiss_ratio = Fmt("%.0fx", r.mih.qps / r.faiss_qps);
    }
    std::printf(
        "| %s | %s | %s | %d | %.0f | %.0f | %.0f | %.2f | %s | %.0f (%.0f) | "
        "%s | %.0fx | %s |\n",
        r.n.c_str(), r.data.c_str(), r.queries.c_str(), r.radius, r.mih.qps,
        r.mih.p50_us, r.mih.p99_us, r.mih.mean_hits, recall.c_str(),
        r.brute_qps, r.brute8_qps, faiss.c_str(), r.mih.qps / r.brute_qps,
        faiss_ratio.c_str());
  }
  std::printf(
      "\n| N | data | MIH bytes/hash | brute bytes/hash | start-up: RocksDB "
      "open+scan / BulkLoad / total s | FAISS add s | live: writes/s, search "
      "q/s, p50/p99/max us, write p99/max us | peak RSS MB |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (const Summary& s : summaries) {
    const std::string start =
        s.have_startup ? Fmt("%.2f", s.startup.read_s) + " / " +
                             Fmt("%.2f", s.startup.build_s) + " / " +
                             Fmt("%.2f", s.startup.read_s + s.startup.build_s) +
                             Fmt(" (writing the DB: %.0f s)", s.startup.write_s)
                       : "BulkLoad " + Fmt("%.2f", s.startup.build_s);
    const std::string live =
        live_seconds > 0
            ? Fmt("%.0f", s.live_writes) + ", " + Fmt("%.0f", s.live.qps) +
                  ", " + Fmt("%.0f", s.live.p50_us) + "/" +
                  Fmt("%.0f", s.live.p99_us) + "/" +
                  Fmt("%.0f", s.live.max_us) +
                  Fmt(" (%.0f not preempted, ", s.live_max_unpreempted_us) +
                  Fmt("%.0f over 2 ms; ", s.live_slow_unpreempted) +
                  Fmt("noise floor %.0f)", s.noise_max_us) + ", " +
                  Fmt("%.0f", s.live_write_p99_us) + "/" +
                  Fmt("%.0f", s.live_write_max_us)
            : "skipped";
    std::printf(
        "| %s | %s | %.1f | %.1f | %s | %s | %s | %.0f |\n", s.n.c_str(),
        s.data.c_str(), s.mih_bytes, s.brute_bytes, start.c_str(),
        s.faiss_build_s > 0 ? Fmt("%.1f", s.faiss_build_s).c_str() : "n/a",
        live.c_str(), s.rss_mb);
  }
  return 0;
}
