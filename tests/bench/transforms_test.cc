#include "bench/eval/transforms.h"

#include <vips/vips.h>
// After vips.h, which it needs and does not include.
#include <vips/vector.h>

#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "matcher/hashes.h"
#include "tests/bench/pictures.h"
#include "tests/testing/status_matchers.h"

namespace hashwatch::bench {
namespace {

using ::hashwatch::testing::MakePicture;
using ::hashwatch::testing::StatusIs;
using ::testing::HasSubstr;

// Decodes with the matcher's own decoder (what the sweep hashes with) and
// returns the declared size.
PictureSize DecodedSize(const std::string& bytes) {
  matcher::HashOptions o;
  o.digests = false;
  absl::StatusOr<matcher::ImageHashes> h = matcher::HashImage(bytes, o);
  EXPECT_OK(h);
  return h.ok() ? PictureSize{h->width, h->height} : PictureSize{};
}

TEST(TransformsTest, EveryTransformDecodesAtTheExpectedSize) {
  // An even and an odd, portrait size: rounding and rotation both show.
  for (const auto& [w, h] : {std::pair{320, 240}, std::pair{173, 251}}) {
    ASSERT_OK_AND_ASSIGN(SourcePicture src,
                         SourcePicture::Decode(MakePicture(7, w, h)));
    ASSERT_EQ(src.width(), w);
    ASSERT_EQ(src.height(), h);
    for (const TransformSpec& t : AllTransforms()) {
      SCOPED_TRACE(std::string(t.name));
      ASSERT_OK_AND_ASSIGN(TransformedImage out, ApplyTransform(src, t, 42));
      const PictureSize want = ExpectedSize(t, w, h);
      EXPECT_EQ(DecodedSize(out.bytes), want);
      EXPECT_EQ((PictureSize{out.width, out.height}), want);
      EXPECT_OK(
          SourcePicture::Decode(out.bytes).status());  // libvips reads it too
    }
  }
}

// Debian 12's liborc (0.4.33) crashes when convolutions are built and run
// on several threads at once, so the evaluation tools run libvips without
// it (bench/eval/internal/vips_util.h).
TEST(TransformsTest, LibvipsSimdIsOffOnceAPictureIsDecoded) {
  ASSERT_OK(SourcePicture::Decode(MakePicture(5, 64, 48)).status());
  EXPECT_FALSE(vips_vector_isenabled());
}

TEST(TransformsTest, OutputIsByteIdenticalForTheSameSeed) {
  ASSERT_OK_AND_ASSIGN(SourcePicture src,
                       SourcePicture::Decode(MakePicture(3, 200, 150)));
  ASSERT_OK_AND_ASSIGN(SourcePicture again,
                       SourcePicture::Decode(MakePicture(3, 200, 150)));
  for (const TransformSpec& t : AllTransforms()) {
    SCOPED_TRACE(std::string(t.name));
    ASSERT_OK_AND_ASSIGN(TransformedImage a, ApplyTransform(src, t, 99));
    ASSERT_OK_AND_ASSIGN(TransformedImage b, ApplyTransform(again, t, 99));
    EXPECT_TRUE(a.bytes == b.bytes);
  }
}

TEST(TransformsTest, SeedChangesTheRandomChoices) {
  ASSERT_OK_AND_ASSIGN(SourcePicture src,
                       SourcePicture::Decode(MakePicture(3, 200, 150)));
  for (absl::string_view name : {"noise_8", "crop_20"}) {
    ASSERT_OK_AND_ASSIGN(TransformSpec t, FindTransform(name));
    ASSERT_OK_AND_ASSIGN(TransformedImage a, ApplyTransform(src, t, 1));
    ASSERT_OK_AND_ASSIGN(TransformedImage b, ApplyTransform(src, t, 2));
    EXPECT_NE(a.bytes, b.bytes) << name;
  }
}

TEST(TransformsTest, OriginalIsTheSourceBytes) {
  const std::string png = MakePicture(5, 64, 48, ".png");
  ASSERT_OK_AND_ASSIGN(SourcePicture src, SourcePicture::Decode(png));
  ASSERT_OK_AND_ASSIGN(TransformSpec t, FindTransform("original"));
  ASSERT_OK_AND_ASSIGN(TransformedImage out, ApplyTransform(src, t, 1));
  EXPECT_EQ(out.bytes, png);
  EXPECT_EQ(out.extension, "png");
}

TEST(TransformsTest, ExpectedSizeArithmetic) {
  auto size = [](absl::string_view name, int w, int h) {
    absl::StatusOr<TransformSpec> t = FindTransform(name);
    EXPECT_OK(t);
    return ExpectedSize(*t, w, h);
  };
  EXPECT_EQ(size("rot90", 100, 50), (PictureSize{50, 100}));
  EXPECT_EQ(size("rot180", 100, 50), (PictureSize{100, 50}));
  EXPECT_EQ(size("scale_50", 333, 101),
            (PictureSize{167, 51}));  // lround(166.5), lround(50.5)
  EXPECT_EQ(size("scale_25", 3, 3),
            (PictureSize{1, 1}));  // never below one pixel
  EXPECT_EQ(size("crop_10", 100, 50), (PictureSize{90, 45}));
  EXPECT_EQ(size("border_8", 100, 50), (PictureSize{108, 58}));
  EXPECT_EQ(size("letterbox", 100, 50), (PictureSize{100, 100}));
  EXPECT_EQ(size("thumb_256", 1024, 512), (PictureSize{256, 128}));
  EXPECT_EQ(size("thumb_256", 100, 50),
            (PictureSize{100, 50}));  // never enlarges
  EXPECT_EQ(size("aspect_75", 100, 50), (PictureSize{75, 50}));
  EXPECT_EQ(size("combo_rot90_thumb", 1024, 512), (PictureSize{128, 256}));
  EXPECT_EQ(size("combo_crop_scale_q70", 200, 100), (PictureSize{90, 45}));
}

TEST(TransformsTest, NamesAreUniqueAndFamiliesListed) {
  std::set<absl::string_view> names;
  for (const TransformSpec& t : AllTransforms()) {
    EXPECT_TRUE(names.insert(t.name).second) << t.name;
    EXPECT_FALSE(t.description.empty()) << t.name;
  }
  EXPECT_GE(names.size(), 30u);
  EXPECT_THAT(TransformFamilies(), ::testing::Contains("combo"));
}

TEST(TransformsTest, BadInputs) {
  EXPECT_THAT(SourcePicture::Decode(""),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      SourcePicture::Decode("not a picture at all"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("decode")));
  EXPECT_THAT(FindTransform("sepia"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("sepia")));
}

TEST(TransformsTest, StableHashIsPinned) {
  // The split and every seed depend on these values: they must not change
  // between releases or platforms.
  EXPECT_EQ(StableHash("b001.jpg", 1), 0x108800db3b283716ull);
  EXPECT_EQ(StableHash("", 0), 0xf52a15e9a9b5e89bull);
  EXPECT_NE(StableHash("b001.jpg", 1), StableHash("b001.jpg", 2));
}

}  // namespace
}  // namespace hashwatch::bench
