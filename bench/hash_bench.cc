// hash_bench: decode and hash throughput over a corpus folder (default
// ../shared/corpus, the workspace's optional data beside the repository;
// --corpus names another folder holding base/ and large/ JPEGs).
//
// Prints one table: for 12 MP JPEGs (large/), ~2 MP JPEGs (base/) and 512 px
// JPEGs (made from base/ at start-up), images per second on one core for
// decode-only (the floor no hasher can beat: the same decoder and shrink,
// stopping at the luminance buffer), PDQ in fast and compat mode, and the
// full `hashwatch hash` work (PDQ + MD5 + SHA-1 + SHA-256), and fast PDQ
// with picture recovery (matcher/regions.h), without and with the dihedral
// variants. Then the PDQ core alone on a 512x512 luminance buffer, thread
// scaling, and the peak resident memory of a process hashing one 12 MP JPEG
// (plain, and with recovery and dihedral variants on), after a table of
// JPEG decode time by picture size, shrunk on load against full size (where
// fast mode's shrink pays).
//
//   build/bin/hash_bench --corpus ../shared/corpus [--min-time 1.0]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vips/vips.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "common/parallel_for.h"
#include "matcher/decode.h"
#include "matcher/hashes.h"
#include "matcher/internal/jpeg_luma.h"
#include "matcher/pdq.h"

namespace {

using hashwatch::matcher::DecodeMode;
using hashwatch::matcher::HashOptions;
namespace fs = std::filesystem;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> LoadJpegs(const fs::path& dir) {
  std::vector<fs::path> paths;
  std::error_code
      ec;  // a missing folder lists nothing; main says which flag to pass
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".jpg") paths.push_back(e.path());
  }
  std::sort(paths.begin(), paths.end());
  std::vector<std::string> out;
  for (const auto& p : paths) out.push_back(ReadFile(p));
  return out;
}

// Appends `image` encoded as JPEG quality 90 to `out` (nothing on an
// encoder error) and releases it.
void AppendJpeg90(VipsImage* image, std::vector<std::string>* out) {
  void* buf = nullptr;
  size_t len = 0;
  if (vips_jpegsave_buffer(image, &buf, &len, "Q", 90, nullptr) == 0) {
    out->emplace_back(static_cast<char*>(buf), len);
    g_free(buf);
  }
  g_object_unref(image);
}

// JPEG re-encodes (quality 90) of the given images at exactly `width` x
// `height`.
std::vector<std::string> Resized(const std::vector<std::string>& images,
                                 int width, int height) {
  std::vector<std::string> out;
  for (const std::string& img : images) {
    VipsImage* thumb = nullptr;
    if (vips_thumbnail_buffer(const_cast<char*>(img.data()), img.size(), &thumb,
                              width, "height", height, "size", VIPS_SIZE_FORCE,
                              nullptr) != 0) {
      continue;
    }
    AppendJpeg90(thumb, &out);
  }
  return out;
}

// 512 px (long side) JPEG re-encodes of the given images, quality 90.
std::vector<std::string> MakeSmall(const std::vector<std::string>& images) {
  std::vector<std::string> out;
  for (const std::string& img : images) {
    VipsImage* thumb = nullptr;
    if (vips_thumbnail_buffer(const_cast<char*>(img.data()), img.size(), &thumb,
                              512, "height", 512, nullptr) != 0) {
      continue;
    }
    AppendJpeg90(thumb, &out);
  }
  return out;
}

// CPU seconds used by this process so far (all threads).
double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) +
         1e-9 * static_cast<double>(ts.tv_nsec);
}

// Runs `fn(image)` over the set repeatedly for at least min_time seconds of
// CPU time; returns images per CPU second. On a quiet machine that is the
// wall-clock rate of one core; on a busy one it stays close to it, where
// wall time would count the time other processes held the core.
double Throughput(const std::vector<std::string>& images, double min_time,
                  const std::function<void(const std::string&)>& fn) {
  for (const std::string& img : images) fn(img);  // warm-up
  size_t done = 0;
  const double start = CpuSeconds();
  double elapsed = 0;
  do {
    for (const std::string& img : images) fn(img);
    done += images.size();
    elapsed = CpuSeconds() - start;
  } while (elapsed < min_time);
  return done / elapsed;
}

// Same as Throughput with `threads` workers sharing the set.
double ThroughputThreads(const std::vector<std::string>& images,
                         double min_time, int threads,
                         const HashOptions& opts) {
  std::atomic<size_t> done{0};
  const auto start = std::chrono::steady_clock::now();
  // One item per thread, each hashing until the time is up.
  hashwatch::ParallelFor(threads, {.threads = threads}, [&](size_t t) {
    size_t i = t;
    while (
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count() < min_time) {
      auto h = hashwatch::matcher::HashImage(images[i % images.size()], opts);
      if (!h.ok()) std::abort();
      i += threads;
      done.fetch_add(1);
    }
  });
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return done.load() / elapsed;
}

