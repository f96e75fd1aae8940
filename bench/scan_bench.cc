// scan_bench: a load generator for the gRPC service, end to end over a
// loopback connection (client and in-process server share this machine).
//
//  1. Starts the server (plaintext, temporary database on /dev/shm when it
//     exists) and loads --entries random PDQ hashes (PDQ-like: exactly 128
//     ones) into one bank, so every scan searches a realistic index.
//  2. Makes --images 512 px JPEGs from the corpus (libvips thumbnail,
//     quality 85; flipped and re-encoded variants when the corpus is small).
//  3. Baselines on the same images: `hashwatch hash --threads 2` itself
//     (the reference: the CLI binary next to this one, run over the images
//     written to disk) and HashImage with digests on 2 threads in-process.
//  4. Image scans: --streams concurrent ScanStreams, each sending one image
//     and waiting for its answer, for --seconds; scans/s and p50/p99; once
//     per server configuration in --configs (the server restarted on the
//     same database; each configuration scans content ids of its own, so
//     that none replays the records of an earlier one): plain (whole
//     picture only), recover (pictures recovered from borders and
//     canvases, scan.max_regions 6), dihedral (rotated copies for every
//     bank, the 1M list included: scan.dihedral), all (the shipped
//     defaults in use: recovery, and a bank of --confirmed hashes that
//     matches rotated copies by policy, as the bank of confirmed material
//     does), own (all, with --own-pictures generated pictures added as own
//     material to a further bank first, so that every scan also computes
//     and searches an own-material signature). The extra banks are deleted
//     after their row.
//  5. Hash-only scans: precomputed PDQ hashes over one connection and one
//     ScanStream, pipelined (up to --window requests in flight), for
//     --seconds; scans/s and p50/p99.
//
//   build/bin/scan_bench --corpus ../shared/corpus/base   # the default
//   build/bin/scan_bench --corpus testdata/pictures       # without ../shared
//   build/bin/scan_bench --entries 100000 --seconds 3        # quick
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <vips/vips.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "bench/synthetic.h"
#include "common/parallel_for.h"
#include "grpcpp/grpcpp.h"
#include "hashwatch/v1/scan.grpc.pb.h"
#include "matcher/hashes.h"
#include "matcher/pdq.h"
#include "review_api/auth.h"
#include "review_api/bank_convert.h"
#include "review_api/server.h"
#include "tests/bench/pictures.h"

