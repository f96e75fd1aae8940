#include "matcher/own_signature.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/core.hpp"
#include "opencv2/imgproc.hpp"
#include "tests/testing/images.h"

namespace hashwatch::matcher {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// A grey picture full of corners: overlapping shapes of random greys on a
// gradient, different for every seed.
cv::Mat Textured(int seed, int width = 640, int height = 480) {
  cv::RNG rng(static_cast<uint64_t>(seed) * 7919 + 1);
  cv::Mat m(height, width, CV_8U);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x)
      m.at<uint8_t>(y, x) =
          static_cast<uint8_t>(60 + 80 * x / width + 40 * y / height);
  }
  for (int k = 0; k < 70; ++k) {
    const cv::Point c(rng.uniform(0, width), rng.uniform(0, height));
    const cv::Scalar grey(rng.uniform(0, 256));
    switch (rng.uniform(0, 3)) {
      case 0:
        cv::circle(m, c, rng.uniform(6, 50), grey, cv::FILLED, cv::LINE_AA);
        break;
      case 1:
        cv::rectangle(m, c,
                      c + cv::Point(rng.uniform(10, 90), rng.uniform(10, 90)),
                      grey, cv::FILLED);
        break;
      default: {
        std::vector<cv::Point> poly;
        for (int v = 0; v < 4; ++v)
          poly.push_back(c +
                         cv::Point(rng.uniform(-60, 60), rng.uniform(-60, 60)));
        cv::fillPoly(m, std::vector<std::vector<cv::Point>>{poly}, grey,
                     cv::LINE_AA);
      }
    }
  }
  return m;
}

std::string Jpeg(const cv::Mat& grey, int quality = 90) {
  const cv::Mat packed = grey.isContinuous() ? grey : grey.clone();
  return hashwatch::testing::GreyJpeg(packed.data, packed.cols, packed.rows,
                                      quality);
}

cv::Mat Crop(const cv::Mat& m, double cut, double ox, double oy) {
  const int w = static_cast<int>(m.cols * (1 - cut));
  const int h = static_cast<int>(m.rows * (1 - cut));
  const int x = static_cast<int>((m.cols - w) * ox);
  const int y = static_cast<int>((m.rows - h) * oy);
  return m(cv::Rect(x, y, w, h)).clone();
}

void Text(cv::Mat& m, const std::string& text, cv::Point at, double scale) {
  cv::putText(m, text, at, cv::FONT_HERSHEY_DUPLEX, scale, cv::Scalar(0),
              static_cast<int>(scale * 6), cv::LINE_AA);
  cv::putText(m, text, at, cv::FONT_HERSHEY_DUPLEX, scale, cv::Scalar(255),
              static_cast<int>(scale * 2.5), cv::LINE_AA);
}

// A meme-style caption: one line at the top, one at the bottom.
cv::Mat Caption(const cv::Mat& m, const std::string& top,
                const std::string& bottom) {
  cv::Mat out = m.clone();
  const double scale = m.cols / 420.0;
  Text(out, top, {m.cols / 20, m.rows * 12 / 100}, scale);
  Text(out, bottom, {m.cols / 20, m.rows * 95 / 100}, scale);
  return out;
}

// Semi-transparent text in the bottom-right corner.
cv::Mat Watermark(const cv::Mat& m, const std::string& text) {
  cv::Mat layer = m.clone();
  Text(layer, text, {m.cols * 58 / 100, m.rows * 94 / 100}, m.cols / 700.0);
  cv::Mat out;
  cv::addWeighted(layer, 0.55, m, 0.45, 0, out);
  return out;
}

cv::Mat Rotate(const cv::Mat& m, double degrees) {
  const cv::Mat r = cv::getRotationMatrix2D(
      cv::Point2f(m.cols / 2.0f, m.rows / 2.0f), degrees, 1.0);
  cv::Mat out;
  cv::warpAffine(m, out, r, m.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT,
                 cv::Scalar(0));
  return out;
}

