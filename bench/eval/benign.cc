#include "bench/eval/benign.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <random>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "bench/eval/csv.h"
#include "bench/eval/internal/benign_draw.h"
#include "bench/eval/internal/chromium_shot.h"
#include "bench/eval/internal/vips_util.h"
#include "bench/eval/io.h"
#include "bench/eval/transforms.h"
#include "common/parallel_for.h"
#include "common/status_macros.h"
#include "matcher/hashes.h"

namespace hashwatch::bench {
namespace {

namespace fs = std::filesystem;
using internal::Below;
using internal::Between;
using internal::Canvas;
using internal::VipsError;
using internal::VipsRef;

// Wallpapers are kept in memory at most this long on a side.
constexpr int kWallpaperSide = 1280;
// Smaller files (logos, previews) in the wallpaper folders are skipped.
constexpr int kMinWallpaperShort = 200;
constexpr int kMinWallpaperLong = 640;

enum Family {
  kWallpaperRescale,
  kWallpaperTile,
  kShapes,
  kSameWatermark,
  kSameCaption,
  kSameBorder,
  kSameLetterbox,
  kSamePage,
  kViewer,
  kDocument,
  kFlat,
  kGradient,
  kNearBlank,
  kScreenshot,
  kFamilies
};

struct FamilyInfo {
  const char* name;
  int weight;  // per 1000 pictures
};

constexpr FamilyInfo kInfo[kFamilies] = {
    {"wallpaper_rescale", 180},
    {"wallpaper_tile", 250},
    {"shapes", 50},
    {"same_watermark", 60},
    {"same_caption", 60},
    {"same_border", 50},
    {"same_letterbox", 40},
    {"same_page", 60},
    {"viewer_window", 60},
    {"document", 80},
    {"flat", 30},
    {"gradient", 40},
    {"near_blank", 30},
    {"screenshot", 10},
};

// Picture i's family: each family once first (so that a small set has them
// all), then drawn by weight from a stable hash of i.
Family PlanFamily(int i, uint64_t seed) {
  if (i < kFamilies) return static_cast<Family>(i);
  int pick = static_cast<int>(
      StableHash(absl::StrCat("benign-family/", i), seed) % 1000);
  for (int f = 0; f < kFamilies; ++f) {
    if (pick < kInfo[f].weight) return static_cast<Family>(f);
    pick -= kInfo[f].weight;
  }
  return kWallpaperTile;
}

struct Wallpaper {
  std::string path;
  VipsRef image;  // 8-bit sRGB, 3 bands, in memory, <= kWallpaperSide
};

// "1920x1080" -> 1920; 0 when `stem` is not WIDTHxHEIGHT.
int SizeStemWidth(const std::string& stem) {
  const size_t x = stem.find('x');
  int w = 0, h = 0;
  if (x == std::string::npos || !absl::SimpleAtoi(stem.substr(0, x), &w) ||
      !absl::SimpleAtoi(stem.substr(x + 1), &h)) {
    return 0;
  }
  return w;
}

// Wallpaper files under `dirs`, one per folder of size variants
// (plasma's contents/images/1920x1080.jpg, ...: the one nearest 1920 wide).
std::vector<std::string> FindWallpapers(const std::vector<std::string>& dirs,
                                        std::vector<std::string>* found_dirs) {
  std::set<std::string> files;
  for (const std::string& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    found_dirs->push_back(dir);
    for (fs::recursive_directory_iterator
             it(dir, fs::directory_options::skip_permission_denied, ec),
         end;
         !ec && it != end; it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      const std::string ext =
          absl::AsciiStrToLower(it->path().extension().string());
      if (ext != ".jpg" && ext != ".jpeg" && ext != ".png" && ext != ".webp" &&
          ext != ".svg") {
        continue;
      }
      if (it->path().stem() == "screenshot") continue;  // previews
      fs::path canonical = fs::canonical(it->path(), ec);
      if (!ec) files.insert(canonical.string());
    }
  }
  std::map<std::string, std::pair<int, std::string>> by_folder;
  std::vector<std::string> out;
  for (const std::string& f : files) {
    const fs::path p(f);
    const int w = SizeStemWidth(p.stem().string());
    if (w == 0) {
      out.push_back(f);
      continue;
    }
    const int score = std::abs(w - 1920);
    auto [it, inserted] =
        by_folder.emplace(p.parent_path().string(), std::make_pair(score, f));
    if (!inserted && score < it->second.first) it->second = {score, f};
  }
  for (const auto& [folder, best] : by_folder) out.push_back(best.second);
  std::sort(out.begin(), out.end());
  return out;
}

absl::StatusOr<VipsRef> LoadWallpaper(const std::string& path) {
  VipsRef thumb;
  if (vips_thumbnail(path.c_str(), thumb.out(), kWallpaperSide, "height",
                     kWallpaperSide, "size", VIPS_SIZE_DOWN, nullptr) != 0) {
    return VipsError("benign: wallpaper");
  }
  VipsRef image = std::move(thumb);
  HW_RETURN_IF_ERROR(FlattenOnWhite(&image, "benign: wallpaper"));
  VipsRef srgb, rgb, three;
  if (vips_colourspace(image.get(), srgb.out(), VIPS_INTERPRETATION_sRGB,
                       nullptr) != 0 ||
      vips_cast_uchar(srgb.get(), rgb.out(), nullptr) != 0 ||
      vips_extract_band(rgb.get(), three.out(), 0, "n", 3, nullptr) != 0) {
    return VipsError("benign: wallpaper");
  }
  VipsRef memory(vips_image_copy_memory(three.get()));
  if (memory.get() == nullptr) return VipsError("benign: wallpaper");
  if (std::min(memory.width(), memory.height()) < kMinWallpaperShort ||
      std::max(memory.width(), memory.height()) < kMinWallpaperLong) {
    return absl::OutOfRangeError(absl::StrCat("benign: ", memory.width(), "x",
                                              memory.height(),
                                              " is too small for a wallpaper"));
  }
  return memory;
}

// One picture made.
struct Made {
  std::string bytes;
  std::string ext;
  std::string how;
  int width = 0;
  int height = 0;
};

absl::StatusOr<Made> Encode(VipsImage* image, bool png, int quality,
                            std::string how) {
  Made m;
  m.width = image->Xsize;
  m.height = image->Ysize;
  if (png) {
    HW_ASSIGN_OR_RETURN(m.bytes, internal::EncodePng(image));
    m.ext = "png";
  } else {
    HW_ASSIGN_OR_RETURN(m.bytes, internal::EncodeJpeg(image, quality));
    m.ext = "jpg";
    absl::StrAppend(&how, ", JPEG q", quality);
  }
  m.how = std::move(how);
  return m;
}

class Maker {
 public:
  Maker(const std::vector<Wallpaper>& wallpapers, std::string chromium)
      : wallpapers_(wallpapers), chromium_(std::move(chromium)) {}

