#include "tests/bench/pictures.h"

#include <vips/vips.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>
#include <vector>

#include "matcher/vips_init.h"

namespace hashwatch::testing {

std::string MakePicture(int seed, int width, int height,
                        const std::string& suffix) {
  matcher::InitVips();
  std::mt19937 rng(static_cast<uint32_t>(seed) * 2654435761u + 17);
  auto u = [&] { return static_cast<double>(rng()) / 4294967296.0; };
  std::vector<unsigned char> px(static_cast<size_t>(width) * height * 3);
  const double gx = u() * 2 - 1, gy = u() * 2 - 1;
  const double base[3] = {u() * 255, u() * 255, u() * 255};
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      for (int b = 0; b < 3; ++b) {
        px[(static_cast<size_t>(y) * width + x) * 3 + b] =
            static_cast<unsigned char>(std::clamp(
                base[b] * 0.5 + 60 * gx * x / width + 60 * gy * y / height + 40,
                0.0, 255.0));
      }
    }
  }
  for (int k = 0; k < 14; ++k) {
    const int cx = static_cast<int>(u() * width),
              cy = static_cast<int>(u() * height);
    const int r =
        static_cast<int>((0.08 + 0.25 * u()) * std::min(width, height));
    const bool disc = u() < 0.5;
    const unsigned char c[3] = {static_cast<unsigned char>(u() * 255),
                                static_cast<unsigned char>(u() * 255),
                                static_cast<unsigned char>(u() * 255)};
    for (int y = std::max(0, cy - r); y < std::min(height, cy + r); ++y) {
      for (int x = std::max(0, cx - r); x < std::min(width, cx + r); ++x) {
        if (disc && (x - cx) * (x - cx) + (y - cy) * (y - cy) > r * r) continue;
        for (int b = 0; b < 3; ++b)
          px[(static_cast<size_t>(y) * width + x) * 3 + b] = c[b];
      }
    }
  }
  VipsImage* image = vips_image_new_from_memory_copy(
      px.data(), px.size(), width, height, 3, VIPS_FORMAT_UCHAR);
  if (image == nullptr) std::abort();
  image->Type = VIPS_INTERPRETATION_sRGB;
  void* buf = nullptr;
  size_t len = 0;
  const std::string options = suffix == ".jpg" ? ".jpg[Q=92]" : suffix;
  if (vips_image_write_to_buffer(image, options.c_str(), &buf, &len, nullptr) !=
      0)
    std::abort();
  std::string out(static_cast<char*>(buf), len);
  g_free(buf);
  g_object_unref(image);
  return out;
}

}  // namespace hashwatch::testing
