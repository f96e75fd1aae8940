// regions_probe: how far each copy in an evaluation set (hashwatch-bench
// evalset) lands from its known picture, over the whole picture alone and
// with the regions FindRegions proposes; and how close any copy comes to a
// known picture that is not its own (a false match).
//
//   regions_probe --set DIR [--radius 31] [--repeat N]
//
// Prints one row per transform: copies, recall at the radius for the whole
// picture and with regions, mean regions per copy, and the smallest
// distance to a wrong known picture (whole, regions); then how many
// regions the known pictures themselves get (plain pictures, the usual
// scan traffic: every region there is a hash and a search for nothing), and
// the CPU time per picture of FindRegions and of the region hashes, for the
// known pictures and for the copies.
#include <vips/vips.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "matcher/decode.h"
#include "matcher/pdq.h"
#include "matcher/regions.h"

namespace fs = std::filesystem;
using namespace hashwatch::matcher;

namespace {

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Hashed {
  PdqHash whole;
  std::vector<PdqHash> regions;
};

bool verbose_regions = false;
int find_repeat = 1;

// Time spent per kind of picture (known pictures, copies).
struct Timing {
  double find = 0, hash = 0, whole = 0;
  int images = 0, regions = 0;
};

// CPU seconds of the whole process (every thread, so work a library hands
// to its own threads counts too); steadier than wall time on a busy
// machine.
double CpuNow() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) +
         1e-9 * static_cast<double>(ts.tv_nsec);
}
double Since(double t) { return CpuNow() - t; }
std::string dump_dir;

// Writes the luminance with the candidates outlined to dump_dir/NAME.png.
void Dump(const fs::path& p, const LumaImage& luma,
          const std::vector<Region>& regions) {
  std::vector<uint8_t> px(luma.pixels.size());
  for (size_t i = 0; i < px.size(); ++i)
    px[i] = static_cast<uint8_t>(luma.pixels[i]);
  for (const Region& r : regions) {
    const uint8_t ink = r.kind == RegionKind::kUnbordered ? 255 : 0;
    for (int x = r.x; x < r.x + r.width; ++x) {
      px[static_cast<size_t>(r.y) * luma.width + x] = ink;
      px[static_cast<size_t>(r.y + r.height - 1) * luma.width + x] = ink;
    }
    for (int y = r.y; y < r.y + r.height; ++y) {
      px[static_cast<size_t>(y) * luma.width + r.x] = ink;
      px[static_cast<size_t>(y) * luma.width + r.x + r.width - 1] = ink;
    }
  }
  VipsImage* img = vips_image_new_from_memory_copy(
      px.data(), px.size(), luma.width, luma.height, 1, VIPS_FORMAT_UCHAR);
  const std::string out = dump_dir + "/" + p.stem().string() + ".png";
  vips_pngsave(img, out.c_str(), nullptr);
  g_object_unref(img);
}