namespace hashwatch {
namespace {

using Clock = std::chrono::steady_clock;
using bench::Percentile;
namespace v1 = ::hashwatch::v1;

std::string ToJpeg512(const std::string& path, bool flip, int quality) {
  VipsImage* thumb = nullptr;
  if (vips_thumbnail(path.c_str(), &thumb, 512, nullptr) != 0) return "";
  VipsImage* img = thumb;
  VipsImage* flipped = nullptr;
  if (flip &&
      vips_flip(thumb, &flipped, VIPS_DIRECTION_HORIZONTAL, nullptr) == 0)
    img = flipped;
  void* buf = nullptr;
  size_t len = 0;
  std::string out;
  if (vips_jpegsave_buffer(img, &buf, &len, "Q", quality, nullptr) == 0) {
    out.assign(static_cast<const char*>(buf), len);
    g_free(buf);
  }
  if (flipped) g_object_unref(flipped);
  g_object_unref(thumb);
  return out;
}

struct Figures {
  double per_second = 0, p50_ms = 0, p99_ms = 0;
  int64_t count = 0, errors = 0;
};

Figures HashOnlyBaseline(const std::vector<std::string>& images, int threads,
                         double seconds) {
  std::atomic<int64_t> done{0};
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(seconds));
  // One item per thread, each hashing until the measurement window closes.
  ParallelFor(threads, {.threads = threads}, [&](size_t t) {
    matcher::HashOptions options;
    for (size_t i = t; Clock::now() < end; i += threads) {
      auto h = matcher::HashImage(images[i % images.size()], options);
      if (h.ok()) done.fetch_add(1, std::memory_order_relaxed);
    }
  });
  const double elapsed =
      std::chrono::duration<double>(Clock::now() - start).count();
  return {.per_second = done / elapsed, .count = done};
}

// `label` goes into every content id: each configuration scans ids of its
// own, so none replays the record an earlier configuration left for the same
// id (a repeat answers from its record without matching, and would be
// counted as a fast scan).
Figures ImageScans(const std::shared_ptr<grpc::Channel>& channel,
                   const std::string& token, const std::string& label,
                   const std::vector<std::string>& images, int streams,
                   double seconds) {
  absl::Mutex mu;
  std::vector<double> latencies;
  std::atomic<int64_t> errors{0};
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(seconds));
  // One item per stream, each scanning until the measurement window closes.
  ParallelFor(streams, {.threads = streams}, [&](size_t s) {
    auto stub = v1::ScanService::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    auto stream = stub->ScanStream(&ctx);
    std::vector<double> mine;
    v1::ScanRequest req;
    v1::ScanResponse resp;
    for (size_t i = 0; Clock::now() < end; ++i) {
      req.set_content_id(absl::StrCat("img-", label, "-", s, "-", i));
      req.set_image(images[(i * streams + s) % images.size()]);
      const auto t0 = Clock::now();
      if (!stream->Write(req) || !stream->Read(&resp)) break;
      mine.push_back(
          std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      if (resp.has_error() || resp.verdict() == v1::VERDICT_UNSPECIFIED)
        ++errors;
    }
    stream->WritesDone();
    while (stream->Read(&resp)) {
    }
    stream->Finish();
    absl::MutexLock lock(&mu);
    latencies.insert(latencies.end(), mine.begin(), mine.end());
  });
  const double elapsed =
      std::chrono::duration<double>(Clock::now() - start).count();
  return {.per_second = latencies.size() / elapsed,
          .p50_ms = Percentile(latencies, 0.5),
          .p99_ms = Percentile(latencies, 0.99),
          .count = static_cast<int64_t>(latencies.size()),
          .errors = errors};
}

Figures HashScans(const std::shared_ptr<grpc::Channel>& channel,
                  const std::string& token, double seconds, int window) {
  auto stub = v1::ScanService::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + token);
  auto stream = stub->ScanStream(&ctx);
  bench::Rng rng{7};
  std::vector<std::string> queries(4096);
  for (std::string& q : queries) q = bench::PdqLike(rng).ToHex();

  absl::Mutex mu;
  int in_flight = 0;
  std::vector<Clock::time_point> sent;  // by request index
  sent.reserve(1 << 22);
  std::atomic<bool> stop{false};
  int64_t written = 0;
  std::thread writer([&] {
    v1::ScanRequest req;
    for (int64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
      {
        absl::MutexLock lock(&mu);
        auto room = [&] { return in_flight < window || stop.load(); };
        mu.Await(absl::Condition(&room));
        if (stop.load()) break;
        ++in_flight;
        sent.push_back(Clock::now());
      }
      req.set_content_id(absl::StrCat("h-", i));
      req.mutable_hashes()->set_pdq(queries[i % queries.size()]);
      req.mutable_hashes()->set_pdq_quality(90);
      if (!stream->Write(req)) break;
      ++written;
    }
    stream->WritesDone();
  });
  std::vector<double> latencies;
  int64_t errors = 0;
  v1::ScanResponse resp;
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  size_t received = 0;
  while (stream->Read(&resp)) {
    const auto now = Clock::now();
    {
      absl::MutexLock lock(&mu);
      latencies.push_back(
          std::chrono::duration<double, std::milli>(now - sent[received])
              .count());
      --in_flight;
    }
    ++received;
    if (resp.has_error()) ++errors;
    if (now >= end && !stop.load()) {
      absl::MutexLock lock(&mu);
      stop = true;
    }
  }
  writer.join();
  stream->Finish();
  const double elapsed =
      std::chrono::duration<double>(Clock::now() - start).count();
  return {.per_second = received / elapsed,
          .p50_ms = Percentile(latencies, 0.5),
          .p99_ms = Percentile(latencies, 0.99),
          .count = static_cast<int64_t>(received),
          .errors = errors};
}

