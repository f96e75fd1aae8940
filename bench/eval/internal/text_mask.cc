#include "bench/eval/internal/text_mask.h"

#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace hashwatch::bench::internal {
namespace {

// Guards every cairo and fontconfig call in the process (see the header).
absl::Mutex& FontMutex() {
  static absl::Mutex* mu = new absl::Mutex;
  return *mu;
}

struct CairoDeleter {
  void operator()(cairo_t* cr) const { cairo_destroy(cr); }
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
  void operator()(cairo_font_options_t* o) const {
    cairo_font_options_destroy(o);
  }
};
using CairoPtr = std::unique_ptr<cairo_t, CairoDeleter>;
using SurfacePtr = std::unique_ptr<cairo_surface_t, CairoDeleter>;
using FontOptionsPtr = std::unique_ptr<cairo_font_options_t, CairoDeleter>;

// The whole-pixel box around the ink of `text` at the current font size,
// relative to the origin of the baseline.
struct InkBox {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  int width() const { return x1 - x0; }
  int height() const { return y1 - y0; }
};

InkBox Measure(cairo_t* cr, const std::string& text, double size) {
  cairo_set_font_size(cr, size);
  cairo_text_extents_t e;
  cairo_text_extents(cr, text.c_str(), &e);
  InkBox box;
  if (!(e.width > 0 && e.height > 0)) return box;
  box.x0 = static_cast<int>(std::floor(e.x_bearing));
  box.y0 = static_cast<int>(std::floor(e.y_bearing));
  box.x1 = static_cast<int>(std::ceil(e.x_bearing + e.width));
  box.y1 = static_cast<int>(std::ceil(e.y_bearing + e.height));
  return box;
}

// Sets up `cr` for measuring and drawing: the family's bold face, grey
// anti-aliasing, no hinting (sizes then scale the ink linearly).
void SetFont(cairo_t* cr, const std::string& family) {
  cairo_select_font_face(cr, family.c_str(), CAIRO_FONT_SLANT_NORMAL,
                         CAIRO_FONT_WEIGHT_BOLD);
  FontOptionsPtr options(cairo_font_options_create());
  cairo_font_options_set_antialias(options.get(), CAIRO_ANTIALIAS_GRAY);
  cairo_font_options_set_hint_style(options.get(), CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_hint_metrics(options.get(), CAIRO_HINT_METRICS_OFF);
  cairo_set_font_options(cr, options.get());
}

absl::Status CairoError(absl::string_view what, cairo_status_t status) {
  return absl::InvalidArgumentError(
      absl::StrCat("evalset: ", what, ": ", cairo_status_to_string(status)));
}

}  // namespace

absl::StatusOr<TextMaskPixels> RenderTextMask(absl::string_view text,
                                              absl::string_view family,
                                              int box_w, int box_h) {
  if (text.empty() || box_w < 1 || box_h < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("evalset: text mask: want text and a box, got ",
                     text.size(), " bytes in ", box_w, "x", box_h));
  }
  const std::string line(text), face(family);
  absl::MutexLock lock(&FontMutex());

  SurfacePtr scratch(cairo_image_surface_create(CAIRO_FORMAT_A8, 1, 1));
  CairoPtr measure(cairo_create(scratch.get()));
  SetFont(measure.get(), face);
  // Ink scales with the size: measure once, scale to the box, then step
  // down while rounding still overflows it.
  constexpr double kReferenceSize = 64;
  const InkBox reference = Measure(measure.get(), line, kReferenceSize);
  if (reference.width() <= 0 || reference.height() <= 0) {
    if (cairo_status(measure.get()) != CAIRO_STATUS_SUCCESS) {
      return CairoError("text mask", cairo_status(measure.get()));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("evalset: text mask: no ink for '", line, "' in ", face));
  }
  double size = kReferenceSize *
                std::min(static_cast<double>(box_w) / reference.width(),
                         static_cast<double>(box_h) / reference.height());
  InkBox ink = Measure(measure.get(), line, size);
  for (int i = 0;
       i < 200 && size > 0.5 && (ink.width() > box_w || ink.height() > box_h);
       ++i) {
    size *= 0.97;
    ink = Measure(measure.get(), line, size);
  }
  if (ink.width() <= 0 || ink.height() <= 0 || ink.width() > box_w ||
      ink.height() > box_h) {
    return absl::InvalidArgumentError(absl::StrCat("evalset: text mask: '",
                                                   line, "' fits no size in ",
                                                   box_w, "x", box_h));
  }

  SurfacePtr surface(
      cairo_image_surface_create(CAIRO_FORMAT_A8, ink.width(), ink.height()));
  CairoPtr cr(cairo_create(surface.get()));
  SetFont(cr.get(), face);
  cairo_set_font_size(cr.get(), size);
  cairo_move_to(cr.get(), -ink.x0, -ink.y0);
  cairo_show_text(cr.get(), line.c_str());
  if (cairo_status(cr.get()) != CAIRO_STATUS_SUCCESS) {
    return CairoError("text mask", cairo_status(cr.get()));
  }
  cairo_surface_flush(surface.get());

  TextMaskPixels out;
  out.width = ink.width();
  out.height = ink.height();
  out.coverage.resize(static_cast<size_t>(out.width) * out.height);
  const unsigned char* data = cairo_image_surface_get_data(surface.get());
  const int stride = cairo_image_surface_get_stride(surface.get());
  for (int y = 0; y < out.height; ++y) {
    std::copy_n(data + static_cast<size_t>(y) * stride, out.width,
                out.coverage.begin() + static_cast<size_t>(y) * out.width);
  }
  if (std::all_of(out.coverage.begin(), out.coverage.end(),
                  [](uint8_t v) { return v == 0; })) {
    return absl::InvalidArgumentError(
        absl::StrCat("evalset: text mask: no ink for '", line, "' in ", face));
  }
  return out;
}

}  // namespace hashwatch::bench::internal
