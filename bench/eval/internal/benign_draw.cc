#include "bench/eval/internal/benign_draw.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/eval/internal/text_mask.h"
#include "common/status_macros.h"

namespace hashwatch::bench::internal {
namespace {

constexpr char kFontFamily[] = "DejaVu Sans";

uint8_t Clamp255(double v) {
  return static_cast<uint8_t>(std::clamp(std::lround(v), 0l, 255l));
}

std::string Hex(Rgb c) {
  return absl::StrFormat("#%02x%02x%02x", c[0], c[1], c[2]);
}

// Words for the text documents: plain office prose.
constexpr const char* kWords[] = {
    "the",     "report",    "meeting",  "budget",   "quarter", "team",
    "project", "schedule",  "review",   "draft",    "notes",   "section",
    "update",  "customer",  "service",  "results",  "plan",    "will",
    "and",     "for",       "with",     "from",     "this",    "that",
    "policy",  "office",    "training", "agenda",   "minutes", "approved",
    "summary", "figures",   "table",    "appendix", "contact", "delivery",
    "invoice", "account",   "payment",  "council",  "garden",  "library",
    "weather", "community", "season",   "volunteer"};

}  // namespace

uint32_t Below(std::mt19937& rng, uint32_t n) { return n <= 1 ? 0 : rng() % n; }

int Between(std::mt19937& rng, int lo, int hi) {
  return hi <= lo ? lo : lo + static_cast<int>(Below(rng, hi - lo + 1));
}

Rgb RandomColour(std::mt19937& rng) {
  const uint32_t r = rng();
  return {static_cast<uint8_t>(r), static_cast<uint8_t>(r >> 8),
          static_cast<uint8_t>(r >> 16)};
}

Canvas::Canvas(int w, int h, Rgb fill)
    : width(w), height(h), px(static_cast<size_t>(w) * h * 3) {
  for (size_t i = 0; i < px.size(); i += 3) {
    px[i] = fill[0];
    px[i + 1] = fill[1];
    px[i + 2] = fill[2];
  }
}

void Canvas::Rect(int x0, int y0, int x1, int y1, Rgb c) {
  for (int y = std::max(0, y0); y < std::min(height, y1); ++y) {
    for (int x = std::max(0, x0); x < std::min(width, x1); ++x) {
      uint8_t* p = &px[(static_cast<size_t>(y) * width + x) * 3];
      p[0] = c[0];
      p[1] = c[1];
      p[2] = c[2];
    }
  }
}

void Canvas::Ellipse(int cx, int cy, int rx, int ry, Rgb c) {
  rx = std::max(1, rx);
  ry = std::max(1, ry);
  for (int y = std::max(0, cy - ry); y < std::min(height, cy + ry); ++y) {
    for (int x = std::max(0, cx - rx); x < std::min(width, cx + rx); ++x) {
      const double dx = static_cast<double>(x - cx) / rx,
                   dy = static_cast<double>(y - cy) / ry;
      if (dx * dx + dy * dy > 1) continue;
      uint8_t* p = &px[(static_cast<size_t>(y) * width + x) * 3];
      p[0] = c[0];
      p[1] = c[1];
      p[2] = c[2];
    }
  }
}

int Canvas::Text(absl::string_view text, int x, int y, int box_w, int box_h,
                 Rgb c) {
  if (text.empty() || box_w < 4 || box_h < 4) return 0;
  absl::StatusOr<TextMaskPixels> mask =
      RenderTextMask(text, kFontFamily, box_w, box_h);
  if (!mask.ok() || mask->width < 1 || mask->height < 1) {
    // No font: blocks where the letters would be.
    const int cell = std::max(1, box_w / static_cast<int>(text.size()));
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == ' ') continue;
      Rect(x + static_cast<int>(i) * cell, y + box_h / 5,
           x + static_cast<int>(i) * cell + cell * 3 / 4, y + box_h, c);
    }
    return box_w;
  }
  for (int my = 0; my < mask->height; ++my) {
    const int py = y + (box_h - mask->height) + my;  // baseline at the bottom
    if (py < 0 || py >= height) continue;
    for (int mx = 0; mx < mask->width; ++mx) {
      const int pxx = x + mx;
      if (pxx < 0 || pxx >= width) continue;
      const double a =
          mask->coverage[static_cast<size_t>(my) * mask->width + mx] / 255.0;
      if (a <= 0) continue;
      uint8_t* p = &px[(static_cast<size_t>(py) * width + pxx) * 3];
      for (int b = 0; b < 3; ++b) p[b] = Clamp255(p[b] * (1 - a) + c[b] * a);
    }
  }
  return mask->width;
}

absl::StatusOr<VipsRef> ToVips(const Canvas& canvas) {
  VipsImage* img = vips_image_new_from_memory_copy(
      canvas.px.data(), canvas.px.size(), canvas.width, canvas.height, 3,
      VIPS_FORMAT_UCHAR);
  if (img == nullptr) return VipsError("benign: canvas");
  img->Type = VIPS_INTERPRETATION_sRGB;
  return VipsRef(img);
}

