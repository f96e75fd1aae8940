#include "matcher/regions.h"

#include <vips/vips.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "matcher/decode.h"
#include "matcher/hashes.h"
#include "matcher/pdq.h"
#include "matcher/vips_init.h"
#include "tests/testing/images.h"
#include "tests/testing/paths.h"

namespace hashwatch::matcher {

void PrintTo(const Region& r, std::ostream* os) {
  *os << (r.kind == RegionKind::kUnbordered ? "unbordered " : "region ") << r.x
      << "," << r.y << " " << r.width << "x" << r.height;
}

namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// A luminance canvas the tests draw on.
struct Canvas {
  int width = 0, height = 0;
  std::vector<float> px;

  Canvas(int w, int h, float value) : width(w), height(h), px(w * h, value) {}
  float& at(int x, int y) { return px[static_cast<size_t>(y) * width + x]; }
  void Fill(int x, int y, int w, int h, float value) {
    for (int j = y; j < y + h; ++j)
      for (int i = x; i < x + w; ++i) at(i, j) = value;
  }
  void Paste(const LumaImage& p, int x, int y) {
    for (int j = 0; j < p.height; ++j)
      for (int i = 0; i < p.width; ++i)
        at(x + i, y + j) = p.pixels[static_cast<size_t>(j) * p.width + i];
  }
  // JPEG-like noise: uniform in [-amp, amp], clamped to 0..255.
  void Noise(float amp, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(-amp, amp);
    for (float& v : px) v = std::clamp(v + d(rng), 0.0f, 255.0f);
  }
};

// A benign picture from testdata, decoded and shrunk to `w` x `h` by
// sampling (the tests need a textured picture of a known size).
LumaImage Picture(const std::string& name, int w, int h) {
  const std::string bytes = testing::ReadFileOrDie(testing::DemoPicture(name));
  Decoder decoder;
  LumaImage full;
  EXPECT_TRUE(decoder.DecodeLuma(bytes, DecodeOptions(), &full).ok()) << name;
  LumaImage out;
  out.width = w;
  out.height = h;
  out.pixels.resize(static_cast<size_t>(w) * h);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      out.pixels[static_cast<size_t>(y) * w + x] =
          full.pixels[static_cast<size_t>(y * full.height / h) * full.width +
                      x * full.width / w];
    }
  }
  return out;
}

// `c` as an 8-bit greyscale PNG.
std::string EncodePng(const Canvas& c) {
  InitVips();
  std::vector<uint8_t> px(c.px.begin(), c.px.end());
  VipsImage* img = vips_image_new_from_memory_copy(
      px.data(), px.size(), c.width, c.height, 1, VIPS_FORMAT_UCHAR);
  void* buf = nullptr;
  size_t len = 0;
  EXPECT_EQ(vips_pngsave_buffer(img, &buf, &len, nullptr), 0);
  g_object_unref(img);
  std::string out(static_cast<const char*>(buf), len);
  g_free(buf);
  return out;
}

PdqHash HashOf(std::vector<float> px, int w, int h) {
  PdqHasher hasher;
  return hasher.Hash(absl::MakeSpan(px), w, h, false).hash;
}

PdqHash HashOfRegion(const Canvas& c, const Region& r) {
  std::vector<float> px;
  CopyRegion(c.px, c.width, r, &px);
  return HashOf(std::move(px), r.width, r.height);
}

// The candidate closest to (x, y, w, h), by the largest side error.
int Error(const Region& r, int x, int y, int w, int h) {
  return std::max({std::abs(r.x - x), std::abs(r.y - y),
                   std::abs(r.x + r.width - x - w),
                   std::abs(r.y + r.height - y - h)});
}

int BestError(const RegionSearch& found, int x, int y, int w, int h) {
  int best = 1 << 20;
  for (const Region& r : found.regions)
    best = std::min(best, Error(r, x, y, w, h));
  return best;
}

TEST(RegionsTest, StripsUnevenNoisyBorderOfAnyColour) {
  const LumaImage pic = Picture("b001.jpg", 360, 270);
  for (float colour : {0.0f, 128.0f, 250.0f}) {
    Canvas c(360 + 20 + 44, 270 + 31 + 9, colour);
    c.Paste(pic, 20, 31);
    c.Noise(4.0f, 7);
    const RegionSearch found = FindRegions(c.px, c.width, c.height);
    // Uneven borders: the exact reading is among the unbordered ones (the
    // balanced reading may come first).
    int best = 1 << 20;
    for (const Region& r : found.regions) {
      if (r.kind == RegionKind::kUnbordered)
        best = std::min(best, Error(r, 20, 31, 360, 270));
    }
    EXPECT_LE(best, 3) << "colour " << colour << ": "
                       << ::testing::PrintToString(found.regions);
  }
}