// `hashwatch hash --threads 2` (the CLI, as the issue defines the
// reference) over the images written to `dir`, each file given `repeat`
// times; images/s including process start.
Figures CliBaseline(const std::string& hashwatch, const std::string& dir,
                    const std::vector<std::string>& images, double seconds) {
  std::vector<std::string> paths;
  for (size_t i = 0; i < images.size(); ++i) {
    const std::string path = absl::StrCat(dir, "/img-", i, ".jpg");
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) return {};
    std::fwrite(images[i].data(), 1, images[i].size(), f);
    std::fclose(f);
    paths.push_back(path);
  }
  // Aim for about `seconds` at ~1000 images/s.
  const int repeat =
      std::max(1, static_cast<int>(seconds * 1000 / images.size()));
  std::vector<std::string> args = {hashwatch, "hash", "--threads", "2"};
  for (int r = 0; r < repeat; ++r)
    args.insert(args.end(), paths.begin(), paths.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  const auto start = Clock::now();
  pid_t pid = 0;
  int status = 0;
  const int rc = posix_spawn(&pid, hashwatch.c_str(), &actions, nullptr,
                             argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "scan_bench: %s hash failed\n", hashwatch.c_str());
    return {};
  }
  const double elapsed =
      std::chrono::duration<double>(Clock::now() - start).count();
  const int64_t n = static_cast<int64_t>(repeat) * paths.size();
  return {.per_second = n / elapsed, .count = n};
}

// Banks `count` generated pictures (unrelated to the scanned ones) as own
// material in "bench-own", 50 per AddImages call.
// A bank like the bank of confirmed material: `count` PDQ hashes, rotated
// and mirrored copies matched by policy.
bool AddConfirmed(review_api::Engine& engine, int count) {
  v1::CreateBankRequest create;
  create.set_name("bench-confirmed");
  matcher::BankPolicy policy;
  policy.dihedral = true;
  review_api::ToProto(policy, create.mutable_policy());
  if (!engine.CreateBank("bench", create).ok()) return false;
  bench::Rng rng{7};
  bool sent = false;
  auto next = [&](v1::AddEntriesRequest* m) {
    if (sent) return false;
    sent = true;
    m->Clear();
    m->set_bank("bench-confirmed");
    for (int i = 0; i < count; ++i) {
      v1::NewEntry* e = m->add_entries();
      e->set_signal(v1::SIGNAL_TYPE_PDQ);
      e->set_value(bench::PdqLike(rng).ToHex());
    }
    return true;
  };
  auto r = engine.AddEntries("bench", next, [] { return false; });
  if (!r.ok()) {
    std::fprintf(stderr, "scan_bench: %s\n", r.status().ToString().c_str());
    return false;
  }
  return true;
}

bool DropBank(review_api::Engine& engine, const std::string& name) {
  v1::DeleteBankRequest drop;
  drop.set_name(name);
  return engine.DeleteBank("bench", drop).ok();
}

bool AddOwnPictures(review_api::Engine& engine, int count) {
  const auto t0 = Clock::now();
  v1::CreateBankRequest create;
  create.set_name("bench-own");
  if (!engine.CreateBank("bench", create).ok()) return false;
  int added = 0;
  for (int first = 0; first < count; first += 50) {
    v1::AddImagesRequest req;
    req.set_bank("bench-own");
    for (int i = first; i < count && i < first + 50; ++i) {
      v1::AddImagesRequest::Image* image = req.add_images();
      image->set_name(absl::StrCat("own-", i));
      image->set_content(
          hashwatch::testing::MakePicture(1'000'000 + i, 640, 480));
    }
    absl::StatusOr<v1::AddImagesResponse> r = engine.AddImages("bench", req);
    if (!r.ok()) {
      std::fprintf(stderr, "scan_bench: %s\n", r.status().ToString().c_str());
      return false;
    }
    added += r->added();
  }
  std::fprintf(
      stderr, "scan_bench: %d own-material pictures (of %d) in %.1f s\n", added,
      count, std::chrono::duration<double>(Clock::now() - t0).count());
  return true;
}