// Peak resident memory (VmHWM, MB) of this process so far.
double SelfPeakRssMb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return -1;
}

// Peak RSS (MB) of a fresh process (this binary re-executed) that reads and
// hashes one file; "none" as mode only starts up and reads the file.
double ChildPeakRssMb(const char* self, const std::string& path,
                      const std::string& mode) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    execl(self, self, "--rss-child", path.c_str(), "--rss-mode", mode.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  char buf[64] = {};
  const ssize_t n = read(fds[0], buf, sizeof(buf) - 1);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return n > 0 ? std::atof(buf) : -1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"hash_bench: decode and hash throughput"};
  std::string corpus = "../shared/corpus";
  double min_time = 1.0;
  app.add_option("--corpus", corpus, "Corpus folder with base/ and large/");
  app.add_option("--min-time", min_time, "Seconds per measurement");
  std::string rss_child, rss_mode = "fast";
  app.add_option("--rss-child", rss_child)->group("");  // internal
  app.add_option("--rss-mode", rss_mode)->group("");    // internal
  CLI11_PARSE(app, argc, argv);
  if (!rss_child.empty()) {
    const std::string bytes = ReadFile(rss_child);
    HashOptions opts;
    if (rss_mode == "compat") opts.decode.mode = DecodeMode::kCompat;
    if (rss_mode == "recover") opts.recover = opts.dihedral = true;
    if (rss_mode != "none" && !hashwatch::matcher::HashImage(bytes, opts).ok())
      return 1;
    std::printf("%.2f\n", SelfPeakRssMb());
    return 0;
  }
  if (VIPS_INIT(argv[0]) != 0) return 1;

  struct Set {
    std::string name;
    std::vector<std::string> images;
  };
  std::vector<Set> sets;
  sets.push_back(
      {"12 MP JPEG (large/)", LoadJpegs(fs::path(corpus) / "large")});
  sets.push_back({"~2 MP JPEG (base/)", LoadJpegs(fs::path(corpus) / "base")});
  sets.push_back({"512 px JPEG (from base/)", MakeSmall(sets[1].images)});
  for (const Set& s : sets) {
    if (s.images.empty()) {
      std::fprintf(stderr,
                   "hash_bench: no images for %s under %s (pass --corpus DIR, "
                   "a folder holding "
                   "base/ and large/ JPEGs)\n",
                   s.name.c_str(), corpus.c_str());
      return 1;
    }
  }

  HashOptions fast_pdq;
  fast_pdq.digests = false;
  HashOptions compat_pdq = fast_pdq;
  compat_pdq.decode.mode = DecodeMode::kCompat;
  HashOptions fast_recover = fast_pdq;
  fast_recover.recover = true;
  HashOptions fast_recover_dihedral = fast_recover;
  fast_recover_dihedral.dihedral = true;
  HashOptions fast_all;
  HashOptions compat_all;
  compat_all.decode.mode = DecodeMode::kCompat;

  std::printf(
      "hash_bench: images per CPU second on one core (CPU ms/image); min "
      "%.1f s per cell\n\n",
      min_time);
  std::printf(
      "| set | decode-only fast | fast PDQ | fast/floor | decode-only compat | "
      "compat PDQ | fast PDQ+MD5+SHA1+SHA256 | fast PDQ + recovery | "
      "fast PDQ + recovery + dihedral |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  for (const Set& s : sets) {
    hashwatch::matcher::Decoder decoder;
    hashwatch::matcher::LumaImage luma;
    auto decode_only = [&](const HashOptions& o) {
      return Throughput(s.images, min_time, [&](const std::string& img) {
        if (!decoder.DecodeLuma(img, o.decode, &luma).ok()) std::abort();
      });
    };
    auto hash = [&](const HashOptions& o) {
      return Throughput(s.images, min_time, [&](const std::string& img) {
        if (!hashwatch::matcher::HashImage(img, o).ok()) std::abort();
      });
    };
    const double df = decode_only(fast_pdq);
    const double hf = hash(fast_pdq);
    const double dc = decode_only(compat_pdq);
    const double hc = hash(compat_pdq);
    const double ha = hash(fast_all);
    const double hr = hash(fast_recover);
    const double hrd = hash(fast_recover_dihedral);
    auto cell = [](double ips) {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%.0f (%.2f)", ips, 1000.0 / ips);
      return std::string(buf);
    };
    std::printf("| %s | %s | %s | %.0f%% | %s | %s | %s | %s | %s |\n",
                s.name.c_str(), cell(df).c_str(), cell(hf).c_str(),
                100.0 * hf / df, cell(dc).c_str(), cell(hc).c_str(),
                cell(ha).c_str(), cell(hr).c_str(), cell(hrd).c_str());
    std::fflush(stdout);
  }

  // Where shrink-on-load pays: JPEG decode time by size, shrunk at the
  // smallest M/8 that keeps 512 px (min_fast_shrink 1) against full size.
  {
    std::printf(
        "\nJPEG decode by size (4:3, from large/, quality 90), ms/image: "
        "shrunk on load at M/8 vs full size; the default fast rule "
        "(min_fast_shrink %d) decodes at\n\n",
        hashwatch::matcher::DecodeOptions().min_fast_shrink);
    std::printf(
        "| long side | M/8 | shrunk | full | shrunk/full | default "
        "fast |\n|---|---|---|---|---|---|\n");
    for (int side : {640, 768, 900, 1024, 1280, 1600, 2048, 3000, 4000}) {
      const int w = side, h = side * 3 / 4;
      const std::vector<std::string> images = Resized(sets[0].images, w, h);
      hashwatch::matcher::DecodeOptions any, full, by_default;
      any.min_fast_shrink = 1;
      full.mode = DecodeMode::kCompat;
      hashwatch::matcher::Decoder decoder;
      hashwatch::matcher::LumaImage luma;
      auto ms = [&](const hashwatch::matcher::DecodeOptions& o) {
        return 1000.0 /
               Throughput(images, min_time / 2, [&](const std::string& img) {
                 if (!decoder.DecodeLuma(img, o, &luma).ok()) std::abort();
               });
      };
      const double shrunk = ms(any), whole = ms(full);
      const int m = hashwatch::matcher::internal::JpegScaleNumerator(w, h, any);
      const int d =
          hashwatch::matcher::internal::JpegScaleNumerator(w, h, by_default);
      const std::string at = d == 8 ? "full size" : std::to_string(d) + "/8";
      std::printf("| %d x %d | %d/8 | %.2f | %.2f | %.0f%% | %s |\n", w, h, m,
                  shrunk, whole, 100.0 * shrunk / whole, at.c_str());
      std::fflush(stdout);
    }
  }

  // The PDQ core alone: 512x512 luminance -> hash + quality.
  {
    hashwatch::matcher::PdqHasher hasher;
    std::vector<float> src(512 * 512), work(512 * 512);
    uint32_t x = 12345;
    for (float& v : src) {
      x = x * 1664525u + 1013904223u;
      v = static_cast<float>(x >> 24);
    }
    size_t n = 0;
    const auto start = std::chrono::steady_clock::now();
    double elapsed = 0;
    do {
      work = src;
      auto r = hasher.Hash(absl::MakeSpan(work), 512, 512, false);
      if (r.quality < 0) std::abort();
      ++n;
      elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                              start)
                    .count();
    } while (elapsed < min_time);
    std::printf("\nPDQ core, 512x512 luminance -> hash + quality: %.3f ms\n",
                1000.0 * elapsed / n);
    n = 0;
    const auto start2 = std::chrono::steady_clock::now();
    do {
      work = src;
      auto r = hasher.Hash(absl::MakeSpan(work), 512, 512, true);
      if (r.quality < 0) std::abort();
      ++n;
      elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                              start2)
                    .count();
    } while (elapsed < min_time);
    std::printf("PDQ core with the eight dihedral variants: %.3f ms\n",
                1000.0 * elapsed / n);
  }

  // Thread scaling, fast mode with digests (what `hashwatch hash` does).
  {
    std::vector<std::string> mixed = sets[0].images;
    mixed.insert(mixed.end(), sets[1].images.begin(), sets[1].images.end());
    const int cores = hashwatch::ResolveThreadCount(0);
    const double one = ThroughputThreads(mixed, min_time, 1, fast_all);
    const double all = ThroughputThreads(mixed, min_time, cores, fast_all);
    std::printf(
        "\nThreads (large/ + base/, fast, all digests): 1 thread %.0f img/s, "
        "%d threads %.0f img/s, speed-up %.2fx\n",
        one, cores, all, all / one);
  }

  // Peak resident memory of a fresh process hashing one 12 MP JPEG.
  {
    std::vector<fs::path> large;
    for (const auto& e : fs::directory_iterator(fs::path(corpus) / "large")) {
      if (e.path().extension() == ".jpg") large.push_back(e.path());
    }
    double base = 0, fast_peak = 0, compat_peak = 0, recover_peak = 0;
    for (const fs::path& p : large) {
      base = std::max(base, ChildPeakRssMb("/proc/self/exe", p, "none"));
      fast_peak =
          std::max(fast_peak, ChildPeakRssMb("/proc/self/exe", p, "fast"));
      compat_peak =
          std::max(compat_peak, ChildPeakRssMb("/proc/self/exe", p, "compat"));
      recover_peak = std::max(recover_peak,
                              ChildPeakRssMb("/proc/self/exe", p, "recover"));
    }
    std::printf(
        "\nPeak RSS of a process hashing one 12 MP JPEG (worst of large/): "
        "fast %.1f MB, compat %.1f MB, fast with recovery and dihedral "
        "variants %.1f MB (same process reading the file only: %.1f MB)\n",
        fast_peak, compat_peak, recover_peak, base);
  }
  return 0;
}