TEST(RegionsTest, RecoveredPictureHashesNearTheOriginal) {
  const LumaImage pic = Picture("b004.jpg", 320, 320);
  const PdqHash original = HashOf(pic.pixels, pic.width, pic.height);
  Canvas c(400, 400, 255.0f);
  c.Paste(pic, 40, 40);
  const PdqHash whole = HashOf(c.px, c.width, c.height);
  const RegionSearch found = FindRegions(c.px, c.width, c.height);
  ASSERT_FALSE(found.regions.empty());
  // The bordered picture is far from the original; the recovered one near.
  EXPECT_GT(HammingDistance(whole, original), 31);
  EXPECT_EQ(found.regions[0].kind, RegionKind::kUnbordered);
  EXPECT_LE(Error(found.regions[0], 40, 40, 320, 320), 2)
      << ::testing::PrintToString(found.regions);
  EXPECT_LE(HammingDistance(HashOfRegion(c, found.regions[0]), original), 10);
}

TEST(RegionsTest, StripsNestedBorders) {
  const LumaImage pic = Picture("b002.jpg", 300, 240);
  Canvas c(300 + 2 * 30, 240 + 2 * 30, 0.0f);  // outer black
  c.Fill(18, 18, 300 + 24, 240 + 24, 235.0f);  // inner white mat
  c.Paste(pic, 30, 30);
  const RegionSearch found = FindRegions(c.px, c.width, c.height);
  ASSERT_FALSE(found.regions.empty());
  EXPECT_EQ(found.regions[0].kind, RegionKind::kUnbordered);
  EXPECT_LE(Error(found.regions[0], 30, 30, 300, 240), 2);
}

TEST(RegionsTest, StripsLetterboxAndPillarboxBars) {
  const LumaImage wide = Picture("b003.jpg", 400, 225);
  Canvas letterbox(400, 400, 0.0f);
  letterbox.Paste(wide, 0, 88);
  EXPECT_LE(BestError(FindRegions(letterbox.px, 400, 400), 0, 88, 400, 225), 2);

  const LumaImage tall = Picture("b005.jpg", 225, 400);
  Canvas pillarbox(400, 400, 16.0f);
  pillarbox.Paste(tall, 88, 0);
  EXPECT_LE(BestError(FindRegions(pillarbox.px, 400, 400), 88, 0, 225, 400), 2);
}

TEST(RegionsTest, FindsPictureOnAPageLikeCanvas) {
  const LumaImage pic = Picture("b011.jpg", 260, 200);
  Canvas c(480, 480, 238.0f);
  c.Fill(0, 0, 480, 34, 90.0f);         // a title bar
  for (int line = 0; line < 6; ++line)  // text lines below the picture
    c.Fill(24, 300 + 20 * line, 200 + 37 * line, 6, 150.0f);
  c.Paste(pic, 130, 70);
  c.Noise(3.0f, 11);
  const RegionSearch found = FindRegions(c.px, c.width, c.height);
  EXPECT_LE(BestError(found, 130, 70, 260, 200), 3);
  const PdqHash original = HashOf(pic.pixels, pic.width, pic.height);
  int best = 256;
  for (const Region& r : found.regions)
    best = std::min(best, HammingDistance(HashOfRegion(c, r), original));
  EXPECT_LE(best, 16) << ::testing::PrintToString(found.regions);
}

TEST(RegionsTest, FindsPictureInADarkViewerWindow) {
  const LumaImage pic = Picture("b007.jpg", 300, 220);
  Canvas c(512, 384, 40.0f);
  c.Fill(0, 0, 512, 28, 70.0f);  // toolbar with "icons"
  for (int i = 0; i < 8; ++i) c.Fill(10 + 30 * i, 6, 16, 16, 200.0f);
  c.Paste(pic, 106, 100);
  const RegionSearch found = FindRegions(c.px, c.width, c.height);
  EXPECT_LE(BestError(found, 106, 100, 300, 220), 3);
}