OwnSignature Sign(const cv::Mat& m) {
  absl::StatusOr<OwnSignature> s = ComputeOwnSignature(Jpeg(m));
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : OwnSignature{};
}

bool Matches(const cv::Mat& stored, const cv::Mat& query) {
  const OwnVerification v = VerifyOwnSignatures(Sign(stored), Sign(query));
  return IsOwnMatch(v, OwnMatchOptions{});
}

TEST(OwnSignatureTest, EditedCopiesMatchTheirPicture) {
  for (int seed : {1, 2, 3}) {
    SCOPED_TRACE(seed);
    const cv::Mat a = Textured(seed);
    EXPECT_TRUE(Matches(a, a));
    EXPECT_TRUE(Matches(a, Crop(a, 0.20, 0.3, 0.8))) << "crop 20%";
    EXPECT_TRUE(Matches(a, Caption(a, "WHEN THE BUILD", "FINALLY PASSES")))
        << "caption";
    EXPECT_TRUE(Matches(a, Watermark(a, "(c) 2026 photos"))) << "watermark";
    EXPECT_TRUE(Matches(a, Rotate(a, 5))) << "rotated 5 degrees";
    cv::Mat small;
    cv::resize(
        Rotate(Caption(Crop(a, 0.2, 1, 0), "ME ON MONDAY", "ALSO ME"), -4),
        small, {}, 0.6, 0.6, cv::INTER_AREA);
    EXPECT_TRUE(Matches(a, small)) << "crop, caption, rotation, downscale";
  }
}

TEST(OwnSignatureTest, DifferentPicturesUnderTheSameOverlayDoNotMatch) {
  for (int seed : {1, 2, 3}) {
    SCOPED_TRACE(seed);
    const cv::Mat a = Textured(seed), b = Textured(seed + 100);
    EXPECT_FALSE(Matches(a, b));
    EXPECT_FALSE(Matches(a, Caption(b, "WHEN THE BUILD", "FINALLY PASSES")));
    // The stored item itself carries the caption or the watermark that the
    // other picture carries too: the shared text must not be enough.
    EXPECT_FALSE(Matches(Caption(a, "WHEN THE BUILD", "FINALLY PASSES"),
                         Caption(b, "WHEN THE BUILD", "FINALLY PASSES")));
    EXPECT_FALSE(Matches(Watermark(a, "(c) 2026 photos"),
                         Watermark(b, "(c) 2026 photos")));
    // What the shared caption lines up stays out of the centre.
    const OwnVerification shared = VerifyOwnSignatures(
        Sign(Caption(a, "WHEN THE BUILD", "FINALLY PASSES")),
        Sign(Caption(b, "WHEN THE BUILD", "FINALLY PASSES")));
    EXPECT_LT(shared.central, OwnMatchOptions{}.min_central);
  }
}

