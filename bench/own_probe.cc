// own_probe: which own-material signature finds edited copies, measured on
// an evaluation set (hashwatch-bench evalset): ORB keypoints with RANSAC
// verification (matcher/own_signature.h), against PDQ over a fixed set of
// crops on both sides. docs/own-material.md has the results.
//
//   own_probe --set DIR [--distractors DIR] [--min-inliers 16] [--radius 31]
//             [--index-sizes 10000,100000]
//
// Prints, per transform: copies, recall of each method (ORB compared with
// every known picture, ORB through OwnSignatureIndex, PDQ crops, whole-
// picture PDQ), and the best score any copy reaches against a known picture
// that is not its own; then the same for the distractors (the set's and
// --distractors), per-picture times and sizes, and the index's cost.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "matcher/decode.h"
#include "matcher/own_signature.h"
#include "matcher/pdq.h"
#include "matcher/regions.h"
#include "opencv2/calib3d.hpp"
#include "opencv2/core.hpp"
#include "opencv2/features2d.hpp"
#include "opencv2/imgproc.hpp"

namespace fs = std::filesystem;
using namespace hashwatch::matcher;

namespace {

using Clock = std::chrono::steady_clock;
double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// PDQ over crops: the whole picture, the centre at 90%, 80% and 70%, the
// four corner crops at 80%, and the middle band without the top and bottom
// 15% (captions), in fractions of the decoded buffer.
constexpr double kCrops[][4] = {
    {0, 0, 1, 1},         {.05, .05, .95, .95}, {.1, .1, .9, .9},
    {.15, .15, .85, .85}, {0, 0, .8, .8},       {.2, 0, 1, .8},
    {0, .2, .8, 1},       {.2, .2, 1, 1},       {0, .15, 1, .85}};

// AKAZE (OpenCV; 486-bit MLDB descriptors) for comparison, from the scan's
// luminance in the picture's aspect ratio (512 px long side) like
// ComputeOwnSignature, matched and verified as VerifyOwnSignatures does.
struct Akaze {
  std::vector<cv::Point2f> points;
  cv::Mat descriptors;
  int width = 0, height = 0;
};
bool use_akaze = false;
// "Strong" verification, for a policy that lets local-feature matches
// auto-report: far above what look-alikes reach.
OwnMatchOptions strong_options;

Akaze AkazeOf(const LumaImage& luma) {
  Akaze out;
  cv::Mat f(luma.height, luma.width, CV_32F,
            const_cast<float*>(luma.pixels.data()));
  cv::Mat grey8, grey;
  f.convertTo(grey8, CV_8U);
  const double k = 512.0 / std::max(luma.source_width, luma.source_height);
  cv::resize(grey8, grey,
             cv::Size(std::max(1, static_cast<int>(luma.source_width * k)),
                      std::max(1, static_cast<int>(luma.source_height * k))),
             0, 0, cv::INTER_AREA);
  std::vector<cv::KeyPoint> kps;
  cv::Ptr<cv::AKAZE> akaze = cv::AKAZE::create();
  akaze->setThreshold(0.0005);
  akaze->detectAndCompute(grey, cv::noArray(), kps, out.descriptors);
  if (kps.size() > 256) {  // the strongest 256, like ORB's budget
    std::vector<int> order(kps.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
    std::sort(order.begin(), order.end(),
              [&](int a, int b) { return kps[a].response > kps[b].response; });
    order.resize(256);
    cv::Mat kept(256, out.descriptors.cols, out.descriptors.type());
    std::vector<cv::KeyPoint> kept_kps;
    for (int i = 0; i < 256; ++i) {
      out.descriptors.row(order[i]).copyTo(kept.row(i));
      kept_kps.push_back(kps[order[i]]);
    }
    out.descriptors = kept;
    kps = kept_kps;
  }
  for (const cv::KeyPoint& k : kps) out.points.push_back(k.pt);
  out.width = grey.cols;
  out.height = grey.rows;
  return out;
}

// Inliers of the similarity fitted to ratio-tested matches, or 0 when they
// fail the rules IsOwnMatch applies (6 central, spread 2).
int AkazeInliers(const Akaze& stored, const Akaze& query) {
  if (stored.points.size() < 3 || query.points.size() < 3) return 0;
  std::vector<std::vector<cv::DMatch>> knn;
  cv::BFMatcher(cv::NORM_HAMMING)
      .knnMatch(query.descriptors, stored.descriptors, knn, 2);
  std::vector<cv::Point2f> from, to;
  std::vector<int> used(stored.points.size(), 0);
  for (const auto& m : knn) {
    if (m.size() < 2 || m[0].distance >= 0.85 * m[1].distance) continue;
    if (used[m[0].trainIdx]++) continue;
    from.push_back(stored.points[m[0].trainIdx]);
    to.push_back(query.points[m[0].queryIdx]);
  }
  if (from.size() < 3) return 0;
  std::vector<uint8_t> inliers;
  cv::Mat t = cv::estimateAffinePartial2D(from, to, inliers, cv::RANSAC, 5.0,
                                          2000, 0.995, 10);
  if (t.empty()) return 0;
  int rows[4] = {}, cols[4] = {}, n = 0;
  for (size_t i = 0; i < inliers.size(); ++i) {
    if (!inliers[i]) continue;
    ++n;
    ++cols[std::clamp(static_cast<int>(from[i].x * 4 / stored.width), 0, 3)];
    ++rows[std::clamp(static_cast<int>(from[i].y * 4 / stored.height), 0, 3)];
  }
  int r = 0, c = 0;
  for (int i = 0; i < 4; ++i) {
    r += rows[i] >= 2;
    c += cols[i] >= 2;
  }
  int central = 0;
  for (size_t i = 0; i < inliers.size(); ++i) {
    const float cx = from[i].x / stored.width, cy = from[i].y / stored.height;
    central +=
        inliers[i] && cx >= 0.25f && cx <= 0.75f && cy >= 0.25f && cy <= 0.75f;
  }
  return std::min(r, c) >= 2 && central >= 6 ? n : 0;
}

struct Probed {
  Akaze akaze;
  bool ok = false;
  OwnSignature orb;
  std::vector<PdqHash> crops;
};

struct Times {
  double orb = 0, crops = 0, akaze = 0;
  int n = 0;
  size_t orb_bytes = 0;
  int unsigned_pictures = 0;
} g_times;

Probed Probe(const fs::path& p, const OwnSignatureOptions& options) {
  thread_local Decoder decoder;
  thread_local PdqHasher hasher;
  Probed out;
  const std::string bytes = Slurp(p);
  auto t0 = Clock::now();
  absl::StatusOr<OwnSignature> sig = ComputeOwnSignature(bytes, options);
  g_times.orb += Since(t0);
  if (sig.ok()) {
    out.orb = *std::move(sig);
    g_times.orb_bytes += out.orb.Serialize().size();
  } else {
    // No signature: every ORB comparison with it scores 0 (a miss); PDQ
    // is still measured.
    std::fprintf(stderr, "%s: %s\n", p.c_str(),
                 sig.status().ToString().c_str());
    ++g_times.unsigned_pictures;
  }
  LumaImage luma;
  auto t1 = Clock::now();
  if (!decoder.DecodeLuma(bytes, DecodeOptions(), &luma).ok()) return out;
  const double decode = Since(t1);
  if (use_akaze) {
    auto ta = Clock::now();
    out.akaze = AkazeOf(luma);
    g_times.akaze += decode + Since(ta);
  }
  auto t3 = Clock::now();
  std::vector<float> buf;
  for (const auto& c : kCrops) {
    Region r;
    r.x = static_cast<int>(c[0] * luma.width);
    r.y = static_cast<int>(c[1] * luma.height);
    r.width = static_cast<int>(c[2] * luma.width) - r.x;
    r.height = static_cast<int>(c[3] * luma.height) - r.y;
    CopyRegion(luma.pixels, luma.width, r, &buf);
    out.crops.push_back(
        hasher.Hash(absl::MakeSpan(buf), r.width, r.height, false).hash);
  }
  g_times.crops += decode + Since(t3);
  ++g_times.n;
  out.ok = true;
  return out;
}

int CropsDistance(const Probed& a, const Probed& b) {
  int best = 256;
  for (const PdqHash& x : a.crops)
    for (const PdqHash& y : b.crops)
      best = std::min(best, HammingDistance(x, y));
  return best;
}

std::vector<fs::path> Pictures(const fs::path& dir) {
  std::vector<fs::path> out;
  if (dir.empty() || !fs::is_directory(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const std::string ext = e.path().extension().string();
    if (e.is_regular_file() &&
        (ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".webp"))
      out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct Row {
  int n = 0, orb = 0, orb_index = 0, crops = 0, whole = 0, strong = 0;
  int akaze = 0, wrong_akaze = 0;
  int index_false = 0;
  int wrong_inliers = 0, wrong_crops = 256;
  std::vector<int> own_inliers;
};

void PrintRow(const std::string& name, const Row& r) {
  auto pct = [&](int k) { return r.n ? 100.0 * k / r.n : 0.0; };
  std::vector<int> v = r.own_inliers;
  std::sort(v.begin(), v.end());
  const int median = v.empty() ? 0 : v[v.size() / 2];
  std::printf(
      "%-28s %5d %6.1f%% %6.1f%% %6.1f%% %6.1f%% %6.1f%% %6.1f%% %6d %6d %6d "
      "%6d %6d\n",
      name.c_str(), r.n, pct(r.orb), pct(r.strong), pct(r.orb_index),
      pct(r.akaze), pct(r.crops), pct(r.whole), median, r.wrong_inliers,
      r.wrong_akaze, r.wrong_crops, r.index_false);
}

// Fills an index with `n` signatures derived from `real` (descriptors with
// about a quarter of their bits flipped, so that none is a copy of a real
// picture but the bit statistics stay those of real pictures), times adds
// and searches.
void IndexCost(const std::vector<const Probed*>& known,
               const std::vector<std::pair<const Probed*, size_t>>& queries,
               const std::vector<const Probed*>& real, int n,
               const OwnIndexOptions& options) {
  OwnSignatureIndex index(options);
  std::mt19937_64 rng(n);
  auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    OwnSignature s = real[i % real.size()]->orb;
    for (OwnFeature& f : s.features) {
      // Elsewhere in the picture, so that no filler verifies as a copy.
      f.x = static_cast<float>(rng() % (s.width * 16)) / 16;
      f.y = static_cast<float>(rng() % (s.height * 16)) / 16;
      for (auto& byte : f.descriptor) {
        const uint64_t r = rng();
        byte ^= static_cast<uint8_t>(r & (r >> 8));  // P(flip) = 1/4
      }
    }
    (void)index.Add((uint64_t{1} << 40) | static_cast<uint64_t>(i), s);
  }
  for (size_t k = 0; k < known.size(); ++k) (void)index.Add(k, known[k]->orb);
  const double add = Since(t0) / (n + known.size());
  int found = 0, wrong = 0;
  auto t1 = Clock::now();
  for (const auto& [query, owner] : queries) {
    for (const OwnMatch& m : index.Search(query->orb)) {
      if (m.id == owner) {
        ++found;
      } else {
        ++wrong;
      }
    }
  }
  const double search = Since(t1) / std::max<size_t>(1, queries.size());
  std::printf(
      "index %7zu signatures: %6.3f ms/add, %7.2f ms/search, %7.1f MB (%.0f "
      "bytes/signature); %d/%zu copies found, %d wrong\n",
      index.size(), 1e3 * add, 1e3 * search, index.MemoryBytes() / 1e6,
      static_cast<double>(index.MemoryBytes()) / index.size(), found,
      queries.size(), wrong);
}

// Look-alikes: two different pictures under the same kind of overlay (the
// evaluation set draws each caption from 6 texts and each watermark from 3,
// so many pairs share the text and its place), one stored, one queried.
void LookAlikes(const std::vector<Probed>& kept,
                const std::vector<std::string>& kept_transform,
                const std::vector<size_t>& kept_owner,
                const OwnMatchOptions& match) {
  for (const char* overlay :
       {"caption", "combo_caption_q60", "watermark",
        "combo_border_watermark_q75", "combo_screenshot"}) {
    int pairs = 0, matched = 0, worst = 0, worst_spread = 0, worst_central = 0;
    int most_central = 0, strong_matched = 0;
    for (size_t i = 0; i < kept.size(); ++i) {
      if (kept_transform[i] != overlay) continue;
      for (size_t j = 0; j < kept.size(); ++j) {
        if (kept_transform[j] != overlay || kept_owner[j] == kept_owner[i])
          continue;
        const OwnVerification v =
            VerifyOwnSignatures(kept[i].orb, kept[j].orb, match);
        ++pairs;
        matched += IsOwnMatch(v, match);
        strong_matched += IsOwnMatch(v, strong_options);
        most_central = std::max(most_central, v.central);
        if (v.inliers > worst) {
          worst = v.inliers;
          worst_spread = v.spread;
          worst_central = v.central;
        }
      }
    }
    if (pairs > 0) {
      std::printf(
          "look-alikes under %-26s %6d pairs, %d matched; most inliers %d "
          "(spread %d, central %d); most central inliers %d; strong %d\n",
          overlay, pairs, matched, worst, worst_spread, worst_central,
          most_central, strong_matched);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"own_probe"};
  std::string set, distractors, sizes = "10000,100000";
  int min_inliers = 16, radius = 31, features = 256, query_features = 256;
  OwnIndexOptions index_options;
  app.add_option("--set", set, "evaluation set folder")->required();
  app.add_option("--distractors", distractors, "more distractor pictures");
  app.add_option("--min-inliers", min_inliers, "ORB match threshold");
  app.add_option("--min-spread", index_options.match.min_spread,
                 "ORB inlier spread (grid rows and columns)");
  app.add_option("--min-central", index_options.match.min_central,
                 "ORB inliers in the central quarter");
  app.add_option("--radius", radius, "PDQ match radius");
  app.add_option("--features", features, "keypoints per stored picture");
  app.add_option("--query-features", query_features, "keypoints per query");
  int fast_threshold = OwnSignatureOptions{}.fast_threshold;
  app.add_option("--fast-threshold", fast_threshold, "FAST corner threshold");
  app.add_option("--max-verify", index_options.max_verify,
                 "pictures verified per search");
  app.add_option("--tables", index_options.tables, "index key tables");
  app.add_option("--index-sizes", sizes, "index sizes to time");
  app.add_flag("--akaze", use_akaze, "also measure AKAZE (slow)");
  CLI11_PARSE(app, argc, argv);
  index_options.match.min_inliers = min_inliers;
  strong_options = index_options.match;
  strong_options.min_inliers = 40;
  strong_options.min_central = 15;

  OwnSignatureOptions stored_options, query_options;
  stored_options.max_features = features;
  query_options.max_features = query_features;
  stored_options.fast_threshold = query_options.fast_threshold = fast_threshold;

  // Known pictures without a signature (too small, too little detail) stay
  // in: their copies count as missed by ORB.
  std::map<std::string, Probed> known;
  for (const fs::path& p : Pictures(fs::path(set) / "known")) {
    Probed h = Probe(p, stored_options);
    if (h.ok) known[p.stem().string()] = std::move(h);
  }
  std::printf("%zu known pictures, %d of them without a signature\n",
              known.size(), g_times.unsigned_pictures);
  std::vector<std::string> names;
  std::vector<const Probed*> known_list;
  OwnSignatureIndex index(index_options);
  for (const auto& [name, h] : known) {
    if (!h.orb.features.empty()) (void)index.Add(names.size(), h.orb);
    names.push_back(name);
    known_list.push_back(&h);
  }
  const size_t stored_n = g_times.n;
  const double stored_orb = g_times.orb;

  std::map<std::string, Row> rows;
  std::vector<Probed> copies;
  auto score = [&](const Probed& q, const std::string& owner, Row& row) {
    ++row.n;
    for (size_t k = 0; k < names.size(); ++k) {
      const Probed& s = *known_list[k];
      const OwnVerification v =
          VerifyOwnSignatures(s.orb, q.orb, index_options.match);
      const bool hit = IsOwnMatch(v, index_options.match);
      // The score a wrong pair reaches: its inliers when spread enough to
      // count, else 0.
      auto counted = [&](const OwnVerification& x) {
        OwnMatchOptions o = index_options.match;
        o.min_inliers = 0;
        return IsOwnMatch(x, o) ? x.inliers : 0;
      };
      const int in = counted(v);
      const int crops = CropsDistance(s, q);
      const int akaze = use_akaze ? AkazeInliers(s.akaze, q.akaze) : 0;
      if (names[k] == owner) {
        row.own_inliers.push_back(v.inliers);
        row.orb += hit;
        row.strong += IsOwnMatch(v, strong_options);
        row.crops += crops <= radius;
        row.akaze += akaze >= min_inliers;
        row.whole += HammingDistance(s.crops[0], q.crops[0]) <= radius;
      } else {
        row.wrong_inliers = std::max(row.wrong_inliers, in);
        row.wrong_crops = std::min(row.wrong_crops, crops);
        row.wrong_akaze = std::max(row.wrong_akaze, akaze);
      }
    }
    for (const OwnMatch& m : index.Search(q.orb)) {
      if (names[m.id] == owner) {
        ++row.orb_index;
      } else {
        ++row.index_false;
      }
    }
  };
  std::vector<const Probed*> real;
  for (const Probed* k : known_list) {
    if (!k->orb.features.empty()) real.push_back(k);
  }
  std::vector<Probed> kept;
  std::vector<size_t> kept_owner;
  std::vector<std::string> kept_transform;
  kept.reserve(100000);
  for (const fs::path& p : Pictures(fs::path(set) / "copies")) {
    const std::string stem = p.stem().string();
    const size_t sep = stem.find("__");
    if (sep == std::string::npos || !known.count(stem.substr(0, sep))) continue;
    Probed q = Probe(p, query_options);
    if (!q.ok) continue;
    score(q, stem.substr(0, sep), rows[stem.substr(sep + 2)]);
    kept_owner.push_back(static_cast<size_t>(
        std::find(names.begin(), names.end(), stem.substr(0, sep)) -
        names.begin()));
    kept_transform.push_back(stem.substr(sep + 2));
    kept.push_back(std::move(q));
  }
  Row distractor_row;
  std::vector<fs::path> others = Pictures(fs::path(set) / "distractors");
  for (const fs::path& p : Pictures(distractors)) others.push_back(p);
  for (const fs::path& p : others) {
    Probed q = Probe(p, query_options);
    if (q.ok) score(q, "", distractor_row);
  }

  std::printf("%-28s %5s %7s %7s %7s %7s %7s %7s %6s %6s %6s %6s %6s\n",
              "transform", "n", "orb", "strong", "index", "akaze", "crops",
              "whole", "med-in", "wr-in", "wr-ak", "wr-crp", "idx-fp");
  for (const auto& [name, r] : rows) PrintRow(name, r);
  PrintRow("(distractors)", distractor_row);
  const int queries = g_times.n - static_cast<int>(stored_n);
  std::printf(
      "per picture: orb %.2f ms (stored pictures %.2f ms), akaze %.2f ms "
      "(with its decode), pdq crops %.2f ms (with its decode); stored "
      "signature %.0f bytes\n",
      1e3 * (g_times.orb - stored_orb) / std::max(1, queries),
      1e3 * stored_orb / std::max<size_t>(1, stored_n),
      1e3 * g_times.akaze / std::max(1, g_times.n),
      1e3 * g_times.crops / std::max(1, g_times.n),
      static_cast<double>(g_times.orb_bytes) / std::max(1, g_times.n));
  LookAlikes(kept, kept_transform, kept_owner, index_options.match);
  {
    auto t0 = Clock::now();
    int pairs = 0;
    for (size_t i = 0; i < std::min<size_t>(kept.size(), 200); ++i) {
      VerifyOwnSignatures(known_list[i % known_list.size()]->orb, kept[i].orb,
                          index_options.match);
      ++pairs;
    }
    std::printf("verify: %.3f ms per pair\n",
                1e3 * Since(t0) / std::max(1, pairs));
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("peak resident memory of the probe so far: %.1f MB\n",
              usage.ru_maxrss / 1024.0);
  // Every k-th copy, so that each transform is among the queries.
  std::vector<std::pair<const Probed*, size_t>> query_list;
  const size_t step = std::max<size_t>(1, kept.size() / 300);
  for (size_t i = 0; i < kept.size(); i += step)
    query_list.emplace_back(&kept[i], kept_owner[i]);
  for (absl::string_view s : absl::StrSplit(sizes, ',', absl::SkipEmpty())) {
    int n = 0;
    if (absl::SimpleAtoi(s, &n) && n > 0)
      IndexCost(known_list, query_list, real, n, index_options);
  }
  return 0;
}
