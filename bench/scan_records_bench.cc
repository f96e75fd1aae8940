// scan_records_bench: what ScanRecords::PurgeExpired costs with many records
// stored (the server calls it once a minute).
//
// Fills a fresh database with --records records through ScanRecords::Put
// (content ids of 64 hex digits like a SHA-256, answers of 100 bytes,
// sync=false, a FakeClock): --expiring-percent of them, spread evenly,
// expire at T, the rest 24 h later. Then flushes, waits for RocksDB's
// compactions to finish, and measures, on the reopened store, the process
// CPU time (all threads), this thread's CPU time and the wall time of
//   (a) PurgeExpired before T (nothing expired),
//   (b) PurgeExpired at T (the expiring records), with the count purged,
//   (c) PurgeExpired right after (nothing left).
// --old-pass also times what PurgeExpired did before the expiry index: a
// full scan of the records reading every value, before T, and at T counting
// (not deleting) what has expired.
//
//   build/bin/scan_records_bench [--records 10000000] [--expiring-percent 1]
//                                [--dir DIR] [--old-pass]
#include <stdlib.h>
#include <time.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/base/internal/endian.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "bench/work_dir.h"
#include "common/clock.h"
#include "review_api/scan_records.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"

namespace {

namespace fs = std::filesystem;
using hashwatch::FakeClock;
using hashwatch::review_api::ScanRecords;

double Now(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct Cost {
  double process_cpu_s = 0;  // all threads, RocksDB's background ones too
  double thread_cpu_s = 0;   // the calling thread only
  double wall_s = 0;
};

template <typename F>
Cost Measure(F&& f) {
  const double p0 = Now(CLOCK_PROCESS_CPUTIME_ID);
  const double t0 = Now(CLOCK_THREAD_CPUTIME_ID);
  const double w0 = Now(CLOCK_MONOTONIC);
  f();
  return {Now(CLOCK_PROCESS_CPUTIME_ID) - p0, Now(CLOCK_THREAD_CPUTIME_ID) - t0,
          Now(CLOCK_MONOTONIC) - w0};
}

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
  return x ^ (x >> 31);
}

// 64 hex digits, random-looking: a SHA-256-like content id.
std::string ContentId(uint64_t i) {
  std::string id;
  id.reserve(64);
  for (uint64_t k = 0; k < 4; ++k) {
    absl::StrAppend(&id, absl::Hex(SplitMix64(i * 4 + k), absl::kZeroPad16));
  }
  return id;
}

// 100 bytes, like a serialized NO_MATCH answer: mostly fixed, some varying.
std::string Answer(uint64_t i) {
  std::string a =
      "\x08\x01\x12\x08NO_MATCH\x1a\x10no hash matched\x22\x08proactive";
  while (a.size() < 100)
    absl::StrAppend(&a, absl::Hex(SplitMix64(~i + a.size())));
  a.resize(100);
  return a;
}

uint64_t DirBytes(const fs::path& dir) {
  uint64_t total = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

void Die(const std::string& what) {
  std::fprintf(stderr, "scan_records_bench: %s\n", what.c_str());
  std::exit(1);
}

// The database opened with RocksDB directly (ScanRecords closed): to flush
// and wait for compactions, and for the old-pass scans.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    rocksdb::Options options;
    rocksdb::BlockBasedTableOptions table;  // as ScanRecords' records family
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    rocksdb::ColumnFamilyOptions records;
    records.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
        {rocksdb::kDefaultColumnFamilyName, records},
        {"reveal", {}},
        {"expiry", {}},
        {"meta", {}}};
    rocksdb::DB* raw = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(options, path, cfs, &handles_, &raw);
    if (!s.ok()) Die("open " + path + ": " + s.ToString());
    db_.reset(raw);
  }
  ~RawDb() {
    for (auto* h : handles_)
      db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    db_->Close().PermitUncheckedError();
  }

  // Flushes every memtable and waits until no flush or compaction is
  // pending or running; returns the seconds waited.
  double Settle() {
    const auto start = std::chrono::steady_clock::now();
    rocksdb::Status s = db_->Flush(rocksdb::FlushOptions(), handles_);
    if (!s.ok()) Die("flush: " + s.ToString());
    for (;;) {
      uint64_t pending = 0, running = 0, flushes = 0;
      db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kCompactionPending,
                                    &pending);
      db_->GetAggregatedIntProperty(
          rocksdb::DB::Properties::kNumRunningCompactions, &running);
      db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kNumRunningFlushes,
                                    &flushes);
      if (pending == 0 && running == 0 && flushes == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start)
        .count();
  }

  // What PurgeExpired did before the expiry index: every record read, its
  // value's expiry compared with `now_us`. Counts the expired; deletes none.
  int64_t OldPass(int64_t now_us) {
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), handles_[0]));
    int64_t expired = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      rocksdb::Slice v = it->value();
      if (v.size() < 8) continue;
      const int64_t expires =
          static_cast<int64_t>(absl::big_endian::Load64(v.data()));
      if (expires != INT64_MAX && now_us >= expires) ++expired;
    }
    if (!it->status().ok()) Die("old pass: " + it->status().ToString());
    return expired;
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

