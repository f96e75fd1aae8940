#include "matcher/decode.h"

#include <zlib.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "matcher/hashes.h"
#include "tests/testing/images.h"
#include "tests/testing/paths.h"
#include "tests/testing/status_matchers.h"

namespace hashwatch::matcher {
namespace {

using ::hashwatch::testing::MakePattern;
using ::hashwatch::testing::StatusIs;
using ::testing::HasSubstr;

absl::StatusOr<ImageHashes> Hash(const std::string& bytes,
                                 DecodeMode mode = DecodeMode::kCompat) {
  HashOptions options;
  options.decode.mode = mode;
  return HashImage(bytes, options);
}

PdqHash PdqOf(const std::string& bytes, DecodeMode mode = DecodeMode::kCompat) {
  absl::StatusOr<ImageHashes> h = Hash(bytes, mode);
  EXPECT_TRUE(h.ok()) << h.status();
  return h.ok() ? h->pdq.hash : PdqHash{};
}

std::string BigEndian32(uint32_t v) {
  return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
}

std::string PngChunk(const std::string& type, const std::string& data) {
  const std::string body = type + data;
  const uLong crc = crc32(0, reinterpret_cast<const Bytef*>(body.data()),
                          static_cast<uInt>(body.size()));
  return BigEndian32(static_cast<uint32_t>(data.size())) + body +
         BigEndian32(static_cast<uint32_t>(crc));
}

// A PNG that declares width x height RGB pixels but carries almost no data:
// the classic decompression bomb shape.
std::string PngDeclaring(uint32_t width, uint32_t height) {
  std::string ihdr = BigEndian32(width) + BigEndian32(height);
  ihdr += std::string{8, 2, 0, 0, 0};  // 8-bit RGB, no interlace
  const std::string idat("\x78\x9c\x03\x00\x00\x00\x00\x01", 8);
  return std::string("\x89PNG\r\n\x1a\n", 8) + PngChunk("IHDR", ihdr) +
         PngChunk("IDAT", idat) + PngChunk("IEND", "");
}

// A valid JPEG with its SOF dimensions rewritten.
std::string JpegDeclaring(uint16_t width, uint16_t height) {
  std::string jpeg = MakePattern(64, 48, 3, ".jpg");
  for (size_t i = 0; i + 9 < jpeg.size(); ++i) {
    const auto b = static_cast<uint8_t>(jpeg[i + 1]);
    if (static_cast<uint8_t>(jpeg[i]) == 0xFF && (b == 0xC0 || b == 0xC2)) {
      jpeg[i + 5] = static_cast<char>(height >> 8);
      jpeg[i + 6] = static_cast<char>(height & 0xFF);
      jpeg[i + 7] = static_cast<char>(width >> 8);
      jpeg[i + 8] = static_cast<char>(width & 0xFF);
      return jpeg;
    }
  }
  ADD_FAILURE() << "no SOF marker";
  return jpeg;
}

TEST(DecodeTest, EmptyInputIsInvalid) {
  EXPECT_THAT(Hash(""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
}

TEST(DecodeTest, NonImageIsInvalid) {
  EXPECT_THAT(
      Hash("just some text, not a picture\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not an image")));
}

TEST(DecodeTest, FormatsOutsideTheAllowListAreUnsupported) {
  const std::string svg =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"64\" height=\"64\">"
      "<rect width=\"64\" height=\"32\" fill=\"red\"/></svg>";
  EXPECT_THAT(Hash(svg), StatusIs(absl::StatusCode::kInvalidArgument,
                                  HasSubstr("unsupported")));
  const std::string bmp = std::string("BM") + std::string(60, '\0');
  EXPECT_THAT(Hash(bmp), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(DecodeTest, TruncatedImagesAreInvalidInEveryMode) {
  for (const char* suffix : {".jpg", ".png", ".webp", ".tiff", ".gif"}) {
    const std::string full = MakePattern(300, 200, 3, suffix);
    ASSERT_FALSE(full.empty()) << suffix;
    ASSERT_OK(Hash(full).status());
    const std::string cut = full.substr(0, full.size() * 2 / 3);
    for (DecodeMode mode : {DecodeMode::kFast, DecodeMode::kCompat}) {
      EXPECT_THAT(Hash(cut, mode), StatusIs(absl::StatusCode::kInvalidArgument))
          << suffix;
    }
  }
  EXPECT_THAT(
      Hash(MakePattern(300, 200, 3, ".jpg").substr(0, 1000)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("truncated")));
}

TEST(DecodeTest, CorruptHeadersAreInvalid) {
  std::string jpeg = MakePattern(64, 64, 3, ".jpg");
  // Keep SOI and destroy everything after it.
  for (size_t i = 3; i < 200 && i < jpeg.size(); ++i) jpeg[i] = '\x5a';
  EXPECT_THAT(Hash(jpeg), StatusIs(absl::StatusCode::kInvalidArgument,
                                   HasSubstr("corrupt jpeg")));
  std::string png = MakePattern(64, 64, 3, ".png");
  png[20] ^= 0x55;  // inside IHDR: its CRC no longer matches
  EXPECT_THAT(Hash(png), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(DecodeTest, DecompressionBombsAreRefusedBeforeDecoding) {
  // 100 000 x 100 000 = 10 gigapixels; a decoder that allocated first would
  // need 30 GB.
  EXPECT_THAT(Hash(PngDeclaring(100000, 100000)),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("over the limit")));
  EXPECT_THAT(
      Hash(JpegDeclaring(60000, 60000), DecodeMode::kFast),
      StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("60000x60000")));
}

TEST(DecodeTest, PixelLimitIsConfigurable) {
  const std::string png = MakePattern(100, 100, 3, ".png");
  HashOptions options;
  options.decode.max_pixels = 9999;
  EXPECT_THAT(
      HashImage(png, options),
      StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("9999")));
  options.decode.max_pixels = 10000;
  EXPECT_OK(HashImage(png, options).status());
  options.decode.max_pixels = 0;
  EXPECT_THAT(
      HashImage(png, options),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_pixels")));
}

TEST(DecodeTest, ByteLimitIsConfigurable) {
  const std::string png = MakePattern(100, 100, 3, ".png");
  HashOptions options;
  options.decode.max_bytes = static_cast<int64_t>(png.size()) - 1;
  EXPECT_THAT(
      HashImage(png, options),
      StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("bytes")));
}

TEST(DecodeTest, OnePixelImageHasZeroHashAndQuality) {
  for (const char* suffix : {".png", ".jpg"}) {
    ASSERT_OK_AND_ASSIGN(ImageHashes h, Hash(MakePattern(1, 1, 3, suffix)));
    EXPECT_TRUE(h.pdq.hash.IsZero()) << suffix;
    EXPECT_EQ(h.pdq.quality, 0) << suffix;
    EXPECT_EQ(h.width, 1);
    EXPECT_EQ(h.md5.size(), 32u);
  }
}

TEST(DecodeTest, LosslessFormatsHashIdentically) {
  const PdqHash png = PdqOf(MakePattern(700, 500, 3, ".png"));
  EXPECT_EQ(PdqOf(MakePattern(700, 500, 3, ".tiff")), png);
  EXPECT_EQ(PdqOf(MakePattern(700, 500, 3, ".webp[lossless]")), png);
  EXPECT_EQ(PdqOf(MakePattern(700, 500, 3, ".png"), DecodeMode::kFast), png);
}

TEST(DecodeTest, GreyAndPaletteImagesDecode) {
  const PdqHash grey = PdqOf(MakePattern(400, 300, 1, ".png"));
  EXPECT_FALSE(grey.IsZero());
  EXPECT_LE(
      HammingDistance(PdqOf(MakePattern(400, 300, 1, ".jpg[Q=95]")), grey), 12);
  EXPECT_LE(HammingDistance(PdqOf(MakePattern(400, 300, 1, ".gif")), grey), 24);
}

TEST(DecodeTest, SixteenBitImagesBecomeEightBit) {
  for (int bands : {1, 3}) {
    const std::string png = MakePattern(300, 300, bands, ".png");
    EXPECT_EQ(PdqOf(testing::To16BitPng(png)), PdqOf(png)) << bands;
  }
}

TEST(DecodeTest, AlphaIsDroppedWithoutCompositing) {
  const std::string png = MakePattern(300, 300, 3, ".png");
  EXPECT_EQ(PdqOf(testing::WithAlphaPng(png)), PdqOf(png));
}

TEST(DecodeTest, ExifOrientationIsIgnored) {
  const std::string png = MakePattern(600, 400, 3, ".png");
  const std::string plain = testing::JpegWithOrientation(png, 1);
  const std::string rotated_tag = testing::JpegWithOrientation(png, 6);
  for (DecodeMode mode : {DecodeMode::kFast, DecodeMode::kCompat}) {
    ASSERT_OK_AND_ASSIGN(ImageHashes a, Hash(plain, mode));
    ASSERT_OK_AND_ASSIGN(ImageHashes b, Hash(rotated_tag, mode));
    EXPECT_EQ(a.pdq.hash, b.pdq.hash);
    EXPECT_EQ(b.width, 600);  // not swapped by an orientation tag
  }
}

TEST(DecodeTest, CmykJpegDecodesToRgb) {
  const std::string dir = testing::TestDataDir() + "/pdq/images/";
  const PdqHash rgb = PdqOf(testing::ReadFileOrDie(dir + "mode-RGB.jpg"));
  const PdqHash cmyk = PdqOf(testing::ReadFileOrDie(dir + "mode-CMYK.jpg"));
  EXPECT_LE(HammingDistance(rgb, cmyk), 16);
}

TEST(DecodeTest, HeifDecodesWhereLibvipsHasIt) {
  const std::string heif = MakePattern(256, 256, 3, ".avif");
  if (heif.empty()) GTEST_SKIP() << "this libvips has no AVIF/HEIF saver";
  ASSERT_OK_AND_ASSIGN(ImageHashes h, Hash(heif));
  EXPECT_LE(
      HammingDistance(h.pdq.hash, PdqOf(MakePattern(256, 256, 3, ".png"))), 40);
}

TEST(DecodeTest, DigestsMatchOpenSslOfTheBytes) {
  ASSERT_OK_AND_ASSIGN(ImageHashes h, Hash(MakePattern(1, 1, 3, ".png")));
  // Independent oracle: digests of the empty string are well known, and a
  // digest changes with the bytes.
  EXPECT_EQ(Md5Hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Sha1Hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(Sha256Hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(h.md5, Md5Hex(MakePattern(1, 1, 3, ".png")));
  EXPECT_EQ(h.sha1.size(), 40u);
  EXPECT_EQ(h.sha256.size(), 64u);
}

}  // namespace
}  // namespace hashwatch::matcher
