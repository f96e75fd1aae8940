// Fast mode's shrink-on-load rule (DecodeOptions::min_fast_shrink): where
// it shrinks, and that mid-size JPEGs with sharp detail hash exactly as in
// compat mode.
#include <vips/vips.h>

#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "matcher/decode.h"
#include "matcher/hashes.h"
#include "matcher/internal/jpeg_luma.h"
#include "matcher/vips_init.h"
#include "tests/testing/status_matchers.h"

namespace hashwatch::matcher {
namespace {

using internal::JpegScaleNumerator;

// A page of dark "text": rows of short strokes one to three pixels wide on
// white, over a soft gradient, as JPEG quality 90. Fine detail of this kind
// is what a scaled IDCT averages away and nearest-neighbour sampling keeps.
std::string TextPageJpeg(int width, int height, uint32_t seed) {
  InitVips();
  std::mt19937 rng(seed);
  std::vector<uint8_t> px(static_cast<size_t>(width) * height);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      px[static_cast<size_t>(y) * width + x] =
          static_cast<uint8_t>(200 + 55 * x / width);
  for (int line = 12; line + 14 < height; line += 22) {
    for (int x = 10; x + 12 < width;) {
      const int glyph = 5 + static_cast<int>(rng() % 6);
      for (int stroke = 0; stroke < 3; ++stroke) {
        const int thick = 1 + static_cast<int>(rng() % 3);
        const bool upright = rng() % 2 == 0;
        const int sx = x + static_cast<int>(rng() % glyph);
        for (int i = 0; i < (upright ? 12 : glyph); ++i)
          for (int t = 0; t < thick; ++t) {
            const int px_x = upright ? sx + t : x + i;
            const int px_y = upright ? line + i : line + 6 + t;
            px[static_cast<size_t>(px_y) * width + px_x] = 20;
          }
      }
      x += glyph + 4 + static_cast<int>(rng() % 3) * 6;
    }
  }
  VipsImage* img = vips_image_new_from_memory_copy(
      px.data(), px.size(), width, height, 1, VIPS_FORMAT_UCHAR);
  void* buf = nullptr;
  size_t len = 0;
  EXPECT_EQ(vips_jpegsave_buffer(img, &buf, &len, "Q", 90, nullptr), 0);
  g_object_unref(img);
  std::string out(static_cast<const char*>(buf), len);
  g_free(buf);
  return out;
}

absl::StatusOr<ImageHashes> HashIn(const std::string& jpeg, DecodeMode mode,
                                   int min_fast_shrink = 2) {
  HashOptions options;
  options.digests = false;
  options.decode.mode = mode;
  options.decode.min_fast_shrink = min_fast_shrink;
  return HashImage(jpeg, options);
}

TEST(FastDecodeTest, MidSizeJpegsHashExactlyAsInCompatMode) {
  int moved_by_shrink = 0;
  for (const auto& [w, h] : std::vector<std::pair<int, int>>{
           {700, 700}, {768, 768}, {900, 675}, {1000, 750}, {1100, 825}}) {
    const std::string jpeg = TextPageJpeg(w, h, w);
    ASSERT_OK_AND_ASSIGN(ImageHashes compat, HashIn(jpeg, DecodeMode::kCompat));
    ASSERT_OK_AND_ASSIGN(ImageHashes fast, HashIn(jpeg, DecodeMode::kFast));
    EXPECT_EQ(fast.pdq.hash, compat.pdq.hash) << w << "x" << h;
    EXPECT_EQ(fast.pdq.quality, compat.pdq.quality) << w << "x" << h;
    // The pictures are ones a shrink on load would change.
    ASSERT_OK_AND_ASSIGN(ImageHashes shrunk, HashIn(jpeg, DecodeMode::kFast,
                                                    /*min_fast_shrink=*/1));
    moved_by_shrink += HammingDistance(shrunk.pdq.hash, compat.pdq.hash) > 0;
  }
  EXPECT_GE(moved_by_shrink, 3);
}

TEST(FastDecodeTest, ShrinksOnlyToHalfSizeOrLess) {
  DecodeOptions fast;
  EXPECT_EQ(JpegScaleNumerator(4000, 3000, fast), 2);  // 1000 x 750
  EXPECT_EQ(JpegScaleNumerator(2048, 1536, fast), 3);  // 768 x 576
  EXPECT_EQ(JpegScaleNumerator(1100, 1100, fast), 4);  // 550 x 550
  EXPECT_EQ(JpegScaleNumerator(1024, 768, fast), 8);   // 6/8 would do
  EXPECT_EQ(JpegScaleNumerator(768, 768, fast), 8);
  EXPECT_EQ(JpegScaleNumerator(1023, 1023, fast), 4);  // 512 x 512
  EXPECT_EQ(JpegScaleNumerator(512, 512, fast), 8);
  // A side of 512 or less is never shrunk: the resize stretches it.
  EXPECT_EQ(JpegScaleNumerator(4000, 400, fast), 8);
  DecodeOptions any = fast;
  any.min_fast_shrink = 1;
  EXPECT_EQ(JpegScaleNumerator(1024, 768, any), 6);
  EXPECT_EQ(JpegScaleNumerator(768, 768, any), 6);  // 576 x 576
  EXPECT_EQ(JpegScaleNumerator(768, 576, any), 8);  // 7/8 leaves 504 rows
  DecodeOptions compat;
  compat.mode = DecodeMode::kCompat;
  EXPECT_EQ(JpegScaleNumerator(4000, 3000, compat), 8);
}

TEST(FastDecodeTest, BadShrinkOptionIsRefused) {
  DecodeOptions options;
  for (int bad : {0, 9, -1}) {
    options.min_fast_shrink = bad;
    EXPECT_EQ(ValidateDecodeOptions(options).code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

}  // namespace
}  // namespace hashwatch::matcher