TEST(OwnSignatureTest, IndexFindsCopiesWithoutComparingEverything) {
  OwnSignatureIndex index;
  for (int seed = 1; seed <= 20; ++seed)
    ASSERT_TRUE(index.Add(seed, Sign(Textured(seed))).ok());
  EXPECT_EQ(index.size(), 20u);
  const cv::Mat seven = Textured(7);
  std::vector<OwnMatch> found =
      index.Search(Sign(Rotate(Crop(seven, 0.2, 0.5, 0.5), 3)));
  ASSERT_THAT(found, SizeIs(1));
  EXPECT_EQ(found[0].id, 7u);
  EXPECT_GE(found[0].verification.inliers, OwnMatchOptions{}.min_inliers);
  EXPECT_NEAR(found[0].verification.rotation_degrees, -3, 1.5);
  EXPECT_THAT(index.Search(Sign(Textured(77))), IsEmpty());

  // Adding a picture again replaces it; removing it forgets it.
  ASSERT_TRUE(index.Add(7, Sign(seven)).ok());
  EXPECT_EQ(index.size(), 20u);
  EXPECT_TRUE(index.Remove(7));
  EXPECT_FALSE(index.Remove(7));
  EXPECT_EQ(index.size(), 19u);
  EXPECT_THAT(index.Search(Sign(seven)), IsEmpty());
  // Its slot is reused by the next picture.
  ASSERT_TRUE(index.Add(42, Sign(seven)).ok());
  found = index.Search(Sign(seven));
  ASSERT_THAT(found, SizeIs(1));
  EXPECT_EQ(found[0].id, 42u);

  absl::Status empty = index.Add(5, OwnSignature{});
  EXPECT_EQ(empty.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_GT(index.MemoryBytes(), 0u);
}

TEST(OwnSignatureTest, IndexServesSearchesWhileItChanges) {
  OwnSignatureIndex index;
  std::vector<OwnSignature> sigs;
  for (int seed = 1; seed <= 6; ++seed) sigs.push_back(Sign(Textured(seed)));
  for (int k = 0; k < 3; ++k) ASSERT_TRUE(index.Add(k, sigs[k]).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0}, found{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      do {  // at least one search each, however the threads are scheduled
        for (const OwnMatch& m : index.Search(sigs[t])) {
          if (m.id == static_cast<uint64_t>(t)) {
            ++found;
          } else {
            ++wrong;
          }
        }
      } while (!stop.load());
    });
  }
  // Pictures 3..5 come and go while 0..2 are searched for.
  for (int round = 0; round < 20; ++round) {
    for (int k = 3; k < 6; ++k) ASSERT_TRUE(index.Add(k, sigs[k]).ok());
    for (int k = 3; k < 6; ++k) EXPECT_TRUE(index.Remove(k));
  }
  stop = true;
  for (std::thread& r : readers) r.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GE(found.load(), 3);
  EXPECT_EQ(index.size(), 3u);
}

TEST(OwnSignatureTest, DegeneratePicturesGiveAClearError) {
  const cv::Mat flat(300, 300, CV_8U, cv::Scalar(128));
  absl::StatusOr<OwnSignature> s = ComputeOwnSignature(Jpeg(flat));
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(), HasSubstr("too little detail"));

  for (cv::Size size : {cv::Size(1, 300), cv::Size(300, 1), cv::Size(40, 40),
                        cv::Size(63, 500)}) {
    s = ComputeOwnSignature(Jpeg(Textured(1, size.width, size.height)));
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(s.status().message(), HasSubstr("at least 64 pixels"));
  }
  EXPECT_EQ(ComputeOwnSignature("").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ComputeOwnSignature("not a picture at all").status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::string jpeg = Jpeg(Textured(1));
  EXPECT_FALSE(ComputeOwnSignature(jpeg.substr(0, jpeg.size() / 3)).ok());

  std::vector<float> luma(10 * 10, 50.0f);
  EXPECT_EQ(ComputeOwnSignatureFromLuma(luma, 10, 11).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ComputeOwnSignatureFromLuma(luma, 10, 10).status().message(),
              HasSubstr("at least 64 pixels"));
  std::vector<float> flat_luma(200 * 100, 50.0f);
  EXPECT_THAT(
      ComputeOwnSignatureFromLuma(flat_luma, 200, 100).status().message(),
      HasSubstr("too little detail"));

  OwnSignatureOptions bounded;
  bounded.decode.max_pixels = 100 * 100;  // the scan's decode limits apply
  EXPECT_EQ(ComputeOwnSignature(jpeg, bounded).status().code(),
            absl::StatusCode::kResourceExhausted);

  OwnSignatureOptions bad;
  bad.analysis_side = 50;
  EXPECT_THAT(ComputeOwnSignature(jpeg, bad).status().message(),
              HasSubstr("analysis_side"));
}

