// regions_probe: how far each copy in an evaluation set (hashwatch-bench
// evalset) lands from its known picture, over the whole picture alone and
// with the regions FindRegions proposes; and how close any copy comes to a
// known picture that is not its own (a false match).
//
//   regions_probe --set DIR [--radius 31]
//
// Prints one row per transform: copies, recall at the radius for the whole
// picture and with regions, mean regions per copy, and the smallest
// distance to a wrong known picture (whole, regions).
#include <vips/vips.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
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
double find_seconds = 0, hash_seconds = 0, whole_seconds = 0;
int found_images = 0;

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t)
      .count();
}
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

bool HashFile(const fs::path& p, bool regions, Hashed* out) {
  thread_local Decoder decoder;
  thread_local PdqHasher hasher;
  LumaImage luma;
  if (!decoder.DecodeLuma(Slurp(p), DecodeOptions(), &luma).ok()) return false;
  out->regions.clear();
  std::vector<float> buf;
  if (regions) {
    auto t0 = std::chrono::steady_clock::now();
    RegionSearch found = FindRegions(luma.pixels, luma.width, luma.height);
    find_seconds += Since(t0);
    ++found_images;
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
      auto t1 = std::chrono::steady_clock::now();
      CopyRegion(luma.pixels, luma.width, r, &buf);
      out->regions.push_back(
          hasher.Hash(absl::MakeSpan(buf), r.width, r.height, false).hash);
      hash_seconds += Since(t1);
    }
  }
  auto t2 = std::chrono::steady_clock::now();
  out->whole =
      hasher.Hash(absl::MakeSpan(luma.pixels), luma.width, luma.height, false)
          .hash;
  if (regions) whole_seconds += Since(t2);
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
  CLI11_PARSE(app, argc, argv);
  verbose_regions = verbose;

  std::map<std::string, PdqHash> known;
  for (const auto& e : fs::directory_iterator(fs::path(set) / "known")) {
    Hashed h;
    if (HashFile(e.path(), false, &h))
      known[e.path().stem().string()] = h.whole;
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
    if (!HashFile(e.path(), true, &h)) continue;
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
  std::printf(
      "per image: find %.2f ms, hash regions %.2f ms, hash whole "
      "%.2f ms\n",
      1e3 * find_seconds / found_images, 1e3 * hash_seconds / found_images,
      1e3 * whole_seconds / found_images);
  return 0;
}
