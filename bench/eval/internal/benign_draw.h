// Synthetic pictures for the benign set (private to bench/eval/benign.cc):
// an RGB canvas with a few drawing primitives, and the synthetic families
// drawn on it (shapes, gradients, flat and near-blank pictures, text
// documents, an image-viewer window around a picture).
//
// Randomness comes only from the raw output of the std::mt19937 passed in
// (no std:: distributions), so the same seed draws the same picture with
// any standard library.
//
// Thread-safety: thread-safe (text goes through RenderTextMask's lock).
#ifndef HASHWATCH_BENCH_EVAL_INTERNAL_BENIGN_DRAW_H_
#define HASHWATCH_BENCH_EVAL_INTERNAL_BENIGN_DRAW_H_

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bench/eval/internal/vips_util.h"

namespace hashwatch::bench::internal {

using Rgb = std::array<uint8_t, 3>;

// 0..n-1 from the generator's raw output (0 when n <= 1).
uint32_t Below(std::mt19937& rng, uint32_t n);
// lo..hi inclusive.
int Between(std::mt19937& rng, int lo, int hi);
Rgb RandomColour(std::mt19937& rng);

// A width x height 8-bit RGB picture, row-major.
struct Canvas {
  Canvas(int w, int h, Rgb fill);
  int width;
  int height;
  std::vector<uint8_t> px;

  void Rect(int x0, int y0, int x1, int y1, Rgb c);  // [x0, x1) x [y0, y1)
  void Ellipse(int cx, int cy, int rx, int ry, Rgb c);
  // `text` in DejaVu Sans Bold fitted into the box at (x, y), in colour c;
  // glyph-sized blocks when no font draws it. Returns the ink's width.
  int Text(absl::string_view text, int x, int y, int box_w, int box_h, Rgb c);
};

// The canvas as an sRGB libvips image (a copy).
absl::StatusOr<VipsRef> ToVips(const Canvas& canvas);
// `picture` resized to exactly w x h.
absl::StatusOr<VipsRef> ResizeTo(VipsImage* picture, int w, int h);
// `picture` pasted onto `canvas` at (x, y) (clipped).
absl::Status Paste(Canvas& canvas, VipsImage* picture, int x, int y);

// The synthetic families. Each draws a w x h picture and sets `how` to a
// short description for the manifest.
Canvas DrawShapes(int w, int h, std::mt19937& rng, std::string* how);
Canvas DrawFlat(int w, int h, std::mt19937& rng, std::string* how);
Canvas DrawGradient(int w, int h, std::mt19937& rng, std::string* how);
Canvas DrawNearBlank(int w, int h, std::mt19937& rng, std::string* how);
Canvas DrawDocument(int w, int h, std::mt19937& rng, std::string* how);
// The same viewer window (title bar, toolbar, status bar, dark backdrop)
// at w x h with `picture` fitted into its content area.
absl::StatusOr<Canvas> DrawViewer(int w, int h, VipsImage* picture,
                                  std::string* how);

}  // namespace hashwatch::bench::internal

#endif  // HASHWATCH_BENCH_EVAL_INTERNAL_BENIGN_DRAW_H_