std::unique_ptr<ScanRecords> OpenRecords(const std::string& path,
                                         FakeClock* clock) {
  auto opened = ScanRecords::Open({.path = path}, clock);
  if (!opened.ok()) Die(opened.status().ToString());
  return std::move(*opened);
}

int64_t Purge(ScanRecords& records) {
  auto purged = records.PurgeExpired();
  if (!purged.ok()) Die("purge: " + purged.status().ToString());
  return *purged;
}

void Row(const char* what, int64_t purged, const Cost& c) {
  std::printf("| %s | %lld | %.3f ms | %.3f ms | %.3f ms |\n", what,
              static_cast<long long>(purged), c.process_cpu_s * 1e3,
              c.thread_cpu_s * 1e3, c.wall_s * 1e3);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"scan_records_bench: the cost of purging expired scan records"};
  int64_t n = 10'000'000;
  double percent = 1;
  std::string dir_flag;
  bool old_pass = false;
  app.add_option("--records", n, "Records stored before measuring");
  app.add_option("--expiring-percent", percent,
                 "Share of them that expire at T, percent");
  app.add_option(
      "--dir", dir_flag,
      "Database directory, must not exist yet; deleted at the end (default: a "
      "fresh directory under the system temp directory)");
  app.add_flag(
      "--old-pass", old_pass,
      "Also time the previous PurgeExpired: a full scan reading every value");
  CLI11_PARSE(app, argc, argv);
  if (n < 1 || percent < 0 || percent > 100) {
    Die("need --records >= 1 and --expiring-percent in [0, 100]");
  }

  const fs::path dir = hashwatch::bench::MakeWorkDir(
      "scan_records_bench", dir_flag, "hw_scan_records_bench");
  const std::string path = (dir / "scans").string();

  FakeClock clock;
  const absl::Time t0 = clock.Now();
  const absl::Time t = t0 + absl::Hours(1);
  const int64_t t_us = absl::ToUnixMicros(t);
  // Record i expires at T when floor((i + 1) * share) > floor(i * share).
  const int64_t share = std::llround(percent * 1000);  // per 100,000
  auto expiring = [share](int64_t i) {
    return (i + 1) * share / 100'000 > i * share / 100'000;
  };

  std::printf("scan_records_bench: %lld records, %g%% expiring at T, in %s\n\n",
              static_cast<long long>(n), percent, path.c_str());
  std::fflush(stdout);
  int64_t expected = 0;
  Cost fill;
  {
    auto records = OpenRecords(path, &clock);
    fill = Measure([&] {
      for (int64_t i = 0; i < n; ++i) {
        const bool at_t = expiring(i);
        expected += at_t;
        absl::Status s = records->Put(ContentId(i), Answer(i),
                                      at_t ? t : t + absl::Hours(24),
                                      /*sync=*/false);
        if (!s.ok()) Die("put: " + s.ToString());
        if (n >= 10 && (i + 1) % (n / 10) == 0) {
          std::fprintf(stderr, "  filled %lld\n",
                       static_cast<long long>(i + 1));
        }
      }
    });
  }
  double settle_s = 0;
  Cost old_before, old_at;
  int64_t old_before_count = 0, old_at_count = 0;
  {
    RawDb raw(path);
    settle_s = raw.Settle();
    if (old_pass) {
      old_before = Measure([&] { old_before_count = raw.OldPass(t_us - 1); });
      old_at = Measure([&] { old_at_count = raw.OldPass(t_us); });
    }
  }
  const uint64_t disk = DirBytes(path);

  auto records = OpenRecords(path, &clock);
  int64_t a = 0, b = 0, c = 0;
  clock.Set(t - absl::Microseconds(1));
  const Cost cost_a = Measure([&] { a = Purge(*records); });
  clock.Set(t);
  const Cost cost_b = Measure([&] { b = Purge(*records); });
  const Cost cost_c = Measure([&] { c = Purge(*records); });
  records.reset();

  std::printf(
      "fill: %.0f records/s (%.1f s, process CPU %.2f us/record); flush and "
      "compactions after it, waited for: %.1f s; database on disk: %.0f MB\n\n",
      n / fill.wall_s, fill.wall_s, fill.process_cpu_s * 1e6 / n, settle_s,
      disk / 1048576.0);
  std::printf(
      "| pass | records purged | process CPU | this thread's CPU | wall |\n");
  std::printf("|---|---|---|---|---|\n");
  Row("(a) nothing expired", a, cost_a);
  Row(absl::StrFormat("(b) at T: %g%% expired", percent).c_str(), b, cost_b);
  Row("(c) again right after", c, cost_c);
  if (old_pass) {
    Row("old: full scan, nothing expired", old_before_count, old_before);
    Row(absl::StrFormat("old: full scan at T (counts the %g%%, deletes none)",
                        percent)
            .c_str(),
        old_at_count, old_at);
  }
  if (b != expected || a != 0 || c != 0) {
    std::printf("\nUNEXPECTED: purged %lld / %lld / %lld, want 0 / %lld / 0\n",
                static_cast<long long>(a), static_cast<long long>(b),
                static_cast<long long>(c), static_cast<long long>(expected));
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return b == expected && a == 0 && c == 0 ? 0 : 1;
}
