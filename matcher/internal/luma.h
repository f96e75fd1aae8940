// Shared pixel helpers of the decoders (private to matcher/).
#ifndef HASHWATCH_MATCHER_INTERNAL_LUMA_H_
#define HASHWATCH_MATCHER_INTERNAL_LUMA_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace hashwatch::matcher::internal {

// The reference hasher resizes images with a side above this to exactly
// kCompatSide x kCompatSide (docs/pdq.md, "Compat and fast modes").
inline constexpr int kCompatSide = 512;

// docs/pdq.md's luminance, in float arithmetic evaluated left to right.
inline float LumaFromRgb(uint8_t r, uint8_t g, uint8_t b) {
  return 0.299f * static_cast<float>(r) + 0.587f * static_cast<float>(g) +
         0.114f * static_cast<float>(b);
}

// JPEG CMYK as Adobe applications store it (every channel inverted), turned
// into RGB the way ImageMagick does without a colour profile, which is how
// the reference command-line hasher reads it: R = C'K'/255 rounded (C', K'
// the stored, inverted samples), likewise G from M' and B from Y'.
inline float LumaFromInvertedCmyk(uint8_t c, uint8_t m, uint8_t y, uint8_t k) {
  auto channel = [k](uint8_t v) {
    return static_cast<uint8_t>((static_cast<int>(v) * k + 127) / 255);
  };
  return LumaFromRgb(channel(c), channel(m), channel(y));
}

// Converts one row of `bands`-channel pixels (1 = grey, 3 = RGB, 4 =
// inverted CMYK) to luma.
// When `columns` is non-empty, output x takes source column columns[x].
void RowToLuma(const uint8_t* src, int bands, int width,
               const std::vector<int>& columns, float* dst);

// Nearest-neighbour source indices, aligned to the top-left corner: index i
// of `out` samples floor(i * in / out).
std::vector<int> NearestIndices(int in, int out);

}  // namespace hashwatch::matcher::internal

#endif  // HASHWATCH_MATCHER_INTERNAL_LUMA_H_
