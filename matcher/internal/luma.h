// Shared pixel helpers of the decoders (private to matcher/).
#ifndef HASHWATCH_MATCHER_INTERNAL_LUMA_H_
#define HASHWATCH_MATCHER_INTERNAL_LUMA_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace hashwatch::matcher::internal {

// The reference hasher resizes images with a side above this to exactly
// kCompatSide x kCompatSide (PDQ.md, "Input").
inline constexpr int kCompatSide = 512;

// PDQ.md's luminance, in float arithmetic evaluated left to right.
inline float LumaFromRgb(uint8_t r, uint8_t g, uint8_t b) {
  return 0.299f * static_cast<float>(r) + 0.587f * static_cast<float>(g) +
         0.114f * static_cast<float>(b);
}

// Converts one row of `bands`-channel pixels (1 = grey, 3 = RGB) to luma.
// When `columns` is non-empty, output x takes source column columns[x].
void RowToLuma(const uint8_t* src, int bands, int width,
               const std::vector<int>& columns, float* dst);

// Nearest-neighbour source indices, aligned to the top-left corner: index i
// of `out` samples floor(i * in / out).
std::vector<int> NearestIndices(int in, int out);

}  // namespace hashwatch::matcher::internal

#endif  // HASHWATCH_MATCHER_INTERNAL_LUMA_H_
