#include "bench/eval/benign.h"

#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>

#include "absl/strings/str_split.h"
#include "bench/eval/csv.h"
#include "bench/eval/io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "matcher/hashes.h"
#include "tests/bench/pictures.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch::bench {
namespace {

namespace fs = std::filesystem;
using ::hashwatch::testing::MakePicture;
using ::hashwatch::testing::StatusIs;
using ::hashwatch::testing::TempDir;
using ::testing::HasSubstr;

// Three stand-in wallpapers (the real ones are not needed to test the
// generator), one of them as a folder of size variants.
void FillWallpapers(const TempDir& dir) {
  dir.Write("a.jpg", MakePicture(11, 640, 400));
  dir.Write("b.png", MakePicture(12, 700, 500, ".png"));
  fs::create_directories(dir.Sub("plasma/contents/images"));
  dir.Write("plasma/contents/images/1920x1080.jpg", MakePicture(13, 720, 405));
  dir.Write("plasma/contents/images/640x360.jpg", MakePicture(14, 640, 360));
  dir.Write("logo.png", MakePicture(15, 128, 128, ".png"));  // too small
}

BenignOptions Options(const std::string& out, const std::string& wallpapers,
                      int count) {
  BenignOptions o;
  o.out_dir = out;
  o.count = count;
  o.seed = 7;
  o.wallpaper_dirs = {wallpapers};
  o.chromium = "";  // the screenshot family has a test of its own
  return o;
}

// file -> family, from manifest.csv.
std::map<std::string, std::string> Manifest(const std::string& dir) {
  absl::StatusOr<std::string> text = ReadWholeFile(dir + "/manifest.csv");
  EXPECT_OK(text);
  absl::StatusOr<std::vector<std::vector<std::string>>> rows = ParseCsv(*text);
  EXPECT_OK(rows);
  std::map<std::string, std::string> out;
  for (size_t i = 1; i < rows->size(); ++i) {
    EXPECT_EQ((*rows)[i].size(), 5u);
    out[(*rows)[i][0]] = (*rows)[i][1];
  }
  EXPECT_EQ((*rows)[0], (std::vector<std::string>{"file", "family", "how",
                                                  "width", "height"}));
  return out;
}

std::string Read(const std::string& path) {
  absl::StatusOr<std::string> bytes = ReadWholeFile(path);
  EXPECT_OK(bytes) << path;
  return bytes.ok() ? *bytes : "";
}

TEST(BenignTest, SameSeedSameBytesWhateverTheThreads) {
  TempDir wallpapers, one, two, other;
  FillWallpapers(wallpapers);
  BenignOptions o = Options(one.path(), wallpapers.path(), 30);
  o.threads = 1;
  ASSERT_OK_AND_ASSIGN(BenignSummary s1, WriteBenignSet(o));
  EXPECT_EQ(s1.written, 30);
  EXPECT_EQ(s1.wallpapers, 3);  // one of the two size variants
  o.out_dir = two.path();
  o.threads = 3;
  ASSERT_OK_AND_ASSIGN(BenignSummary s2, WriteBenignSet(o));
  const auto m1 = Manifest(one.path()), m2 = Manifest(two.path());
  ASSERT_EQ(m1.size(), 30u);
  EXPECT_EQ(m1, m2);
  EXPECT_EQ(Read(one.Sub("manifest.csv")), Read(two.Sub("manifest.csv")));
  for (const auto& [file, family] : m1) {
    EXPECT_TRUE(Read(one.Sub(file)) == Read(two.Sub(file))) << file;
  }
  // Another seed, other pictures.
  o.out_dir = other.path();
  o.seed = 8;
  ASSERT_OK(WriteBenignSet(o).status());
  int same = 0;
  for (const auto& [file, family] : Manifest(other.path())) {
    same += m1.count(file) && Read(one.Sub(file)) == Read(other.Sub(file));
  }
  EXPECT_LT(same, 3);  // at most a flat picture of a pure colour may repeat
}

TEST(BenignTest, EveryFamilyIsPresentAndHashable) {
  TempDir wallpapers, out;
  FillWallpapers(wallpapers);
  ASSERT_OK_AND_ASSIGN(
      BenignSummary s,
      WriteBenignSet(Options(out.path(), wallpapers.path(), 20)));
  std::set<std::string> families;
  for (const auto& [file, family] : Manifest(out.path())) {
    families.insert(family);
    // Every picture decodes and hashes; sides 256..1280 (the overlays keep
    // their base's size, letterboxing squares it).
    ASSERT_OK_AND_ASSIGN(matcher::ImageHashes h,
                         matcher::HashImage(Read(out.Sub(file)), {}));
    EXPECT_GE(std::min(h.width, h.height), 100) << file;
    EXPECT_LE(std::max(h.width, h.height), 1280) << file;
  }
  EXPECT_EQ(families, (std::set<std::string>{
                          "wallpaper_rescale", "wallpaper_tile", "shapes",
                          "same_watermark", "same_caption", "same_border",
                          "same_letterbox", "same_page", "viewer_window",
                          "document", "flat", "gradient", "near_blank"}));
  EXPECT_GE(s.families.at("document"), 2);  // its own and the screenshot's
  EXPECT_THAT(s.notes, ::testing::Contains(HasSubstr("chromium not found")));
}

TEST(BenignTest, WithoutWallpapersSyntheticShapesStandIn) {
  TempDir empty, out;
  ASSERT_OK_AND_ASSIGN(
      BenignSummary s,
      WriteBenignSet(Options(out.path(), empty.Sub("none"), 16)));
  EXPECT_EQ(s.wallpapers, 0);
  EXPECT_EQ(s.families.count("wallpaper_tile"), 0u);
  EXPECT_GE(s.families.at("shapes"), 3);  // its own and both wallpapers'
  EXPECT_THAT(s.notes, ::testing::Contains(HasSubstr("no wallpapers found")));
}

TEST(BenignTest, ScreenshotsWithChromium) {
  if (access("/usr/bin/chromium", X_OK) != 0)
    GTEST_SKIP() << "chromium is not installed";
  TempDir wallpapers, out;
  FillWallpapers(wallpapers);
  BenignOptions o = Options(out.path(), wallpapers.path(), 14);
  o.chromium = "chromium";
  ASSERT_OK_AND_ASSIGN(BenignSummary s, WriteBenignSet(o));
  ASSERT_EQ(s.families.count("screenshot"), 1u)
      << ::testing::PrintToString(s.notes);
  const std::string shot = out.Sub("000013_screenshot.png");
  ASSERT_OK_AND_ASSIGN(matcher::ImageHashes h,
                       matcher::HashImage(Read(shot), {}));
  EXPECT_GT(h.pdq.quality, 0);
}

// The evaluation corpus comes from the same packages: a wallpaper that is
// a copy of an excluded picture (here rescaled and re-encoded) is not used.
TEST(BenignTest, ExcludedPicturesNeverEnterTheSet) {
  TempDir wallpapers, exclude, out;
  FillWallpapers(wallpapers);
  exclude.Write("corpus_a.png", MakePicture(11, 640, 400, ".png"));
  BenignOptions o = Options(out.path(), wallpapers.path(), 40);
  o.exclude_dirs = {exclude.path()};
  ASSERT_OK_AND_ASSIGN(BenignSummary s, WriteBenignSet(o));
  EXPECT_EQ(s.excluded, 1);
  EXPECT_EQ(s.wallpapers, 2);
  ASSERT_OK_AND_ASSIGN(std::string manifest,
                       ReadWholeFile(out.Sub("manifest.csv")));
  EXPECT_THAT(manifest, HasSubstr("b.png"));
  EXPECT_THAT(manifest, ::testing::Not(HasSubstr("/a.jpg")));
  o.exclude_dirs = {exclude.Sub("missing")};
  EXPECT_THAT(WriteBenignSet(o), StatusIs(absl::StatusCode::kNotFound));
}

TEST(BenignTest, BadOptionsAndFoldersAreRefused) {
  TempDir dir;
  BenignOptions o = Options(dir.Sub("out"), dir.Sub("none"), 0);
  EXPECT_THAT(WriteBenignSet(o), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("count is 0")));
  o.count = 2;
  o.out_dir.clear();
  EXPECT_THAT(WriteBenignSet(o),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--out")));
  // A file where the folder should be: nothing is made.
  dir.Write("file", "x");
  o.out_dir = dir.Sub("file/sub");
  EXPECT_FALSE(WriteBenignSet(o).ok());
  EXPECT_FALSE(fs::exists(dir.Sub("file/sub")));
}

}  // namespace
}  // namespace hashwatch::bench