  // What family `planned` becomes here (no wallpapers: shapes; no
  // chromium: a document).
  Family Actual(Family planned) const {
    if (wallpapers_.empty() &&
        (planned == kWallpaperRescale || planned == kWallpaperTile)) {
      return kShapes;
    }
    if (planned == kScreenshot && (chromium_.empty() || chromium_broken_)) {
      return kDocument;
    }
    return planned;
  }

  absl::StatusOr<Made> Make(Family family, std::mt19937& rng) {
    switch (family) {
      case kWallpaperRescale:
        return Rescale(rng);
      case kWallpaperTile: {
        std::string how;
        HW_ASSIGN_OR_RETURN(VipsRef tile, Tile(rng, 256, 1024, &how));
        return Encode(tile.get(), false, Between(rng, 70, 95), how);
      }
      case kSameWatermark:
      case kSameCaption:
      case kSameBorder:
      case kSameLetterbox:
      case kSamePage:
        return SameOverlay(family, rng);
      case kViewer: {
        std::string base_how, how;
        HW_ASSIGN_OR_RETURN(VipsRef base, Base(rng, &base_how));
        const int w = Between(rng, 640, 1280);
        const int h = Between(rng, w * 9 / 16, std::min(1280, w * 5 / 4));
        HW_ASSIGN_OR_RETURN(Canvas c,
                            internal::DrawViewer(w, h, base.get(), &how));
        HW_ASSIGN_OR_RETURN(VipsRef img, internal::ToVips(c));
        return Encode(img.get(), false, Between(rng, 75, 95),
                      absl::StrCat(how, " of ", base_how));
      }
      case kScreenshot:
        return Screenshot(rng);
      default:
        return Synthetic(family, rng);
    }
  }

