#include "matcher/internal/luma.h"

#include "matcher/internal/isa.h"

namespace hashwatch::matcher::internal {

HW_TARGET_CLONES void RowToLuma(const uint8_t* src, int bands, int width,
                                const std::vector<int>& columns, float* dst) {
  const bool sampled = !columns.empty();
  for (int x = 0; x < width; ++x) {
    const int sx = sampled ? columns[x] : x;
    const uint8_t* p = src + static_cast<size_t>(sx) * bands;
    if (bands == 1) {
      dst[x] = static_cast<float>(p[0]);
    } else if (bands == 3) {
      dst[x] = LumaFromRgb(p[0], p[1], p[2]);
    } else {
      dst[x] = LumaFromInvertedCmyk(p[0], p[1], p[2], p[3]);
    }
  }
}

std::vector<int> NearestIndices(int in, int out) {
  std::vector<int> idx(out);
  for (int i = 0; i < out; ++i) {
    idx[i] = static_cast<int>(static_cast<int64_t>(i) * in / out);
  }
  return idx;
}

}  // namespace hashwatch::matcher::internal