TEST(RegionsTest, ShrunkOutlineSearchPlacesSidesOnTheFullPicture) {
  // A picture on a page with a title bar, sides at odd pixels: the outline
  // search on the shrunk copy finds it, and each side lands on the full
  // picture's boundary as the full-resolution search places it.
  const LumaImage pic = Picture("b009.jpg", 241, 187);
  Canvas c(512, 512, 230.0f);
  c.Fill(0, 0, 512, 31, 60.0f);
  c.Paste(pic, 133, 91);
  c.Noise(3.0f, 5);
  RegionOptions full;
  full.outline_side = 0;
  const RegionSearch at_full = FindRegions(c.px, c.width, c.height, full);
  const RegionSearch shrunk = FindRegions(c.px, c.width, c.height);
  EXPECT_LE(BestError(at_full, 133, 91, 241, 187), 1)
      << ::testing::PrintToString(at_full.regions);
  EXPECT_LE(BestError(shrunk, 133, 91, 241, 187), 1)
      << ::testing::PrintToString(shrunk.regions);
}

TEST(RegionsTest, PictureWithoutBorderOrOutlineGetsNothing) {
  // Soft texture without straight lines: neither detector proposes
  // anything, and the same texture in a border is still found.
  Canvas c(512, 512, 0.0f);
  for (int y = 0; y < 512; ++y)
    for (int x = 0; x < 512; ++x)
      c.at(x, y) = 128.0f + 60.0f * std::sin(x / 23.0f + std::cos(y / 31.0f)) +
                   40.0f * std::cos(y / 17.0f + x / 53.0f);
  EXPECT_THAT(FindRegions(c.px, c.width, c.height).regions, IsEmpty());

  Canvas bordered(512, 512, 255.0f);
  for (int y = 40; y < 472; ++y)
    for (int x = 40; x < 472; ++x)
      bordered.at(x, y) = c.at(x * 512 / 432 - 47, y * 512 / 432 - 47);
  const RegionSearch found = FindRegions(bordered.px, 512, 512);
  ASSERT_FALSE(found.regions.empty());
  EXPECT_EQ(found.regions[0].kind, RegionKind::kUnbordered);
  EXPECT_LE(Error(found.regions[0], 40, 40, 432, 432), 2)
      << ::testing::PrintToString(found.regions);
}

TEST(RegionsTest, PlainPictureGetsNoUnborderedRegion) {
  const LumaImage pic = Picture("b008.jpg", 400, 300);
  const RegionSearch found = FindRegions(pic.pixels, pic.width, pic.height);
  for (const Region& r : found.regions)
    EXPECT_NE(r.kind, RegionKind::kUnbordered);
}

TEST(RegionsTest, BoundsCandidatesAndTheirSize) {
  // A 4 x 4 collage of pictures on white: many outlined rectangles.
  Canvas c(512, 512, 255.0f);
  const char* names[] = {"b001.jpg", "b002.jpg", "b003.jpg", "b004.jpg"};
  for (int k = 0; k < 16; ++k)
    c.Paste(Picture(names[k % 4], 112, 112), 12 + 125 * (k % 4),
            12 + 125 * (k / 4));
  RegionOptions options;
  options.max_regions = 3;
  options.min_area = 0.01;
  const RegionSearch found = FindRegions(c.px, c.width, c.height, options);
  EXPECT_THAT(found.regions, SizeIs(3));
  for (const Region& r : found.regions) {
    EXPECT_GE(r.width, options.min_side);
    EXPECT_GE(r.height, options.min_side);
    EXPECT_LE(r.x + r.width, c.width);
    EXPECT_LE(r.y + r.height, c.height);
  }
  options.max_regions = 0;
  EXPECT_THAT(FindRegions(c.px, c.width, c.height, options).regions, IsEmpty());
}

