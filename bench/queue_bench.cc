// queue_bench: throughput and latency of the durable review queue at depth.
//
// Fills a fresh queue (a temporary directory under /tmp) with --items items
// by durable EnqueueBatch calls of 100, waits for RocksDB's compactions of
// that bulk load to finish, then measures at that depth:
// durable enqueue in batches of 100, then lease+decide pairs per second and
// Lease latency with each --threads count of concurrent moderators in turn
// (closed loop: each leases and decides as fast as it can), then at each
// --rates pairs/s offered on a fixed schedule (open loop, latency counted
// from each pair's scheduled start), and the process's resident memory
// throughout. Each Lease and Decide is its own durable call; concurrent
// callers share WAL fsyncs. The
// disk's raw fsync cost is measured first, since it bounds every durable
// call. Welfare limits are off (one benchmark moderator leases thousands of
// items); items carry no preview bytes.
//
//   build/bin/queue_bench [--items 1000000] [--threads 1,16,32]
//                         [--rates 2500,5000] [--pairs 20000]
//                         [--block-cache-mb N]
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/clock.h"
#include "common/parallel_for.h"
#include "queue/review_queue.h"

namespace {

namespace fs = std::filesystem;
using namespace hashwatch::queue;
using Clock = std::chrono::steady_clock;
using hashwatch::ParallelForOptions;
using hashwatch::ParallelForWithWorker;
using hashwatch::ParallelWorkerCount;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// CPU seconds (user + system) this process has used, all threads.
double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec +
         u.ru_stime.tv_usec / 1e6;
}

// Resident memory (VmRSS) of this process, MB.
double RssMb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return -1;
}

// Bytes this process has caused to be written to disk (/proc/self/io).
double DiskWriteBytes() {
  std::ifstream io("/proc/self/io");
  std::string line;
  while (std::getline(io, line)) {
    if (line.rfind("write_bytes:", 0) == 0) return std::stod(line.substr(12));
  }
  return 0;
}

// Mean time of an fdatasync after a 200-byte append, in the bench directory.
double FsyncMicros(const fs::path& dir, int n) {
  const std::string path = (dir / "fsync_probe").string();
  const int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
  if (fd < 0) return -1;
  char buf[200] = {};
  const auto start = Clock::now();
  for (int i = 0; i < n; ++i) {
    if (write(fd, buf, sizeof(buf)) != sizeof(buf) || fdatasync(fd) != 0) break;
  }
  const double us = Seconds(start, Clock::now()) * 1e6 / n;
  close(fd);
  fs::remove(path);
  return us;
}

