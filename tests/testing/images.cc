#include "tests/testing/images.h"

#include <vips/vips.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "matcher/vips_init.h"

namespace hashwatch::testing {
namespace {

void Init() { matcher::InitVips(); }

std::string Save(VipsImage* image, const std::string& suffix) {
  void* buf = nullptr;
  size_t len = 0;
  if (vips_image_write_to_buffer(image, suffix.c_str(), &buf, &len, nullptr) !=
      0) {
    vips_error_clear();
    return "";
  }
  std::string out(static_cast<char*>(buf), len);
  g_free(buf);
  return out;
}

}  // namespace

std::string MakePattern(int width, int height, int bands,
                        const std::string& suffix) {
  Init();
  std::vector<unsigned char> px(static_cast<size_t>(width) * height * bands);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const double fx = static_cast<double>(x) / width;
      const double fy = static_cast<double>(y) / height;
      const double r = std::hypot(fx - 0.3, fy - 0.6);
      for (int b = 0; b < bands; ++b) {
        const double v = 127.5 + 60 * std::sin(12 * r + b) +
                         50 * std::cos(7 * fx * (b + 1)) * std::sin(5 * fy);
        px[(static_cast<size_t>(y) * width + x) * bands + b] =
            static_cast<unsigned char>(std::clamp(v, 0.0, 255.0));
      }
    }
  }
  VipsImage* image = vips_image_new_from_memory_copy(
      px.data(), px.size(), width, height, bands, VIPS_FORMAT_UCHAR);
  if (image == nullptr) std::abort();
  image->Type = bands == 1 ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB;
  std::string out = Save(image, suffix);
  g_object_unref(image);
  return out;
}

std::string GreyJpeg(const uint8_t* pixels, int width, int height,
                     int quality) {
  Init();
  VipsImage* image = vips_image_new_from_memory_copy(
      pixels, static_cast<size_t>(width) * height, width, height, 1,
      VIPS_FORMAT_UCHAR);
  if (image == nullptr) std::abort();
  image->Type = VIPS_INTERPRETATION_B_W;
  std::string out = Save(image, ".jpg[Q=" + std::to_string(quality) + "]");
  g_object_unref(image);
  if (out.empty()) std::abort();
  return out;
}

std::string MakeFlat(int width, int height, int value,
                     const std::string& suffix) {
  Init();
  std::vector<unsigned char> px(static_cast<size_t>(width) * height,
                                static_cast<unsigned char>(value));
  VipsImage* image = vips_image_new_from_memory_copy(
      px.data(), px.size(), width, height, 1, VIPS_FORMAT_UCHAR);
  if (image == nullptr) std::abort();
  image->Type = VIPS_INTERPRETATION_B_W;
  std::string out = Save(image, suffix);
  g_object_unref(image);
  return out;
}