TEST(RegionsTest, DegenerateInputsSayWhatHappened) {
  // 1 x N and tiny pictures.
  std::vector<float> line(500, 100.0f);
  RegionSearch found = FindRegions(line, 1, 500);
  EXPECT_THAT(found.regions, IsEmpty());
  EXPECT_THAT(found.notes, ::testing::Contains(HasSubstr("too small")));
  found = FindRegions(line, 500, 1);
  EXPECT_THAT(found.regions, IsEmpty());

  // One colour: all border.
  Canvas flat(300, 300, 77.0f);
  found = FindRegions(flat.px, 300, 300);
  EXPECT_THAT(found.regions, IsEmpty());
  EXPECT_THAT(found.notes, ::testing::Contains(HasSubstr("only border")));

  // A frame around a flat inside: nothing inside the border, and no
  // candidate is the flat inside itself.
  Canvas frame(300, 300, 0.0f);
  frame.Fill(30, 30, 240, 240, 200.0f);
  found = FindRegions(frame.px, 300, 300);
  EXPECT_THAT(found.notes, ::testing::Contains(HasSubstr("only border")));
  for (const Region& r : found.regions) {
    EXPECT_EQ(r.kind, RegionKind::kRegion);
    EXPECT_GT(Error(r, 30, 30, 240, 240), 2) << ::testing::PrintToString(r);
    EXPECT_GE(std::min(r.width, r.height), RegionOptions().min_side);
  }

  // A picture inside a frame whose inside is flat but for the picture:
  // the flat mat is stripped as a nested border.
  Canvas matted(300, 300, 0.0f);
  matted.Fill(30, 30, 240, 240, 200.0f);
  matted.Paste(Picture("b012.jpg", 160, 160), 70, 70);
  EXPECT_LE(BestError(FindRegions(matted.px, 300, 300), 70, 70, 160, 160), 2);

  // Random noise, square and in a thin strip (shrunk for the outline
  // search to 256 x 48): nothing crashes, every candidate within bounds.
  for (const auto& [w, h] :
       std::vector<std::pair<int, int>>{{256, 256}, {512, 97}}) {
    Canvas noise(w, h, 128.0f);
    noise.Noise(127.0f, 3);
    noise.Fill(w / 3, 0, 2, h, 0.0f);  // a straight edge across the strip
    for (const Region& r : FindRegions(noise.px, w, h).regions) {
      EXPECT_GE(r.width, RegionOptions().min_side);
      EXPECT_GE(r.height, RegionOptions().min_side);
      EXPECT_LE(r.x + r.width, w);
      EXPECT_LE(r.y + r.height, h);
    }
  }
}

TEST(RegionsTest, HashImageHashesTheRecoveredPicture) {
  const std::string original =
      testing::ReadFileOrDie(testing::DemoPicture("b011.jpg"));
  const std::string bordered = testing::TransformImage(original, "border_jpeg");
  auto want = HashImage(original, {});
  ASSERT_TRUE(want.ok()) << want.status();

  HashOptions options;
  auto plain = HashImage(bordered, options);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_THAT(plain->regions, IsEmpty());  // off unless asked for
  EXPECT_GT(HammingDistance(plain->pdq.hash, want->pdq.hash), 31);

  options.recover = true;
  options.dihedral = true;
  auto recovered = HashImage(bordered, options);
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  EXPECT_EQ(recovered->pdq.hash, plain->pdq.hash);  // the whole is unchanged
  int best = 256;
  std::string path;
  for (const RegionHash& r : recovered->regions) {
    EXPECT_GE(r.pdq.quality, kMinReliableQuality);
    EXPECT_TRUE(r.pdq.has_dihedral);
    const int d = HammingDistance(r.pdq.hash, want->pdq.hash);
    if (d < best) best = d, path = r.path;
  }
  EXPECT_LE(best, 16);
  EXPECT_EQ(path, "unbordered");
}

TEST(RegionsTest, HashImageLeavesOutUnreliableRegions) {
  // A flat picture on a border: the inside would hash to noise.
  Canvas c(300, 300, 0.0f);
  c.Fill(40, 40, 220, 220, 180.0f);
  c.at(150, 150) = 190.0f;
  HashOptions options;
  options.recover = true;
  auto h = HashImage(EncodePng(c), options);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_THAT(h->regions, IsEmpty());
}

TEST(RegionsTest, CopyRegionCopiesTheRectangle) {
  Canvas c(10, 8, 0.0f);
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 10; ++x) c.at(x, y) = static_cast<float>(10 * y + x);
  std::vector<float> out;
  CopyRegion(c.px, 10, {RegionKind::kRegion, 3, 2, 4, 3}, &out);
  EXPECT_EQ(out, (std::vector<float>{23, 24, 25, 26, 33, 34, 35, 36, 43, 44, 45,
                                     46}));
}

TEST(RegionsTest, PathsAreInSourcePixels) {
  EXPECT_EQ(RegionPath({RegionKind::kUnbordered, 5, 5, 100, 100}, 512, 512,
                       2048, 1024),
            "unbordered");
  EXPECT_EQ(RegionPath({RegionKind::kRegion, 64, 128, 256, 128}, 512, 512, 2048,
                       1024),
            "region 256,256,1024,256");
}

}  // namespace
}  // namespace hashwatch::matcher