int Main(int argc, char** argv) {
  CLI::App app{"scan_bench: scans per second through the gRPC service"};
  std::string corpus = "../shared/corpus/base";
  int64_t entries = 1'000'000;
  int images_wanted = 240;
  int streams = 8;
  double seconds = 10;
  int window = 512;
  std::vector<std::string> configs = {"plain", "recover", "all"};
  int own_pictures = 1000;
  int confirmed = 1000;
  app.add_option("--corpus", corpus,
                 "Folder of JPEGs to make the 512 px images from");
  app.add_option("--entries", entries, "Random PDQ hashes stored in the bank")
      ->check(CLI::Range(int64_t{0}, int64_t{20'000'000}));
  app.add_option("--images", images_wanted, "Distinct 512 px JPEGs")
      ->check(CLI::Range(1, 100000));
  app.add_option("--streams", streams, "Concurrent streams for image scans")
      ->check(CLI::Range(1, 256));
  app.add_option("--seconds", seconds, "Length of each measurement")
      ->check(CLI::Range(0.5, 600.0));
  app.add_option("--window", window, "Hash-only requests in flight")
      ->check(CLI::Range(1, 65536));
  app.add_option("--configs", configs,
                 "Server configurations for image scans: plain, recover, "
                 "dihedral, all, own")
      ->delimiter(',')
      ->check(CLI::IsMember({"plain", "recover", "dihedral", "all", "own"}));
  app.add_option("--own-pictures", own_pictures,
                 "Generated pictures banked as own material for config own")
      ->check(CLI::Range(1, 100000));
  app.add_option("--confirmed", confirmed,
                 "PDQ hashes in the bank of confirmed material (rotated "
                 "copies matched) for configs all and own")
      ->check(CLI::Range(1, 1000000));
  CLI11_PARSE(app, argc, argv);
  if (VIPS_INIT(argv[0]) != 0) {
    std::fprintf(stderr, "scan_bench: cannot start libvips\n");
    return 1;
  }

  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(corpus, ec)) {
    const std::string ext = e.path().extension().string();
    if (ext == ".jpg" || ext == ".jpeg" || ext == ".png")
      files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::fprintf(stderr,
                 "scan_bench: no images in %s (pass --corpus DIR, a folder of "
                 "JPEG or PNG "
                 "pictures such as testdata/pictures)\n",
                 corpus.c_str());
    return 1;
  }
  std::vector<std::string> images;
  for (int variant = 0;
       static_cast<int>(images.size()) < images_wanted && variant < 8;
       ++variant) {
    for (const std::string& f : files) {
      if (static_cast<int>(images.size()) >= images_wanted) break;
      std::string jpeg = ToJpeg512(f, variant % 2 == 1, 85 - 5 * (variant / 2));
      if (!jpeg.empty()) images.push_back(std::move(jpeg));
    }
  }
  std::fprintf(stderr, "scan_bench: %zu images of 512 px\n", images.size());

  const std::string root =
      std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp";
  const std::string dir = absl::StrCat(root, "/scan_bench-", getpid());
  std::filesystem::create_directories(dir);
  review_api::ServerConfig config;
  config.db = dir;
  config.plaintext = true;
  config.listen = "127.0.0.1:0";
  std::string token;
  {
    auto tokens = review_api::TokenStore::Open(dir + "/tokens.json");
    if (!tokens.ok()) return 1;
    auto t = (*tokens)->Create("bench", review_api::Role::kAdmin, {});
    if (!t.ok()) return 1;
    token = *t;
  }
  // The server under one of --configs (the scan section only differs).
  auto start = [&](const std::string& name)
      -> absl::StatusOr<std::unique_ptr<review_api::Server>> {
    review_api::ServerConfig c = config;
    const bool all = name == "all" || name == "own";
    c.scan.max_regions = name == "recover" || all ? 6 : 0;
    c.scan.dihedral = name == "dihedral";
    return review_api::Server::Start(c, hashwatch::Clock::Real());
  };
  auto server = start("plain");
  if (!server.ok()) {
    std::fprintf(stderr, "scan_bench: %s\n",
                 server.status().ToString().c_str());
    return 1;
  }
  {
    const auto t0 = Clock::now();
    review_api::Engine& engine = (*server)->engine();
    v1::CreateBankRequest create;
    create.set_name("bench-list");
    // The default policy: no rotated copies, which the dihedral
    // configuration (the server's scan.dihedral) adds, so that plain is one
    // index search per picture.
    if (!engine.CreateBank("bench", create).ok()) return 1;
    bench::Rng rng{42};
    int64_t added = 0;
    // One AddEntries stream of 500,000-entry messages.
    auto next = [&](v1::AddEntriesRequest* m) {
      if (added == entries) return false;
      m->Clear();
      m->set_bank("bench-list");
      for (; added < entries && m->entries_size() < 500'000; ++added) {
        v1::NewEntry* e = m->add_entries();
        e->set_signal(v1::SIGNAL_TYPE_PDQ);
        e->set_value(bench::PdqLike(rng).ToHex());
        e->set_category("B");
        e->set_source("bench");
      }
      return true;
    };
    auto r = engine.AddEntries("bench", next, [] { return false; });
    if (!r.ok()) {
      std::fprintf(stderr, "scan_bench: %s\n", r.status().ToString().c_str());
      return 1;
    }
    std::fprintf(stderr, "scan_bench: loaded %lld hashes in %.1f s\n",
                 static_cast<long long>(entries),
                 std::chrono::duration<double>(Clock::now() - t0).count());
  }
  auto channel_to = [&](const review_api::Server& s) {
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", s.port()),
                               grpc::InsecureChannelCredentials());
  };

  std::fprintf(stderr, "scan_bench: hashing alone, 2 threads\n");
  const Figures baseline = HashOnlyBaseline(images, 2, seconds);
  const std::string hashwatch_bin =
      (std::filesystem::path(argv[0]).parent_path() / "hashwatch").string();
  std::fprintf(stderr, "scan_bench: %s hash --threads 2\n",
               hashwatch_bin.c_str());
  const Figures cli = std::filesystem::exists(hashwatch_bin)
                          ? CliBaseline(hashwatch_bin, dir, images, seconds)
                          : Figures{};
  std::fprintf(stderr, "scan_bench: hash-only scans, one stream\n");
  const Figures hash_scans =
      HashScans(channel_to(**server), token, seconds, window);
  std::vector<std::pair<std::string, Figures>> scans;
  for (const std::string& name : configs) {
    (*server)->Shutdown();
    server->reset();
    server = start(name);
    if (!server.ok()) {
      std::fprintf(stderr, "scan_bench: %s\n",
                   server.status().ToString().c_str());
      return 1;
    }
    const bool all = name == "all" || name == "own";
    if (all && !AddConfirmed((*server)->engine(), confirmed)) return 1;
    if (name == "own" && !AddOwnPictures((*server)->engine(), own_pictures))
      return 1;
    std::fprintf(stderr, "scan_bench: image scans (%s), %d streams\n",
                 name.c_str(), streams);
    scans.emplace_back(name, ImageScans(channel_to(**server), token,
                                        absl::StrCat(name, scans.size()),
                                        images, streams, seconds));
    if (all && !DropBank((*server)->engine(), "bench-confirmed")) return 1;
    if (name == "own" && !DropBank((*server)->engine(), "bench-own")) return 1;
  }
  (*server)->Shutdown();
  std::filesystem::remove_all(dir, ec);

  std::printf(
      "\nscan_bench: %lld stored PDQ hashes, %zu distinct 512 px JPEGs, %.0f s "
      "per row\n\n",
      static_cast<long long>(entries), images.size(), seconds);
  const double reference =
      cli.per_second > 0 ? cli.per_second : baseline.per_second;
  std::printf(
      "| workload | scans/s | p50 ms | p99 ms | scans | errors | vs `hashwatch "
      "hash --threads 2` |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  std::printf(
      "| `hashwatch hash --threads 2` (CLI) | %.0f | | | %lld | | 100%% |\n",
      cli.per_second, static_cast<long long>(cli.count));
  std::printf(
      "| hashing alone in-process (HashImage, 2 threads) | %.0f | | | %lld | | "
      "%.0f%% |\n",
      baseline.per_second, static_cast<long long>(baseline.count),
      100 * baseline.per_second / reference);
  const double plain_scans = scans.empty() || scans[0].first != "plain"
                                 ? 0
                                 : scans[0].second.per_second;
  for (const auto& [name, f] : scans) {
    std::printf(
        "| image scans (%s), %d streams | %.0f | %.2f | %.2f | %lld | %lld | "
        "%.0f%%%s |\n",
        name.c_str(), streams, f.per_second, f.p50_ms, f.p99_ms,
        static_cast<long long>(f.count), static_cast<long long>(f.errors),
        100 * f.per_second / reference,
        plain_scans > 0 && name != "plain"
            ? absl::StrFormat(" (%.0f%% of plain)",
                              100 * f.per_second / plain_scans)
                  .c_str()
            : "");
  }
  std::printf(
      "| hash-only scans, 1 stream, %d in flight | %.0f | %.2f | %.2f | %lld | "
      "%lld | |\n",
      window, hash_scans.per_second, hash_scans.p50_ms, hash_scans.p99_ms,
      static_cast<long long>(hash_scans.count),
      static_cast<long long>(hash_scans.errors));
  return 0;
}

}  // namespace
}  // namespace hashwatch

int main(int argc, char** argv) { return hashwatch::Main(argc, argv); }
