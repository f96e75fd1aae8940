#include "matcher/pdq.h"

#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hashwatch::matcher {
namespace {

using ::hashwatch::testing::StatusIs;
using ::testing::HasSubstr;

PdqHash RandomHash(std::mt19937& rng) {
  PdqHash h;
  for (uint16_t& w : h.words) w = static_cast<uint16_t>(rng());
  return h;
}

TEST(PdqHexTest, RoundTripsRandomHashes) {
  std::mt19937 rng(7);
  for (int i = 0; i < 200; ++i) {
    const PdqHash h = RandomHash(rng);
    const std::string hex = h.ToHex();
    ASSERT_EQ(hex.size(), 64u);
    ASSERT_OK_AND_ASSIGN(PdqHash back, PdqHash::FromHex(hex));
    EXPECT_EQ(back, h);
  }
}

TEST(PdqHexTest, WordFifteenComesFirst) {
  PdqHash h;
  h.words[15] = 0xabcd;
  h.words[0] = 0x0012;
  const std::string hex = h.ToHex();
  EXPECT_EQ(hex.substr(0, 4), "abcd");
  EXPECT_EQ(hex.substr(60, 4), "0012");
  // Bit k is bit k%16 of word k/16: bit 1 and bit 4 of word 0 are set.
  EXPECT_TRUE(h.Bit(1));
  EXPECT_TRUE(h.Bit(4));
  EXPECT_FALSE(h.Bit(0));
}

TEST(PdqHexTest, AcceptsUpperCase) {
  const std::string lower(64, 'a');
  const std::string upper(64, 'A');
  ASSERT_OK_AND_ASSIGN(PdqHash a, PdqHash::FromHex(lower));
  ASSERT_OK_AND_ASSIGN(PdqHash b, PdqHash::FromHex(upper));
  EXPECT_EQ(a, b);
  EXPECT_EQ(b.ToHex(), lower);
}

TEST(PdqHexTest, RejectsMalformedHex) {
  const std::string good(64, 'f');
  EXPECT_THAT(PdqHash::FromHex(""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("64")));
  EXPECT_THAT(PdqHash::FromHex(good.substr(1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("63")));
  EXPECT_THAT(PdqHash::FromHex(good + "0"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("65")));
  EXPECT_THAT(
      PdqHash::FromHex("0x" + good.substr(2)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("character 2")));
  EXPECT_THAT(
      PdqHash::FromHex(good.substr(1) + " "),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("character 64")));
  EXPECT_THAT(
      PdqHash::FromHex(good.substr(0, 10) + "g" + good.substr(11)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("character 11")));
}

TEST(PdqDistanceTest, CountsDifferingBits) {
  std::mt19937 rng(11);
  for (int i = 0; i < 100; ++i) {
    const PdqHash a = RandomHash(rng);
    const PdqHash b = RandomHash(rng);
    int expected = 0;
    for (int k = 0; k < 256; ++k) expected += a.Bit(k) != b.Bit(k);
    EXPECT_EQ(HammingDistance(a, b), expected);
    EXPECT_EQ(HammingDistance(a, a), 0);
  }
  PdqHash zero, ones;
  for (uint16_t& w : ones.words) w = 0xffff;
  EXPECT_EQ(HammingDistance(zero, ones), 256);
}

TEST(PdqHasherTest, TinyImagesGiveZeroHashAndQuality) {
  PdqHasher hasher;
  for (auto [w, h] : {std::pair{1, 1}, std::pair{4, 100}, std::pair{100, 4}}) {
    std::vector<float> luma(static_cast<size_t>(w) * h, 200.0f);
    for (size_t i = 0; i < luma.size(); i += 2) luma[i] = 10.0f;
    const PdqResult r = hasher.Hash(absl::MakeSpan(luma), w, h, true);
    EXPECT_TRUE(r.hash.IsZero()) << w << "x" << h;
    EXPECT_EQ(r.quality, 0);
    EXPECT_TRUE(r.has_dihedral);
    for (const PdqHash& v : r.dihedral) EXPECT_TRUE(v.IsZero());
  }
}

TEST(PdqHasherTest, FlatImageHasZeroQuality) {
  PdqHasher hasher;
  std::vector<float> luma(300 * 200, 128.0f);
  EXPECT_EQ(hasher.Hash(absl::MakeSpan(luma), 300, 200, false).quality, 0);
}

// A noisy image: quality saturates and about half the bits are set (the
// median split), for sizes above and below 64 and exactly 64.
TEST(PdqHasherTest, NoisyImagesSplitAtTheMedian) {
  PdqHasher hasher;
  std::mt19937 rng(3);
  for (auto [w, h] :
       {std::pair{64, 64}, std::pair{37, 50}, std::pair{640, 480}}) {
    std::vector<float> luma(static_cast<size_t>(w) * h);
    for (float& v : luma) v = static_cast<float>(rng() % 256);
    const PdqResult r = hasher.Hash(absl::MakeSpan(luma), w, h, false);
    int ones = 0;
    for (int k = 0; k < 256; ++k) ones += r.hash.Bit(k);
    // The lower median is the 128th value and bits are strictly above it.
    EXPECT_EQ(ones, 128) << w << "x" << h;
  }
}

// The hasher reuses its buffers: hashing A, then B, then A again gives A's
// hash both times.
TEST(PdqHasherTest, ReuseDoesNotLeakStateBetweenImages) {
  PdqHasher hasher;
  std::mt19937 rng(5);
  std::vector<float> a(500 * 300), b(120 * 90);
  for (float& v : a) v = static_cast<float>(rng() % 256);
  for (float& v : b) v = static_cast<float>(rng() % 256);
  std::vector<float> a1 = a, b1 = b, a2 = a;
  const PdqHash first = hasher.Hash(absl::MakeSpan(a1), 500, 300, false).hash;
  hasher.Hash(absl::MakeSpan(b1), 120, 90, false);
  EXPECT_EQ(hasher.Hash(absl::MakeSpan(a2), 500, 300, false).hash, first);
}

TEST(PdqDihedralTest, NamesFollowTheTableOrder) {
  EXPECT_EQ(DihedralName(Dihedral::kOriginal), "original");
  EXPECT_EQ(DihedralName(Dihedral::kRotate270), "rotate270");
  EXPECT_EQ(DihedralName(Dihedral::kFlipMinus1), "flip_minus1");
}

}  // namespace
}  // namespace hashwatch::matcher