 private:
  absl::StatusOr<Made> Synthetic(Family family, std::mt19937& rng) {
    int w = Between(rng, 256, 1024), h = Between(rng, 256, 1024);
    if (family == kDocument) {
      w = Between(rng, 500, 900);
      h = w * 1414 / 1000;  // A4
    }
    std::string how;
    Canvas c = family == kShapes      ? internal::DrawShapes(w, h, rng, &how)
               : family == kFlat      ? internal::DrawFlat(w, h, rng, &how)
               : family == kGradient  ? internal::DrawGradient(w, h, rng, &how)
               : family == kNearBlank ? internal::DrawNearBlank(w, h, rng, &how)
                                      : internal::DrawDocument(w, h, rng, &how);
    HW_ASSIGN_OR_RETURN(VipsRef img, internal::ToVips(c));
    return Encode(img.get(), family == kFlat, Between(rng, 75, 95), how);
  }

  const Wallpaper& PickWallpaper(std::mt19937& rng) const {
    return wallpapers_[Below(rng, static_cast<uint32_t>(wallpapers_.size()))];
  }

  static std::string Name(const std::string& path) { return path; }

  absl::StatusOr<Made> Rescale(std::mt19937& rng) {
    const Wallpaper& w = PickWallpaper(rng);
    const int long_side = Between(rng, 320, 1280);
    const double f = static_cast<double>(long_side) /
                     std::max(w.image.width(), w.image.height());
    const int nw = std::max(1, static_cast<int>(w.image.width() * f)),
              nh = std::max(1, static_cast<int>(w.image.height() * f));
    HW_ASSIGN_OR_RETURN(VipsRef out, internal::ResizeTo(w.image.get(), nw, nh));
    return Encode(
        out.get(), false, Between(rng, 70, 95),
        absl::StrCat("wallpaper ", Name(w.path), " rescaled to ", nw, "x", nh));
  }

  // A random tile of a wallpaper, rescaled so its long side is
  // min_long..max_long.
  absl::StatusOr<VipsRef> Tile(std::mt19937& rng, int min_long, int max_long,
                               std::string* how) {
    const Wallpaper& w = PickWallpaper(rng);
    const int W = w.image.width(), H = w.image.height();
    const int tw = Between(rng, std::min(W, 200), std::min(W, 1024));
    const int th = Between(rng, std::max(std::min(H, 200), tw / 2),
                           std::min(H, std::max(tw * 2, 200)));
    const int th_c = std::min(th, H);
    const int x = Below(rng, W - tw + 1), y = Below(rng, H - th_c + 1);
    VipsRef cut;
    if (vips_extract_area(w.image.get(), cut.out(), x, y, tw, th_c, nullptr) !=
        0) {
      return VipsError("benign: tile");
    }
    const int long_side = Between(rng, min_long, max_long);
    const double f = static_cast<double>(long_side) / std::max(tw, th_c);
    const int nw = std::max(1, static_cast<int>(tw * f)),
              nh = std::max(1, static_cast<int>(th_c * f));
    *how =
        absl::StrCat("tile ", tw, "x", th_c, "+", x, "+", y, " of wallpaper ",
                     Name(w.path), " scaled to ", nw, "x", nh);
    return internal::ResizeTo(cut.get(), nw, nh);
  }

  // A picture to put under an overlay: a wallpaper tile, else shapes.
  absl::StatusOr<VipsRef> Base(std::mt19937& rng, std::string* how) {
    if (!wallpapers_.empty()) return Tile(rng, 256, 1024, how);
    const int w = Between(rng, 256, 1024), h = Between(rng, 256, 1024);
    Canvas c = internal::DrawShapes(w, h, rng, how);
    return internal::ToVips(c);
  }

  absl::StatusOr<Made> SameOverlay(Family family, std::mt19937& rng) {
    const bool second = Below(rng, 2) == 1;
    const char* transform =
        family == kSameWatermark ? "watermark"
        : family == kSameCaption ? (second ? "combo_caption_q60" : "caption")
        : family == kSameBorder
            ? (second ? "combo_border_watermark_q75" : "border_8")
        : family == kSameLetterbox
            ? "letterbox"
            : (second ? "combo_screenshot" : "embed_canvas");
    std::string base_how;
    HW_ASSIGN_OR_RETURN(VipsRef base, Base(rng, &base_how));
    HW_ASSIGN_OR_RETURN(std::string bytes,
                        internal::EncodeJpeg(base.get(), 95));
    HW_ASSIGN_OR_RETURN(SourcePicture src, SourcePicture::Decode(bytes));
    HW_ASSIGN_OR_RETURN(TransformSpec spec, FindTransform(transform));
    HW_ASSIGN_OR_RETURN(TransformedImage t, ApplyTransform(src, spec, rng()));
    return Made{
        std::move(t.bytes), std::string(t.extension),
        absl::StrCat("evalset transform ", transform, " over ", base_how),
        t.width, t.height};
  }