std::string TransformImage(const std::string& encoded, const std::string& op) {
  Init();
  VipsImage* in =
      vips_image_new_from_buffer(encoded.data(), encoded.size(), "", nullptr);
  if (in == nullptr) std::abort();
  VipsImage* out = nullptr;
  VipsImage* tmp = nullptr;
  int rc = 0;
  if (op == "rot90") {
    rc = vips_rot(in, &out, VIPS_ANGLE_D90, nullptr);
  } else if (op == "rot180") {
    rc = vips_rot(in, &out, VIPS_ANGLE_D180, nullptr);
  } else if (op == "rot270") {
    rc = vips_rot(in, &out, VIPS_ANGLE_D270, nullptr);
  } else if (op == "fliph") {
    rc = vips_flip(in, &out, VIPS_DIRECTION_HORIZONTAL, nullptr);
  } else if (op == "flipv") {
    rc = vips_flip(in, &out, VIPS_DIRECTION_VERTICAL, nullptr);
  } else if (op == "transpose") {  // mirror about the main diagonal
    rc = vips_rot(in, &tmp, VIPS_ANGLE_D90, nullptr) ||
         vips_flip(tmp, &out, VIPS_DIRECTION_HORIZONTAL, nullptr);
  } else if (op == "antitranspose") {  // mirror about the anti-diagonal
    rc = vips_rot(in, &tmp, VIPS_ANGLE_D90, nullptr) ||
         vips_flip(tmp, &out, VIPS_DIRECTION_VERTICAL, nullptr);
  } else if (op == "shrink_jpeg") {  // 60% size, JPEG quality 40
    rc = vips_resize(in, &out, 0.6, nullptr);
  } else if (op == "border_jpeg") {  // white border, 10% of the width each side
    const int b = in->Xsize / 10;
    VipsArrayDouble* white = vips_array_double_newv(1, 255.0);
    rc = vips_embed(in, &out, b, b, in->Xsize + 2 * b, in->Ysize + 2 * b,
                    "extend", VIPS_EXTEND_BACKGROUND, "background", white,
                    nullptr);
    vips_area_unref(VIPS_AREA(white));
  } else if (op == "page_png") {
    // The picture on a light page under a dark title bar, with "text"
    // lines below it.
    const int w = in->Xsize, h = in->Ysize;
    const int page_w = w * 9 / 5, page_h = h * 2, left = w / 2, top = h / 5;
    VipsArrayDouble* paper = vips_array_double_newv(1, 238.0);
    rc = vips_embed(in, &tmp, left, top, page_w, page_h, "extend",
                    VIPS_EXTEND_BACKGROUND, "background", paper, nullptr);
    vips_area_unref(VIPS_AREA(paper));
    if (rc == 0) out = vips_image_copy_memory(tmp);
    rc = rc != 0 || out == nullptr ||
         vips_draw_rect1(out, 90.0, 0, 0, page_w, h / 8, "fill", TRUE,
                         nullptr) != 0;
    for (int line = 0; line < 5 && rc == 0; ++line) {
      rc = vips_draw_rect1(out, 150.0, w / 10, top + h + h / 8 + line * h / 12,
                           w / 2 + line * w / 7, std::max(2, h / 40), "fill",
                           TRUE, nullptr);
    }
  } else if (op == "crop_caption_jpeg") {
    // A copy cropped (12% off the left, 10% off the top, 6% off the right)
    // above a dark caption bar with light "text" lines.
    const int w = in->Xsize, h = in->Ysize;
    const int cw = w - w * 12 / 100 - w * 6 / 100, ch = h - h / 10;
    const int bar = h / 5;
    VipsImage* cropped = nullptr;
    VipsArrayDouble* dark = vips_array_double_newv(1, 20.0);
    rc = vips_extract_area(in, &cropped, w * 12 / 100, h / 10, cw, ch,
                           nullptr) ||
         vips_embed(cropped, &tmp, 0, 0, cw, ch + bar, "extend",
                    VIPS_EXTEND_BACKGROUND, "background", dark, nullptr);
    vips_area_unref(VIPS_AREA(dark));
    if (cropped != nullptr) g_object_unref(cropped);
    if (rc == 0) out = vips_image_copy_memory(tmp);
    rc = rc != 0 || out == nullptr;
    for (int line = 0; line < 2 && rc == 0; ++line) {
      for (int word = 0; word < 6 && rc == 0; ++word) {
        rc = vips_draw_rect1(out, 235.0, cw / 20 + word * cw / 7,
                             ch + bar / 5 + line * bar * 2 / 5,
                             cw / 9 - (word % 3) * cw / 60, bar / 5, "fill",
                             TRUE, nullptr);
      }
    }
  } else {
    std::abort();
  }
  if (rc != 0) std::abort();
  std::string result = Save(out, op == "shrink_jpeg"         ? ".jpg[Q=40]"
                                 : op == "border_jpeg"       ? ".jpg[Q=85]"
                                 : op == "crop_caption_jpeg" ? ".jpg[Q=85]"
                                                             : ".png");
  g_object_unref(in);
  g_object_unref(out);
  if (tmp != nullptr) g_object_unref(tmp);
  return result;
}

namespace {

VipsImage* LoadOrDie(const std::string& encoded) {
  Init();
  VipsImage* in =
      vips_image_new_from_buffer(encoded.data(), encoded.size(), "", nullptr);
  if (in == nullptr) std::abort();
  return in;
}

}  // namespace

std::string To16BitPng(const std::string& png) {
  VipsImage* in = LoadOrDie(png);
  VipsImage *wide = nullptr, *cast = nullptr;
  if (vips_linear1(in, &wide, 257.0, 0.0, nullptr) != 0 ||
      vips_cast_ushort(wide, &cast, nullptr) != 0) {
    std::abort();
  }
  cast->Type = vips_image_get_bands(in) == 1 ? VIPS_INTERPRETATION_GREY16
                                             : VIPS_INTERPRETATION_RGB16;
  std::string out = Save(cast, ".png");
  g_object_unref(cast);
  g_object_unref(wide);
  g_object_unref(in);
  return out;
}

std::string WithAlphaPng(const std::string& png) {
  VipsImage* in = LoadOrDie(png);
  VipsImage *alpha = nullptr, *alpha8 = nullptr, *joined = nullptr;
  if (vips_xyz(&alpha, vips_image_get_width(in), vips_image_get_height(in),
               nullptr) != 0) {
    std::abort();
  }
  VipsImage* x_only = nullptr;
  if (vips_extract_band(alpha, &x_only, 0, nullptr) != 0 ||
      vips_cast_uchar(x_only, &alpha8, nullptr) != 0 ||
      vips_bandjoin2(in, alpha8, &joined, nullptr) != 0) {
    std::abort();
  }
  std::string out = Save(joined, ".png");
  for (VipsImage* i : {in, alpha, x_only, alpha8, joined}) g_object_unref(i);
  return out;
}

std::string JpegWithOrientation(const std::string& image, int orientation) {
  VipsImage* in = LoadOrDie(image);
  VipsImage* copy = nullptr;
  if (vips_copy(in, &copy, nullptr) != 0) std::abort();
  vips_image_set_int(copy, VIPS_META_ORIENTATION, orientation);
  std::string out = Save(copy, ".jpg[Q=95]");
  g_object_unref(copy);
  g_object_unref(in);
  return out;
}

}  // namespace hashwatch::testing