uint64_t DirBytes(const fs::path& dir) {
  uint64_t total = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

// A plausible item: 80% proactive, mixed categories, signals and matches.
EnqueueRequest MakeRequest(uint64_t n, std::mt19937& rng) {
  static const char* kCategories[] = {"A", "B", "C", "C", ""};
  static const char* kSignals[] = {"grooming", "livestream", "underage_account",
                                   "multiple_victims"};
  EnqueueRequest r;
  r.content_id = absl::StrCat("content-", n);
  r.lane = rng() % 5 == 0 ? "user_report" : "proactive";
  r.kind = rng() % 4 == 0 ? ItemKind::kNovel : ItemKind::kHashMatch;
  r.category = kCategories[rng() % 5];
  r.hashes.pdq = std::string(64, 'a');
  r.hashes.pdq_quality = 90;
  r.hashes.md5 = std::string(32, 'b');
  r.hashes.sha256 = std::string(64, 'c');
  if (r.kind == ItemKind::kHashMatch) {
    r.matches.push_back({.bank = "ncmec-pdq",
                         .entry_id = 0,
                         .signal = "pdq",
                         .hash = std::string(64, 'd'),
                         .distance = 10 + static_cast<int>(rng() % 22),
                         .category = r.category,
                         .source = "ref",
                         .auto_report_distance = 10,
                         .review_distance = 31});
  }
  r.context.uploader = absl::StrCat("acct-", rng() % 100000);
  r.context.ip = "192.0.2.1";
  r.context.classifier_score = (rng() % 100) / 100.0;
  if (rng() % 10 == 0) r.context.signals.push_back(kSignals[rng() % 4]);
  return r;
}

struct PairResult {
  double pairs_per_s = 0;
  double cpu_us_per_pair = 0;  // process CPU, background compaction included
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  double disk_kb_per_pair = 0;  // bytes this process had written to disk
};

// One moderator's lease+decide: Lease(me, 1), then confirm or reject it.
// Returns the milliseconds from `from` to the end of the Lease call.
double LeaseAndDecide(ReviewQueue& q, const std::string& me, bool confirm,
                      Clock::time_point from) {
  auto leased = q.Lease(me, 1);
  const double lease_ms = Seconds(from, Clock::now()) * 1e3;
  if (!leased.ok() || leased->empty()) {
    std::fprintf(
        stderr, "queue_bench: lease: %s\n",
        leased.ok() ? "queue empty" : leased.status().ToString().c_str());
    std::abort();
  }
  DecisionRequest d;
  d.kind = confirm ? DecisionKind::kConfirm : DecisionKind::kReject;
  d.category = "A";
  auto decided = q.Decide(me, leased->front().lease, d);
  if (!decided.ok()) {
    std::fprintf(stderr, "queue_bench: decide: %s\n",
                 decided.status().ToString().c_str());
    std::abort();
  }
  return lease_ms;
}

PairResult Summarise(std::vector<double> latencies, int pairs, double seconds,
                     double cpu_seconds, double disk_bytes) {
  PairResult r;
  r.disk_kb_per_pair = disk_bytes / 1024 / pairs;
  r.pairs_per_s = pairs / seconds;
  r.cpu_us_per_pair = cpu_seconds * 1e6 / pairs;
  std::sort(latencies.begin(), latencies.end());
  r.p50_ms = latencies[latencies.size() / 2];
  r.p99_ms = latencies[latencies.size() * 99 / 100];
  r.max_ms = latencies.back();
  return r;
}

// One moderator name per worker of a ParallelFor over `pairs` items.
std::vector<std::string> Moderators(const std::string& prefix, int pairs,
                                    const ParallelForOptions& options) {
  std::vector<std::string> names(ParallelWorkerCount(pairs, options));
  for (size_t w = 0; w < names.size(); ++w) names[w] = absl::StrCat(prefix, w);
  return names;
}

// The per-worker latency lists, one after another.
std::vector<double> Concat(const std::vector<std::vector<double>>& lists) {
  std::vector<double> all;
  for (const std::vector<double>& l : lists)
    all.insert(all.end(), l.begin(), l.end());
  return all;
}

// Closed loop: `threads` moderators each lease one item and decide it, as
// fast as they can, until `pairs` pairs are done in total. Latency: each
// Lease call.
PairResult LeaseDecide(ReviewQueue& q, int threads, int pairs) {
  const ParallelForOptions options{.threads = threads};
  const std::vector<std::string> names =
      Moderators("bench-mod-", pairs, options);
  std::vector<std::vector<double>> mine(names.size());
  const double cpu_start = CpuSeconds();
  const double disk_start = DiskWriteBytes();
  const auto start = Clock::now();
  ParallelForWithWorker(pairs, options, [&](int w, size_t) {
    mine[w].push_back(
        LeaseAndDecide(q, names[w], mine[w].size() % 2 == 0, Clock::now()));
  });
  return Summarise(Concat(mine), pairs, Seconds(start, Clock::now()),
                   CpuSeconds() - cpu_start, DiskWriteBytes() - disk_start);
}

// Open loop: pairs start on a fixed schedule of `rate` pairs a second,
// spread over `workers` moderators, whatever the queue's speed. Latency:
// from a pair's scheduled start to the end of its Lease, so time spent
// waiting for a free worker counts too.
PairResult LeaseDecideAtRate(ReviewQueue& q, int workers, int pairs,
                             double rate) {
  const ParallelForOptions options{.threads = workers};
  const std::vector<std::string> names =
      Moderators("bench-rate-", pairs, options);
  std::vector<std::vector<double>> mine(names.size());
  const double cpu_start = CpuSeconds();
  const double disk_start = DiskWriteBytes();
  const auto start = Clock::now() + std::chrono::milliseconds(10);
  ParallelForWithWorker(pairs, options, [&](int w, size_t i) {
    const auto scheduled = start + std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(i / rate));
    std::this_thread::sleep_until(scheduled);
    mine[w].push_back(LeaseAndDecide(q, names[w], i % 2 == 0, scheduled));
  });
  return Summarise(Concat(mine), pairs, Seconds(start, Clock::now()),
                   CpuSeconds() - cpu_start, DiskWriteBytes() - disk_start);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"queue_bench: durable review queue throughput at depth"};
  int64_t items = 1'000'000;
  std::vector<int> threads = {1, 16, 32};
  int pairs = 20'000;
  int enqueue_batches = 200;
  bool keep = false;
  bool sync = true;
  int64_t cache_mb = -1;
  int64_t write_buffer_mb = -1;
  std::vector<double> rates = {2500, 5000};
  int rate_workers = 64;
  app.add_option("--items", items, "Items queued before measuring");
  app.add_option("--threads", threads,
                 "Concurrent moderators, one lease+decide run per count "
                 "(comma-separated)")
      ->delimiter(',');
  app.add_option("--pairs", pairs, "Lease+decide pairs per run");
  app.add_option("--enqueue-batches", enqueue_batches,
                 "Batches of 100 measured at depth");
  app.add_flag("--keep", keep, "Keep the database directory");
  app.add_option("--rates", rates,
                 "Open-loop runs: pairs/s offered, one run per rate "
                 "(comma-separated; 0 for none)")
      ->delimiter(',');
  app.add_option("--rate-workers", rate_workers,
                 "Moderators sharing each open-loop run");
  app.add_option("--write-buffer-mb", write_buffer_mb,
                 "RocksDB memtables, MB in all (default: the queue's default)");
  app.add_option("--block-cache-mb", cache_mb,
                 "RocksDB block cache, MB (default: the queue's default)");
  app.add_flag("!--no-sync", sync,
               "Skip WAL fsyncs (CPU cost only; not durable)");
  CLI11_PARSE(app, argc, argv);

  std::erase(rates, 0.0);
  const int64_t runs = static_cast<int64_t>(threads.size() + rates.size());
  if (items < runs * pairs + 1000 || items < 100 || pairs < 1 ||
      threads.empty() ||
      *std::min_element(threads.begin(), threads.end()) < 1) {
    std::fprintf(stderr,
                 "queue_bench: need --items >= (number of --threads counts) * "
                 "--pairs + 1000 and positive counts\n");
    return 1;
  }
  const fs::path dir =
      fs::path("/tmp") / absl::StrCat("hw_queue_bench_", getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  const double fsync_us = FsyncMicros(dir, 500);

  QueueOptions options;
  options.path = (dir / "db").string();
  options.sync_writes = sync;
  if (write_buffer_mb > 0)
    options.write_buffer_bytes = static_cast<size_t>(write_buffer_mb) << 20;
  if (cache_mb >= 0)
    options.block_cache_bytes = static_cast<size_t>(cache_mb) << 20;
  options.welfare.max_items_per_hour = 0;
  options.welfare.max_items_per_shift = 0;
  options.welfare.break_after_items = 0;
  const double rss_before_open = RssMb();
  auto opened = ReviewQueue::Open(options, hashwatch::Clock::Real());
  if (!opened.ok()) {
    std::fprintf(stderr, "queue_bench: %s\n",
                 opened.status().ToString().c_str());
    return 1;
  }
  ReviewQueue& q = **opened;
  const double rss_empty = RssMb();

  std::mt19937 rng(42);
  uint64_t next = 0;
  auto enqueue_batch = [&] {
    std::vector<EnqueueRequest> batch;
    for (int i = 0; i < 100; ++i) batch.push_back(MakeRequest(next++, rng));
    auto r = q.EnqueueBatch(batch);
    if (!r.ok()) {
      std::fprintf(stderr, "queue_bench: enqueue: %s\n",
                   r.status().ToString().c_str());
      std::abort();
    }
  };

  std::printf(
      "queue_bench: %lld items, fsync %s, %s moderators, %d pairs per run, "
      "block cache %s\n\n",
      static_cast<long long>(items), sync ? "on" : "OFF",
      absl::StrJoin(threads, ",").c_str(), pairs,
      cache_mb < 0 ? "default" : absl::StrCat(cache_mb, " MB").c_str());
  std::fflush(stdout);
  std::vector<std::pair<int64_t, double>> rss_during;
  const double fill_cpu_start = CpuSeconds();
  const auto fill_start = Clock::now();
  while (static_cast<int64_t>(next) < items) {
    enqueue_batch();
    if (next % std::max<int64_t>(100, (items / 10) / 100 * 100) == 0) {
      rss_during.emplace_back(next, RssMb());
    }
  }
  const double fill_s = Seconds(fill_start, Clock::now());
  const double fill_cpu_us = (CpuSeconds() - fill_cpu_start) * 1e6 / items;
  const double rss_full = RssMb();
  // Measure a settled queue, not the compaction backlog of a fill far faster
  // than any real intake.
  const auto settle_start = Clock::now();
  if (const absl::Status settled = q.WaitForCompactions(absl::Minutes(10));
      !settled.ok()) {
    std::fprintf(stderr, "queue_bench: %s\n", settled.ToString().c_str());
    return 1;
  }
  const double settle_s = Seconds(settle_start, Clock::now());

  const auto enq_start = Clock::now();
  for (int b = 0; b < enqueue_batches; ++b) enqueue_batch();
  const double enq_per_s =
      enqueue_batches * 100 / Seconds(enq_start, Clock::now());

  std::vector<PairResult> pair_runs;
  std::vector<double> rss_runs;
  for (int t : threads) {
    pair_runs.push_back(LeaseDecide(q, t, pairs));
    rss_runs.push_back(RssMb());
  }
  std::vector<PairResult> rate_runs;
  for (double rate : rates) {
    rate_runs.push_back(LeaseDecideAtRate(q, rate_workers, pairs, rate));
    rss_runs.push_back(RssMb());
  }
  auto stats = q.Stats();
  const uint64_t disk = DirBytes(dir);
  const double fsync_end_us = FsyncMicros(dir, 500);

  std::printf("| measurement | result |\n|---|---|\n");
  std::printf(
      "| raw fdatasync of a 200 B append, this disk: at start / at end | "
      "%.3f / %.3f ms |\n",
      fsync_us / 1000, fsync_end_us / 1000);
  std::printf(
      "| durable enqueue, batches of 100, filling 0 -> %lld | %.0f items/s "
      "(%.1f s; CPU %.0f us/item) |\n",
      static_cast<long long>(items), items / fill_s, fill_s, fill_cpu_us);
  std::printf("| background compaction after filling, waited for | %.1f s |\n",
              settle_s);
  std::printf(
      "| durable enqueue, batches of 100, at depth %lld | %.0f items/s |\n",
      static_cast<long long>(items), enq_per_s);
  for (size_t i = 0; i < threads.size(); ++i) {
    const PairResult& r = pair_runs[i];
    std::printf(
        "| lease+decide, %d moderator%s | %.0f pairs/s (CPU %.0f us/pair, "
        "disk %.1f KB/pair); lease p50 / p99 / max %.3f / %.3f / %.3f ms |\n",
        threads[i], threads[i] == 1 ? "" : "s", r.pairs_per_s,
        r.cpu_us_per_pair, r.disk_kb_per_pair, r.p50_ms, r.p99_ms, r.max_ms);
  }
  for (size_t i = 0; i < rates.size(); ++i) {
    const PairResult& r = rate_runs[i];
    std::printf(
        "| lease+decide offered at %.0f pairs/s (open loop, %d moderators) | "
        "%.0f pairs/s done (CPU %.0f us/pair, disk %.1f KB/pair); lease p50 / "
        "p99 / max from scheduled start %.3f / %.3f / %.3f ms |\n",
        rates[i], rate_workers, r.pairs_per_s, r.cpu_us_per_pair,
        r.disk_kb_per_pair, r.p50_ms, r.p99_ms, r.max_ms);
  }
  std::printf(
      "| RSS: before open / opened empty / after filling / after each "
      "lease+decide run | %.0f / %.0f / %.0f / %s MB |\n",
      rss_before_open, rss_empty, rss_full,
      absl::StrJoin(rss_runs, " / ", [](std::string* out, double mb) {
        absl::StrAppend(out, static_cast<int>(mb + 0.5));
      }).c_str());
  std::printf("| database on disk at end | %.0f MB |\n", disk / 1048576.0);
  if (stats.ok()) {
    std::printf(
        "| queue at end: waiting / decided / oldest age | %lld / %lld / %.0f s "
        "|\n",
        static_cast<long long>(stats->waiting),
        static_cast<long long>(stats->decided),
        absl::ToDoubleSeconds(stats->oldest_age));
  }
  std::printf("\nRSS while filling (items: MB):");
  for (const auto& [n, mb] : rss_during)
    std::printf(" %lld: %.0f", static_cast<long long>(n), mb);
  std::printf("\n");
  opened->reset();
  if (!keep) fs::remove_all(dir);
  return 0;
}