  absl::StatusOr<Made> Screenshot(std::mt19937& rng) {
    static constexpr int kWindows[][2] = {{1280, 800}, {1024, 768},
                                          {800, 1000}, {1200, 700},
                                          {390, 844},  {1280, 1024}};
    const auto& win = kWindows[Below(rng, std::size(kWindows))];
    std::string how;
    const std::string html = internal::RandomPageHtml(rng, &how);
    absl::StatusOr<std::string> png =
        internal::ChromiumScreenshot(chromium_, html, win[0], win[1]);
    if (!png.ok()) {
      if (++chromium_failures_ >= 3) chromium_broken_ = true;
      return png.status();
    }
    VipsRef img(
        vips_image_new_from_buffer(png->data(), png->size(), "", nullptr));
    if (img.get() == nullptr) return VipsError("benign: screenshot");
    return Made{std::move(*png), "png",
                absl::StrCat("chromium screenshot of a ", how, ", window ",
                             win[0], "x", win[1]),
                img.width(), img.height()};
  }

  const std::vector<Wallpaper>& wallpapers_;
  const std::string chromium_;
  std::atomic<int> chromium_failures_{0};
  std::atomic<bool> chromium_broken_{false};
};

// The dihedral variants of every picture in `dirs` (not recursive).
// Pictures that do not decode are skipped (they cannot be matched anyway).
absl::StatusOr<std::vector<matcher::PdqHash>> ExcludedHashes(
    const std::vector<std::string>& dirs, int threads) {
  std::vector<matcher::PdqHash> out;
  matcher::HashOptions h;
  h.dihedral = true;
  h.digests = false;
  for (const std::string& dir : dirs) {
    HW_ASSIGN_OR_RETURN(FolderListing listing, ListFolder(dir));
    std::vector<std::vector<matcher::PdqHash>> found(listing.images.size());
    ParallelFor(listing.images.size(), {.threads = threads}, [&](size_t i) {
      absl::StatusOr<std::string> bytes =
          ReadWholeFile(absl::StrCat(dir, "/", listing.images[i]));
      if (!bytes.ok()) return;
      absl::StatusOr<matcher::ImageHashes> hashes =
          matcher::HashImage(*bytes, h);
      if (!hashes.ok()) return;
      found[i].assign(hashes->pdq.dihedral.begin(), hashes->pdq.dihedral.end());
    });
    for (const auto& f : found) out.insert(out.end(), f.begin(), f.end());
  }
  return out;
}

// True when `image` is within kExcludeDistance of one of `excluded`.
bool IsExcluded(VipsImage* image,
                const std::vector<matcher::PdqHash>& excluded) {
  if (excluded.empty()) return false;
  absl::StatusOr<std::string> bytes = internal::EncodeJpeg(image, 95);
  if (!bytes.ok()) return false;
  matcher::HashOptions h;
  h.digests = false;
  absl::StatusOr<matcher::ImageHashes> hashes = matcher::HashImage(*bytes, h);
  if (!hashes.ok()) return false;
  for (const matcher::PdqHash& e : excluded) {
    if (matcher::HammingDistance(hashes->pdq.hash, e) <= kExcludeDistance)
      return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> DefaultWallpaperDirs() {
  return {"/usr/share/backgrounds", "/usr/share/wallpapers",
          "/usr/share/images/desktop-base", "/usr/share/desktop-base"};
}

absl::Status ValidateBenignOptions(const BenignOptions& o) {
  if (o.out_dir.empty())
    return absl::InvalidArgumentError("benign: --out is required");
  if (o.count < 1 || o.count > 10'000'000) {
    return absl::InvalidArgumentError(
        absl::StrCat("benign: count is ", o.count, ", want 1..10000000"));
  }
  if (o.threads < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("benign: threads is ", o.threads, ", want >= 0"));
  }
  return absl::OkStatus();
}

absl::StatusOr<BenignSummary> WriteBenignSet(const BenignOptions& options) {
  HW_RETURN_IF_ERROR(ValidateBenignOptions(options));
  const auto start = std::chrono::steady_clock::now();
  internal::InitVipsForEval();
  HW_RETURN_IF_ERROR(MakeDirs(options.out_dir));
  const std::string manifest_path =
      absl::StrCat(options.out_dir, "/manifest.csv");
  // Fail on an unwritable folder before making anything.
  HW_RETURN_IF_ERROR(WriteWholeFile(manifest_path, ""));

  BenignSummary summary;
  std::vector<std::string> found_dirs;
  const std::vector<std::string> files =
      FindWallpapers(options.wallpaper_dirs, &found_dirs);
  HW_ASSIGN_OR_RETURN(std::vector<matcher::PdqHash> excluded,
                      ExcludedHashes(options.exclude_dirs, options.threads));
  std::vector<absl::StatusOr<VipsRef>> loaded(files.size());
  std::vector<char> is_excluded(files.size(), 0);
  const ParallelForOptions parallel{.threads = options.threads};
  ParallelFor(files.size(), parallel, [&](size_t i) {
    loaded[i] = LoadWallpaper(files[i]);
    if (loaded[i].ok()) is_excluded[i] = IsExcluded(loaded[i]->get(), excluded);
  });
  std::vector<Wallpaper> wallpapers;
  int too_small = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    if (is_excluded[i]) {
      ++summary.excluded;
    } else if (loaded[i].ok()) {
      wallpapers.push_back({files[i], std::move(*loaded[i])});
    } else if (absl::IsOutOfRange(loaded[i].status())) {
      ++too_small;
    } else {
      summary.failures.push_back(
          {files[i], std::string(loaded[i].status().message())});
    }
  }
  summary.wallpapers = static_cast<int>(wallpapers.size());
  if (summary.excluded > 0) {
    summary.notes.push_back(absl::StrCat(
        summary.excluded, " wallpaper(s) left out: within ", kExcludeDistance,
        " bits of a picture in ", absl::StrJoin(options.exclude_dirs, ", ")));
  }
  if (too_small > 0) {
    summary.notes.push_back(absl::StrCat(
        too_small, " picture file(s) in the wallpaper folders are under ",
        kMinWallpaperLong, "x", kMinWallpaperShort,
        " (logos, previews) and were skipped"));
  }
  if (wallpapers.empty()) {
    summary.notes.push_back(absl::StrCat(
        "no wallpapers found in ", absl::StrJoin(options.wallpaper_dirs, ", "),
        ": the wallpaper families are synthetic shapes instead (install "
        "them with scripts/install-deps.sh --bench)"));
  }
  const std::string chromium = internal::FindExecutable(options.chromium);
  if (chromium.empty()) {
    summary.notes.push_back(absl::StrCat(
        "chromium not found (",
        options.chromium.empty() ? "off" : options.chromium,
        "): the screenshot family is skipped (documents instead)"));
  }

  Maker maker(wallpapers, chromium);
  std::vector<std::string> rows(options.count);
  std::vector<std::string> families(options.count);
  absl::Mutex mu;
  absl::Status error;
  std::vector<std::string> screenshot_notes;
  ParallelFor(options.count, parallel, [&](size_t i) {
    {
      absl::MutexLock lock(&mu);
      if (!error.ok()) return;
    }
    std::mt19937 rng(static_cast<uint32_t>(
        StableHash(absl::StrCat("benign/", i), options.seed)));
    Family family = maker.Actual(PlanFamily(static_cast<int>(i), options.seed));
    absl::StatusOr<Made> made = maker.Make(family, rng);
    if (!made.ok() && family == kScreenshot) {
      {
        absl::MutexLock lock(&mu);
        screenshot_notes.push_back(absl::StrCat("picture ", i, ": ",
                                                made.status().message(),
                                                "; a document instead"));
      }
      family = kDocument;
      made = maker.Make(kDocument, rng);
    }
    const std::string name = absl::StrFormat(
        "%06d_%s.%s", i, kInfo[family].name, made.ok() ? made->ext : "");
    absl::Status s =
        made.ok() ? WriteWholeFile(absl::StrCat(options.out_dir, "/", name),
                                   made->bytes)
                  : made.status();
    if (!s.ok()) {
      absl::MutexLock lock(&mu);
      if (error.ok()) {
        error = absl::Status(s.code(),
                             absl::StrCat("benign: ", name, ": ", s.message()));
      }
      return;
    }
    rows[i] = CsvLine({name, kInfo[family].name, made->how,
                       absl::StrCat(made->width), absl::StrCat(made->height)});
    families[i] = kInfo[family].name;
  });
  HW_RETURN_IF_ERROR(error);
  std::sort(screenshot_notes.begin(), screenshot_notes.end());
  for (std::string& n : screenshot_notes) summary.notes.push_back(std::move(n));
  std::string manifest = "file,family,how,width,height\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    manifest += rows[i];
    ++summary.families[families[i]];
  }
  HW_RETURN_IF_ERROR(WriteWholeFile(manifest_path, manifest));
  summary.written = options.count;
  summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return summary;
}

}  // namespace hashwatch::bench
