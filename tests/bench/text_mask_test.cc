#include "bench/eval/internal/text_mask.h"

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/eval/transforms.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/bench/pictures.h"
#include "tests/testing/status_matchers.h"

namespace hashwatch::bench::internal {
namespace {

using ::hashwatch::testing::MakePicture;
using ::hashwatch::testing::StatusIs;

TEST(TextMaskTest, InkFillsTheBoxAsFarAsTheTextAllows) {
  for (const auto& [w, h] :
       {std::pair{400, 40}, std::pair{90, 60}, std::pair{1200, 18}}) {
    SCOPED_TRACE(absl::StrCat(w, "x", h));
    ASSERT_OK_AND_ASSIGN(TextMaskPixels m,
                         RenderTextMask("WHEN THE BUILD", "DejaVu Sans", w, h));
    EXPECT_LE(m.width, w);
    EXPECT_LE(m.height, h);
    // As large as fits: one side nearly touches the box.
    EXPECT_TRUE(m.width >= w * 9 / 10 || m.height >= h * 9 / 10)
        << m.width << "x" << m.height;
    ASSERT_EQ(m.coverage.size(), static_cast<size_t>(m.width) * m.height);
    EXPECT_EQ(*std::max_element(m.coverage.begin(), m.coverage.end()), 255);
    EXPECT_TRUE(std::count(m.coverage.begin(), m.coverage.end(), 0) > 0);
  }
}

TEST(TextMaskTest, SameInputsGiveTheSameMask) {
  ASSERT_OK_AND_ASSIGN(
      TextMaskPixels a,
      RenderTextMask("\u00a9 2026 photos", "DejaVu Sans", 300, 30));
  ASSERT_OK_AND_ASSIGN(
      TextMaskPixels b,
      RenderTextMask("\u00a9 2026 photos", "DejaVu Sans", 300, 30));
  EXPECT_EQ(a.width, b.width);
  EXPECT_EQ(a.height, b.height);
  EXPECT_TRUE(a.coverage == b.coverage);
}

TEST(TextMaskTest, EmptyTextOrBoxIsInvalid) {
  EXPECT_THAT(RenderTextMask("", "DejaVu Sans", 100, 20),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(RenderTextMask("SAMPLE", "DejaVu Sans", 0, 20),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(RenderTextMask("   ", "DejaVu Sans", 100, 20),
              StatusIs(absl::StatusCode::kInvalidArgument));  // no ink
}

// The text and blur transforms from several threads at once, many sizes
// each. With vips_text (Pango) this died with SIGFPE in GLib's hash table
// within a few hundred captions (cairo under one lock has nothing to race);
// with libvips' liborc SIMD on, the blurs (and the text halo) died with
// SIGSEGV inside orc's generated code in about one run of 40
// (internal/vips_util.h, InitVipsForEval).
TEST(TextMaskTest, TextAndBlurTransformsRunFromManyThreadsAtOnce) {
  std::vector<TransformSpec> text;
  for (const TransformSpec& t : AllTransforms()) {
    if (t.family == "overlay" || t.family == "blur_noise" ||
        t.name == "combo_screenshot" || t.name == "combo_grey_blur_q70") {
      text.push_back(t);
    }
  }
  ASSERT_GE(text.size(), 6u);
  constexpr int kThreads = 4, kPictures = 6;
  std::vector<SourcePicture> sources;
  for (int i = 0; i < kThreads * kPictures; ++i) {
    ASSERT_OK_AND_ASSIGN(SourcePicture s, SourcePicture::Decode(MakePicture(
                                              i, 64 + 9 * i, 48 + 7 * i)));
    sources.push_back(std::move(s));
  }
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> pool;
  for (int w = 0; w < kThreads; ++w) {
    pool.emplace_back([&, w] {
      for (int i = 0; i < kPictures; ++i) {
        for (const TransformSpec& t : text) {
          for (uint64_t seed = 0; seed < 3; ++seed) {
            failures[w] +=
                !ApplyTransform(sources[w * kPictures + i], t, seed).ok();
          }
        }
      }
    });
  }
  for (std::thread& t : pool) t.join();
  for (int w = 0; w < kThreads; ++w) EXPECT_EQ(failures[w], 0) << w;
}

}  // namespace
}  // namespace hashwatch::bench::internal
