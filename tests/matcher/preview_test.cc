#include "matcher/preview.h"

#include <vips/vips.h>
// After vips.h, which it needs; not included by it.
#include <vips/vector.h>

#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testing/images.h"
#include "tests/testing/paths.h"
#include "tests/testing/status_matchers.h"

namespace hashwatch::matcher {
namespace {

using ::hashwatch::testing::StatusIs;

struct Decoded {
  int width = 0, height = 0, bands = 0;
  double detail = 0;  // mean absolute difference of horizontal neighbours
};

Decoded Inspect(const std::string& jpeg) {
  Decoded d;
  VipsImage* img =
      vips_image_new_from_buffer(jpeg.data(), jpeg.size(), "", nullptr);
  EXPECT_NE(img, nullptr);
  if (img == nullptr) return d;
  d.width = vips_image_get_width(img);
  d.height = vips_image_get_height(img);
  d.bands = vips_image_get_bands(img);
  size_t size = 0;
  auto* px = static_cast<uint8_t*>(vips_image_write_to_memory(img, &size));
  double sum = 0;
  for (int y = 0; y < d.height; ++y) {
    for (int x = 0; x + 1 < d.width; ++x) {
      const size_t i = (static_cast<size_t>(y) * d.width + x) * d.bands;
      sum += std::abs(px[i] - px[i + d.bands]);
    }
  }
  d.detail = sum / (static_cast<double>(d.height) * (d.width - 1));
  g_free(px);
  g_object_unref(img);
  return d;
}

TEST(PreviewTest, DefaultIsSmallGreyAndBlurred) {
  const std::string photo = testing::ReadFileOrDie(
      testing::PdqTestImage("dih-bridge-1-original.jpg"));
  ASSERT_OK_AND_ASSIGN(std::string blurred, MakePreview(photo, {}));
  PreviewOptions reveal;
  reveal.blur = false;
  reveal.greyscale = false;
  ASSERT_OK_AND_ASSIGN(std::string sharp, MakePreview(photo, reveal));
  const Decoded b = Inspect(blurred), s = Inspect(sharp);
  EXPECT_LE(std::max(b.width, b.height), 256);
  EXPECT_EQ(std::max(b.width, b.height), 256);
  EXPECT_EQ(b.bands, 1);
  EXPECT_EQ(s.bands, 3);
  // Blurring removes most neighbour-to-neighbour detail.
  EXPECT_LT(b.detail, s.detail / 2) << b.detail << " vs " << s.detail;
}

TEST(PreviewTest, SmallImagesAreNotUpscaledAndAlphaIsFlattened) {
  const std::string png =
      testing::WithAlphaPng(testing::MakePattern(100, 60, 3, ".png"));
  ASSERT_OK_AND_ASSIGN(std::string p, MakePreview(png, {}));
  const Decoded d = Inspect(p);
  EXPECT_EQ(d.width, 100);
  EXPECT_EQ(d.height, 60);
}

// The server blurs previews for concurrent scans: libvips' liborc code
// (which crashed under concurrent blurs) is off, and previews made from many
// threads at once are the single-threaded preview, byte for byte.
TEST(PreviewTest, PreviewsFromManyThreadsAtOnceAreIdentical) {
  const std::string jpeg = testing::MakePattern(640, 480, 3, ".jpg");
  ASSERT_OK_AND_ASSIGN(const std::string expected, MakePreview(jpeg, {}));
  EXPECT_FALSE(vips_vector_isenabled());
  std::vector<std::thread> threads;
  std::vector<int> differing(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        absl::StatusOr<std::string> p = MakePreview(jpeg, {});
        if (!p.ok() || *p != expected) ++differing[t];
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(differing, std::vector<int>(4, 0));
}

TEST(PreviewTest, BadInputAndLimitsAreErrors) {
  EXPECT_THAT(MakePreview("not an image", {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MakePreview("", {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  DecodeOptions limits;
  limits.max_pixels = 100;
  EXPECT_THAT(MakePreview(testing::MakePattern(100, 60, 3, ".png"), {}, limits),
              StatusIs(absl::StatusCode::kResourceExhausted));
  PreviewOptions bad;
  bad.max_side = 4;
  EXPECT_THAT(MakePreview(testing::MakePattern(100, 60, 3, ".png"), bad),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace hashwatch::matcher
