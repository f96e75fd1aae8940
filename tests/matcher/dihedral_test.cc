// The DCT-domain dihedral variants against real rotations and mirrors made
// with libvips.
#include <string>

#include "gtest/gtest.h"
#include "matcher/hashes.h"
#include "tests/testing/images.h"
#include "tests/testing/paths.h"
#include "tests/testing/status_matchers.h"

namespace hashwatch::matcher {
namespace {

struct Case {
  const char* vips_op;
  Dihedral variant;
};

class DihedralTest : public ::testing::TestWithParam<Case> {};

TEST_P(DihedralTest, RealTransformHashesNearItsVariant) {
  const std::string original = testing::ReadFileOrDie(
      testing::PdqTestImage("dih-bridge-1-original.jpg"));
  HashOptions options;
  options.dihedral = true;
  options.decode.mode = DecodeMode::kCompat;
  ASSERT_OK_AND_ASSIGN(ImageHashes base, HashImage(original, options));
  const std::string transformed =
      testing::TransformImage(original, GetParam().vips_op);
  ASSERT_OK_AND_ASSIGN(ImageHashes moved, HashImage(transformed, options));

  const int want = static_cast<int>(GetParam().variant);
  const int d_want = HammingDistance(moved.pdq.hash, base.pdq.dihedral[want]);
  EXPECT_LE(d_want, 20) << GetParam().vips_op;
  // And it is the closest of the eight by a clear margin.
  for (int v = 0; v < kNumDihedral; ++v) {
    if (v == want) continue;
    EXPECT_GT(HammingDistance(moved.pdq.hash, base.pdq.dihedral[v]),
              d_want + 20)
        << GetParam().vips_op << " vs "
        << DihedralName(static_cast<Dihedral>(v));
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllTransforms, DihedralTest,
    // libvips rotates clockwise; PDQ's rotate90 is counter-clockwise.
    ::testing::Values(Case{"rot90", Dihedral::kRotate270},
                      Case{"rot180", Dihedral::kRotate180},
                      Case{"rot270", Dihedral::kRotate90},
                      Case{"flipv", Dihedral::kFlipX},
                      Case{"fliph", Dihedral::kFlipY},
                      Case{"transpose", Dihedral::kFlipPlus1},
                      Case{"antitranspose", Dihedral::kFlipMinus1}),
    [](const auto& info) { return std::string(info.param.vips_op); });

}  // namespace
}  // namespace hashwatch::matcher