TEST(OwnSignatureTest, LumaAndBytesGiveMatchingSignatures) {
  const cv::Mat a = Textured(4);
  cv::Mat f;
  a.convertTo(f, CV_32F);
  absl::StatusOr<OwnSignature> from_luma = ComputeOwnSignatureFromLuma(
      absl::MakeConstSpan(f.ptr<float>(), f.total()), f.cols, f.rows);
  ASSERT_TRUE(from_luma.ok()) << from_luma.status();
  EXPECT_EQ(from_luma->width, 512);
  EXPECT_EQ(from_luma->height, 384);
  EXPECT_LE(from_luma->features.size(), 256u);
  EXPECT_TRUE(
      IsOwnMatch(VerifyOwnSignatures(Sign(a), *from_luma), OwnMatchOptions{}));
}

TEST(OwnSignatureTest, ScanLumaIsBroughtBackToThePicturesShape) {
  // A scan's decode of an 800 x 400 picture: 512 x 512, squeezed.
  const cv::Mat a = Textured(6, 800, 400);
  cv::Mat squeezed;
  cv::resize(a, squeezed, {512, 512}, 0, 0, cv::INTER_NEAREST);
  LumaImage luma;
  luma.width = luma.height = 512;
  luma.source_width = 800;
  luma.source_height = 400;
  squeezed.convertTo(squeezed, CV_32F);
  luma.pixels.assign(squeezed.ptr<float>(), squeezed.ptr<float>() + 512 * 512);
  absl::StatusOr<OwnSignature> s = ComputeOwnSignatureFromLuma(luma);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->width, 512);
  EXPECT_EQ(s->height, 256);
  const OwnVerification v = VerifyOwnSignatures(Sign(a), *s);
  EXPECT_TRUE(IsOwnMatch(v, OwnMatchOptions{}));
  EXPECT_NEAR(v.scale, 1.0, 0.05);

  luma.pixels.pop_back();
  EXPECT_EQ(ComputeOwnSignatureFromLuma(luma).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(OwnSignatureTest, SerializeRoundTripsAndParseRefusesBadBytes) {
  const OwnSignature s = Sign(Textured(5));
  ASSERT_THAT(s.features, SizeIs(256));
  const std::string bytes = s.Serialize();
  EXPECT_EQ(bytes.size(), 11u + 36u * s.features.size());
  absl::StatusOr<OwnSignature> back = OwnSignature::Parse(bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->width, s.width);
  EXPECT_EQ(back->height, s.height);
  ASSERT_THAT(back->features, SizeIs(s.features.size()));
  for (size_t i = 0; i < s.features.size(); ++i) {
    EXPECT_NEAR(back->features[i].x, s.features[i].x, 1.0 / 32);
    EXPECT_NEAR(back->features[i].y, s.features[i].y, 1.0 / 32);
    EXPECT_EQ(back->features[i].descriptor, s.features[i].descriptor);
  }
  EXPECT_EQ(back->Serialize(), bytes);

  for (size_t n = 0; n < bytes.size(); n += 7) {
    EXPECT_FALSE(OwnSignature::Parse(bytes.substr(0, n)).ok()) << n;
  }
  EXPECT_EQ(OwnSignature::Parse(bytes + "x").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(OwnSignature::Parse(bytes.substr(0, 20)).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(OwnSignature::Parse("garbage bytes here").status().code(),
            absl::StatusCode::kInvalidArgument);
  std::string version = bytes;
  version[4] = 9;
  EXPECT_THAT(OwnSignature::Parse(version).status().message(),
              HasSubstr("version 9"));
  std::string outside = bytes;
  outside[11] = '\xff';  // first feature's x: 4095.9 px, outside the picture
  outside[12] = '\xff';
  EXPECT_EQ(OwnSignature::Parse(outside).status().code(),
            absl::StatusCode::kDataLoss);
  std::string zero = bytes;
  zero[5] = zero[6] = 0;  // width 0
  EXPECT_EQ(OwnSignature::Parse(zero).status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace hashwatch::matcher