absl::StatusOr<VipsRef> ResizeTo(VipsImage* picture, int w, int h) {
  VipsRef out;
  if (vips_resize(picture, out.out(), static_cast<double>(w) / picture->Xsize,
                  "vscale", static_cast<double>(h) / picture->Ysize,
                  nullptr) != 0) {
    return VipsError("benign: resize");
  }
  // libvips may round a side one pixel off: cut or extend to the size.
  VipsRef exact;
  if (vips_embed(out.get(), exact.out(), 0, 0, w, h, "extend", VIPS_EXTEND_COPY,
                 nullptr) != 0) {
    return VipsError("benign: resize");
  }
  VipsRef memory(vips_image_copy_memory(exact.get()));
  if (memory.get() == nullptr) return VipsError("benign: resize");
  return memory;
}

absl::Status Paste(Canvas& canvas, VipsImage* picture, int x, int y) {
  VipsRef mem(vips_image_copy_memory(picture));
  if (mem.get() == nullptr) return VipsError("benign: paste");
  if (mem.bands() != 3 || mem.get()->BandFmt != VIPS_FORMAT_UCHAR) {
    return absl::InternalError("benign: paste wants 8-bit RGB");
  }
  const auto* src = static_cast<const uint8_t*>(vips_image_get_data(mem.get()));
  if (src == nullptr) return VipsError("benign: paste");
  for (int py = 0; py < mem.height(); ++py) {
    const int cy = y + py;
    if (cy < 0 || cy >= canvas.height) continue;
    for (int pxx = 0; pxx < mem.width(); ++pxx) {
      const int cx = x + pxx;
      if (cx < 0 || cx >= canvas.width) continue;
      const uint8_t* s =
          &src[(static_cast<size_t>(py) * mem.width() + pxx) * 3];
      uint8_t* d =
          &canvas.px[(static_cast<size_t>(cy) * canvas.width + cx) * 3];
      d[0] = s[0];
      d[1] = s[1];
      d[2] = s[2];
    }
  }
  return absl::OkStatus();
}

Canvas DrawShapes(int w, int h, std::mt19937& rng, std::string* how) {
  const Rgb a = RandomColour(rng), b = RandomColour(rng);
  Canvas c(w, h, a);
  // A vertical blend from a to b as the backdrop.
  for (int y = 0; y < h; ++y) {
    const double t = static_cast<double>(y) / std::max(1, h - 1);
    Rgb row;
    for (int k = 0; k < 3; ++k) row[k] = Clamp255(a[k] * (1 - t) + b[k] * t);
    c.Rect(0, y, w, y + 1, row);
  }
  const int n = Between(rng, 8, 30);
  for (int i = 0; i < n; ++i) {
    const int cx = Below(rng, w), cy = Below(rng, h);
    const int rx = Between(rng, w / 40 + 1, w / 4 + 1),
              ry = Between(rng, h / 40 + 1, h / 4 + 1);
    const Rgb col = RandomColour(rng);
    if (Below(rng, 2) == 0) {
      c.Ellipse(cx, cy, rx, ry, col);
    } else {
      c.Rect(cx - rx, cy - ry, cx + rx, cy + ry, col);
    }
  }
  *how = absl::StrCat(n, " random ellipses and boxes on a blend ", Hex(a), "..",
                      Hex(b));
  return c;
}

Canvas DrawFlat(int w, int h, std::mt19937& rng, std::string* how) {
  const Rgb col = Below(rng, 4) == 0
                      ? Rgb{static_cast<uint8_t>(Below(rng, 2) * 255),
                            static_cast<uint8_t>(Below(rng, 2) * 255),
                            static_cast<uint8_t>(Below(rng, 2) * 255)}
                      : RandomColour(rng);
  *how = absl::StrCat("flat ", Hex(col));
  return Canvas(w, h, col);
}

Canvas DrawGradient(int w, int h, std::mt19937& rng, std::string* how) {
  const Rgb a = RandomColour(rng), b = RandomColour(rng);
  const int kind = Below(rng, 4);  // horizontal, vertical, diagonal, radial
  Canvas c(w, h, a);
  const double diag = std::hypot(w / 2.0, h / 2.0);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      double t = 0;
      switch (kind) {
        case 0:
          t = static_cast<double>(x) / std::max(1, w - 1);
          break;
        case 1:
          t = static_cast<double>(y) / std::max(1, h - 1);
          break;
        case 2:
          t = static_cast<double>(x + y) / std::max(1, w + h - 2);
          break;
        default:
          t = std::hypot(x - w / 2.0, y - h / 2.0) / diag;
      }
      uint8_t* p = &c.px[(static_cast<size_t>(y) * w + x) * 3];
      for (int k = 0; k < 3; ++k) p[k] = Clamp255(a[k] * (1 - t) + b[k] * t);
    }
  }
  static constexpr const char* kKinds[] = {"horizontal", "vertical", "diagonal",
                                           "radial"};
  *how = absl::StrCat(kKinds[kind], " gradient ", Hex(a), "..", Hex(b));
  return c;
}