// Hashes `p` whole and, with `timing`, its regions, timing both.
bool HashFile(const fs::path& p, Timing* timing, Hashed* out) {
  thread_local Decoder decoder;
  thread_local PdqHasher hasher;
  LumaImage luma;
  if (!decoder.DecodeLuma(Slurp(p), DecodeOptions(), &luma).ok()) return false;
  out->regions.clear();
  std::vector<float> buf;
  if (timing != nullptr) {
    auto t0 = CpuNow();
    RegionSearch found;
    for (int i = 0; i < find_repeat; ++i)
      found = FindRegions(luma.pixels, luma.width, luma.height);
    timing->find += Since(t0) / find_repeat;
    ++timing->images;
    timing->regions += static_cast<int>(found.regions.size());
    if (verbose_regions) {
      std::printf("%s %dx%d:", p.filename().c_str(), luma.width, luma.height);
      for (const Region& r : found.regions)
        std::printf(" [%s %d,%d %dx%d]",
                    r.kind == RegionKind::kUnbordered ? "U" : "R", r.x, r.y,
                    r.width, r.height);
      for (const std::string& n : found.notes) std::printf(" (%s)", n.c_str());
    }
    if (!dump_dir.empty()) Dump(p, luma, found.regions);
    for (const Region& r : found.regions) {
      auto t1 = CpuNow();
      CopyRegion(luma.pixels, luma.width, r, &buf);
      out->regions.push_back(
          hasher.Hash(absl::MakeSpan(buf), r.width, r.height, false).hash);
      timing->hash += Since(t1);
    }
  }
  auto t2 = CpuNow();
  out->whole =
      hasher.Hash(absl::MakeSpan(luma.pixels), luma.width, luma.height, false)
          .hash;
  if (timing != nullptr) timing->whole += Since(t2);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"regions_probe"};
  std::string set;
  int radius = 31;
  bool verbose = false;
  app.add_option("--set", set, "evaluation set folder")->required();
  app.add_flag("--verbose", verbose, "one line per copy");
  app.add_option("--dump", dump_dir, "write outlined PNGs here");
  app.add_option("--radius", radius, "match radius");
  app.add_option("--repeat", find_repeat,
                 "time FindRegions over this many calls a picture")
      ->check(CLI::Range(1, 1000));
  CLI11_PARSE(app, argc, argv);
  verbose_regions = verbose;

  std::map<std::string, PdqHash> known;
  Timing plain, copies;
  for (const auto& e : fs::directory_iterator(fs::path(set) / "known")) {
    Hashed h;
    if (HashFile(e.path(), &plain, &h))
      known[e.path().stem().string()] = h.whole;
    if (verbose) std::printf("\n");
  }
  struct Row {
    int n = 0, whole = 0, with = 0, regions = 0;
    int wrong_whole = 256, wrong_with = 256;
  };
  std::map<std::string, Row> rows;
  for (const auto& e : fs::directory_iterator(fs::path(set) / "copies")) {
    const std::string stem = e.path().stem().string();
    const size_t sep = stem.find("__");
    if (sep == std::string::npos) continue;
    auto k = known.find(stem.substr(0, sep));
    if (k == known.end()) continue;
    Hashed h;
    if (!HashFile(e.path(), &copies, &h)) continue;
    Row& row = rows[stem.substr(sep + 2)];
    ++row.n;
    row.regions += static_cast<int>(h.regions.size());
    int best = HammingDistance(h.whole, k->second);
    row.whole += best <= radius;
    for (const PdqHash& r : h.regions)
      best = std::min(best, HammingDistance(r, k->second));
    row.with += best <= radius;
    if (verbose) std::printf(" -> best %d\n", best);
    for (const auto& [name, hash] : known) {
      if (name == k->first) continue;
      row.wrong_whole =
          std::min(row.wrong_whole, HammingDistance(h.whole, hash));
      for (const PdqHash& r : h.regions)
        row.wrong_with = std::min(row.wrong_with, HammingDistance(r, hash));
    }
  }
  std::printf("%-28s %5s %8s %8s %8s %11s %11s\n", "transform", "n", "whole",
              "regions", "per-copy", "wrong-whole", "wrong-regs");
  for (const auto& [name, r] : rows) {
    std::printf("%-28s %5d %7.1f%% %7.1f%% %8.2f %11d %11d\n", name.c_str(),
                r.n, 100.0 * r.whole / r.n, 100.0 * r.with / r.n,
                static_cast<double>(r.regions) / r.n, r.wrong_whole,
                r.wrong_with);
  }
  std::printf("%-28s %5d %8s %8s %8.2f\n", "(known pictures, plain)",
              plain.images, "", "",
              static_cast<double>(plain.regions) / std::max(1, plain.images));
  for (const auto& [name, t] :
       {std::pair{"known pictures", plain}, std::pair{"copies", copies}}) {
    const int n = std::max(1, t.images);
    std::printf(
        "per image, %s: find %.3f ms, hash regions %.3f ms, hash whole "
        "%.3f ms\n",
        name, 1e3 * t.find / n, 1e3 * t.hash / n, 1e3 * t.whole / n);
  }
  return 0;
}