Canvas DrawNearBlank(int w, int h, std::mt19937& rng, std::string* how) {
  const Rgb base = Below(rng, 2) == 0 ? Rgb{250, 250, 250} : RandomColour(rng);
  Canvas c(w, h, base);
  const int kind = Below(rng, 3);
  if (kind == 0) {  // faint noise
    const int amp = Between(rng, 1, 4);
    for (uint8_t& v : c.px) {
      v = Clamp255(v + static_cast<int>(Below(rng, 2 * amp + 1)) - amp);
    }
    *how = absl::StrCat("near-blank ", Hex(base), " with noise +-", amp);
  } else if (kind == 1) {  // one small mark
    const int s = std::max(2, std::min(w, h) / 30);
    const int x = Below(rng, w - s), y = Below(rng, h - s);
    const Rgb mark = RandomColour(rng);
    c.Ellipse(x + s / 2, y + s / 2, s / 2, s / 2, mark);
    *how = absl::StrCat("near-blank ", Hex(base), " with a ", s, " px mark");
  } else {  // one short line of faint text
    Rgb ink = base;
    for (uint8_t& v : ink) v = v > 128 ? v - 40 : v + 40;
    c.Text(kWords[Below(rng, std::size(kWords))], w / 10, h / 2 - h / 30, w / 3,
           std::max(6, h / 15), ink);
    *how = absl::StrCat("near-blank ", Hex(base), " with one faint word");
  }
  return c;
}

Canvas DrawDocument(int w, int h, std::mt19937& rng, std::string* how) {
  Canvas c(w, h, {255, 255, 255});
  const int margin = w / 10;
  const int line_h = std::max(8, h / Between(rng, 34, 48));
  const Rgb ink{20, 20, 20};
  // A heading, then paragraphs of ragged lines.
  int y = margin;
  std::string title;
  for (int i = 0, n = Between(rng, 2, 4); i < n; ++i) {
    absl::StrAppend(&title, i ? " " : "",
                    kWords[Below(rng, std::size(kWords))]);
  }
  c.Text(title, margin, y, (w - 2 * margin) / 2, line_h * 2, ink);
  y += line_h * 3;
  int lines = 0;
  while (y + line_h < h - margin) {
    const int words = Between(rng, 6, 12);
    std::string line;
    for (int i = 0; i < words; ++i) {
      absl::StrAppend(&line, i ? " " : "",
                      kWords[Below(rng, std::size(kWords))]);
    }
    const int box_w = (w - 2 * margin) * static_cast<int>(line.size()) / 80 + 1;
    c.Text(line, margin, y, std::min(w - 2 * margin, box_w), line_h * 7 / 10,
           ink);
    ++lines;
    y += line_h;
    if (Below(rng, 7) == 0) y += line_h;  // paragraph break
  }
  *how = absl::StrCat("text document, ", lines, " lines");
  return c;
}

absl::StatusOr<Canvas> DrawViewer(int w, int h, VipsImage* picture,
                                  std::string* how) {
  Canvas c(w, h, {30, 30, 30});
  const int title = std::max(12, h / 24), tool = std::max(12, h / 18),
            status = std::max(10, h / 30);
  c.Rect(0, 0, w, title, {50, 50, 54});
  for (int i = 0; i < 3; ++i) {  // window buttons
    const Rgb col = i == 0   ? Rgb{237, 106, 94}
                    : i == 1 ? Rgb{245, 191, 79}
                             : Rgb{98, 197, 84};
    c.Ellipse(title / 2 + i * title, title / 2, title / 4, title / 4, col);
  }
  c.Text("Image Viewer", w / 2 - w / 12, title / 5, w / 6, title * 3 / 5,
         {210, 210, 210});
  c.Rect(0, title, w, title + tool, {42, 42, 46});
  for (int i = 0; i < 8; ++i) {  // toolbar icons
    const int x = tool / 3 + i * tool * 5 / 4;
    c.Rect(x, title + tool / 4, x + tool / 2, title + tool * 3 / 4,
           {140, 140, 150});
  }
  c.Rect(0, h - status, w, h, {42, 42, 46});
  c.Text("100%  |  1 of 24", w / 40, h - status + status / 5, w / 5,
         status * 3 / 5, {180, 180, 180});
  const int area_x = w / 30, area_y = title + tool + h / 40;
  const int area_w = w - 2 * area_x, area_h = h - status - h / 40 - area_y;
  if (area_w < 8 || area_h < 8) {
    return absl::InternalError("benign: viewer window too small");
  }
  const double f = std::min(static_cast<double>(area_w) / picture->Xsize,
                            static_cast<double>(area_h) / picture->Ysize);
  const int pw = std::max(1, static_cast<int>(picture->Xsize * f)),
            ph = std::max(1, static_cast<int>(picture->Ysize * f));
  HW_ASSIGN_OR_RETURN(VipsRef fitted, ResizeTo(picture, pw, ph));
  HW_RETURN_IF_ERROR(Paste(c, fitted.get(), area_x + (area_w - pw) / 2,
                           area_y + (area_h - ph) / 2));
  *how = absl::StrCat("image viewer window, picture ", pw, "x", ph);
  return c;
}

}  // namespace hashwatch::bench::internal
