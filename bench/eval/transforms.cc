#include "bench/eval/transforms.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/eval/internal/text_mask.h"
#include "bench/eval/internal/vips_util.h"
#include "common/status_macros.h"

namespace hashwatch::bench {

using internal::VipsError;
using internal::VipsRef;

struct SourcePicture::Impl {
  std::string bytes;
  VipsRef image;  // 8-bit sRGB, 3 bands, in memory
};

namespace {

// Refused like the matcher's decoder default (decompression bombs).
constexpr int64_t kMaxSourcePixels = 100'000'000;
constexpr char kFontFamily[] = "DejaVu Sans";  // drawn bold

enum class Op {
  kResizeScale,  // a: scale factor for both sides
  kResizeLong,   // a: long side in pixels (never enlarges)
  kCrop,         // a: fraction of each side removed; offset random
  kBorder,       // a: border width as a fraction of the short side; white
  kLetterbox,    // pad to a square with black bars, picture centred
  kRot90,        // clockwise
  kRot180,
  kMirror,  // left-right
  kRotate,  // a: degrees (small angles); centre crop to the input size
  kGrey,
  kLinear,       // out = a * in + b, clipped to 0..255
  kBlur,         // a: Gaussian sigma as a fraction of the long side
  kNoise,        // a: standard deviation (0..255 scale), per pixel and band
  kCaption,      // meme-style caption at the top and the bottom
  kWatermark,    // semi-transparent text in the bottom-right corner
  kSquash,       // a: width factor (aspect-ratio change), height kept
  kEmbedCanvas,  // a: scale of the picture on a page-like canvas of the input
                 // size
};

struct Step {
  Op op;
  double a = 0;
  double b = 0;
};

enum class Encoder { kOriginal, kJpeg, kPng };

struct Chain {
  const char* name;
  const char* family;
  const char* description;
  std::vector<Step> steps;
  Encoder encoder = Encoder::kJpeg;
  int quality = 90;  // JPEG quality
};

// The transforms. Every chain except "original" ends in an encoder: JPEG at
// quality 90 unless the chain says otherwise (what most platforms serve).
const std::vector<Chain>& Chains() {
  static const auto* chains = new std::vector<Chain>{
      {"original",
       "identity",
       "the known file itself, byte for byte",
       {},
       Encoder::kOriginal},
      {"png", "identity", "lossless PNG re-encode", {}, Encoder::kPng},
      {"jpeg_q90",
       "jpeg",
       "JPEG re-encode, quality 90",
       {},
       Encoder::kJpeg,
       90},
      {"jpeg_q75",
       "jpeg",
       "JPEG re-encode, quality 75",
       {},
       Encoder::kJpeg,
       75},
      {"jpeg_q50",
       "jpeg",
       "JPEG re-encode, quality 50",
       {},
       Encoder::kJpeg,
       50},
      {"jpeg_q30",
       "jpeg",
       "JPEG re-encode, quality 30",
       {},
       Encoder::kJpeg,
       30},
      {"scale_50", "resize", "downscaled to 50%", {{Op::kResizeScale, 0.5}}},
      {"scale_25", "resize", "downscaled to 25%", {{Op::kResizeScale, 0.25}}},
      {"thumb_256",
       "resize",
       "thumbnail, long side 256 px",
       {{Op::kResizeLong, 256}}},
      {"crop_5",
       "crop",
       "5% cut from each dimension, random offset",
       {{Op::kCrop, 0.05}}},
      {"crop_10",
       "crop",
       "10% cut from each dimension, random offset",
       {{Op::kCrop, 0.10}}},
      {"crop_20",
       "crop",
       "20% cut from each dimension, random offset",
       {{Op::kCrop, 0.20}}},
      {"crop_25",
       "crop",
       "25% cut from each dimension, random offset",
       {{Op::kCrop, 0.25}}},
      {"crop_33",
       "crop",
       "33% cut from each dimension, random offset",
       {{Op::kCrop, 0.33}}},
      {"border_8",
       "canvas",
       "white border, 8% of the short side",
       {{Op::kBorder, 0.08}}},
      {"letterbox",
       "canvas",
       "padded to a square with black bars",
       {{Op::kLetterbox}}},
      {"embed_canvas",
       "canvas",
       "shrunk to 60% on a page-like canvas of the same size",
       {{Op::kEmbedCanvas, 0.6}}},
      {"aspect_75",
       "canvas",
       "width squeezed to 75% (aspect-ratio change)",
       {{Op::kSquash, 0.75}}},
      {"rot90", "dihedral", "rotated 90 degrees clockwise", {{Op::kRot90}}},
      {"rot180", "dihedral", "rotated 180 degrees", {{Op::kRot180}}},
      {"mirror", "dihedral", "mirrored left-right", {{Op::kMirror}}},
      {"rotate_2",
       "rotate",
       "rotated 2 degrees, cropped to the original size",
       {{Op::kRotate, 2}}},
      {"rotate_5",
       "rotate",
       "rotated 5 degrees, cropped to the original size",
       {{Op::kRotate, 5}}},
      {"rotate_10",
       "rotate",
       "rotated 10 degrees, cropped to the original size",
       {{Op::kRotate, 10}}},
      {"grey", "colour", "greyscale", {{Op::kGrey}}},
      {"bright_up", "colour", "brightness +40", {{Op::kLinear, 1.0, 40}}},
      {"bright_down", "colour", "brightness -40", {{Op::kLinear, 1.0, -40}}},
      {"contrast_up",
       "colour",
       "contrast x1.4 about mid-grey",
       {{Op::kLinear, 1.4, -0.4 * 128}}},
      {"contrast_down",
       "colour",
       "contrast x0.6 about mid-grey",
       {{Op::kLinear, 0.6, 0.4 * 128}}},
      {"blur_light",
       "blur_noise",
       "Gaussian blur, sigma 0.1% of the long side",
       {{Op::kBlur, 0.001}}},
      {"blur_strong",
       "blur_noise",
       "Gaussian blur, sigma 0.5% of the long side",
       {{Op::kBlur, 0.005}}},
      {"noise_8", "blur_noise", "Gaussian-like noise, sd 8", {{Op::kNoise, 8}}},
      {"noise_25",
       "blur_noise",
       "Gaussian-like noise, sd 25",
       {{Op::kNoise, 25}}},
      {"caption",
       "overlay",
       "meme-style caption at top and bottom",
       {{Op::kCaption}}},
      {"watermark",
       "overlay",
       "semi-transparent text watermark, bottom right",
       {{Op::kWatermark}}},
      {"combo_crop_scale_q70",
       "combo",
       "crop 10%, downscale 50%, JPEG 70",
       {{Op::kCrop, 0.10}, {Op::kResizeScale, 0.5}},
       Encoder::kJpeg,
       70},
      {"combo_mirror_crop_q80",
       "combo",
       "mirror, crop 10%, JPEG 80",
       {{Op::kMirror}, {Op::kCrop, 0.10}},
       Encoder::kJpeg,
       80},
      {"combo_caption_q60",
       "combo",
       "caption, JPEG 60",
       {{Op::kCaption}},
       Encoder::kJpeg,
       60},
      {"combo_grey_blur_q70",
       "combo",
       "greyscale, light blur, JPEG 70",
       {{Op::kGrey}, {Op::kBlur, 0.001}},
       Encoder::kJpeg,
       70},
      {"combo_rot90_thumb",
       "combo",
       "rotate 90, thumbnail 256 px",
       {{Op::kRot90}, {Op::kResizeLong, 256}}},
      {"combo_screenshot",
       "combo",
       "on a page-like canvas, caption, JPEG 80",
       {{Op::kEmbedCanvas, 0.6}, {Op::kCaption}},
       Encoder::kJpeg,
       80},
      {"combo_bright_contrast_noise",
       "combo",
       "brightness +20, contrast x1.2, noise sd 8",
       {{Op::kLinear, 1.0, 20},
        {Op::kLinear, 1.2, -0.2 * 128},
        {Op::kNoise, 8}}},
      {"combo_border_watermark_q75",
       "combo",
       "white border, watermark, JPEG 75",
       {{Op::kBorder, 0.08}, {Op::kWatermark}},
       Encoder::kJpeg,
       75},
  };
  return *chains;
}

const std::vector<TransformSpec>& Specs() {
  static const auto* specs = [] {
    auto* v = new std::vector<TransformSpec>;
    const std::vector<Chain>& chains = Chains();
    for (size_t i = 0; i < chains.size(); ++i) {
      v->push_back({static_cast<int>(i), chains[i].name, chains[i].family,
                    chains[i].description});
    }
    return v;
  }();
  return *specs;
}

int RoundSide(double v) {
  return std::max(1, static_cast<int>(std::lround(v)));
}

PictureSize StepSize(const Step& s, PictureSize in) {
  const int w = in.width, h = in.height;
  switch (s.op) {
    case Op::kResizeScale:
      return {RoundSide(w * s.a), RoundSide(h * s.a)};
    case Op::kResizeLong: {
      const double f = std::min(1.0, s.a / std::max(w, h));
      return {RoundSide(w * f), RoundSide(h * f)};
    }
    case Op::kCrop:
      return {RoundSide(w * (1 - s.a)), RoundSide(h * (1 - s.a))};
    case Op::kBorder: {
      const int b = RoundSide(s.a * std::min(w, h));
      return {w + 2 * b, h + 2 * b};
    }
    case Op::kLetterbox:
      return {std::max(w, h), std::max(w, h)};
    case Op::kRot90:
      return {h, w};
    case Op::kSquash:
      return {RoundSide(w * s.a), h};
    case Op::kRot180:
    case Op::kMirror:
    case Op::kRotate:
    case Op::kGrey:
    case Op::kLinear:
    case Op::kBlur:
    case Op::kNoise:
    case Op::kCaption:
    case Op::kWatermark:
    case Op::kEmbedCanvas:
      return in;
  }
  return in;
}

// The raw-output helpers below are the only way randomness is drawn.
uint32_t Below(std::mt19937& rng, uint32_t n) { return n <= 1 ? 0 : rng() % n; }

// Resizes to exactly w x h (libvips' own rounding may differ by a pixel).
absl::StatusOr<VipsRef> ResizeExact(VipsImage* in, int w, int h) {
  VipsRef out;
  if (vips_resize(in, out.out(), static_cast<double>(w) / in->Xsize, "vscale",
                  static_cast<double>(h) / in->Ysize, nullptr) != 0) {
    return VipsError("evalset: resize");
  }
  if (out.width() > w || out.height() > h) {
    VipsRef cut;
    if (vips_extract_area(out.get(), cut.out(), 0, 0, std::min(w, out.width()),
                          std::min(h, out.height()), nullptr) != 0) {
      return VipsError("evalset: resize");
    }
    out = std::move(cut);
  }
  if (out.width() < w || out.height() < h) {
    VipsRef pad;
    if (vips_embed(out.get(), pad.out(), 0, 0, w, h, "extend", VIPS_EXTEND_COPY,
                   nullptr) != 0) {
      return VipsError("evalset: resize");
    }
    out = std::move(pad);
  }
  return out;
}

absl::StatusOr<VipsRef> CastUchar(VipsImage* in, absl::string_view what) {
  VipsRef out;
  if (vips_cast_uchar(in, out.out(), nullptr) != 0) return VipsError(what);
  return out;
}

// An image like `like` (size, bands) with every band set to `value`.
absl::StatusOr<VipsRef> Constant(VipsImage* like, double value) {
  VipsImage* c = vips_image_new_from_image1(like, value);
  if (c == nullptr) return VipsError("evalset: constant image");
  return VipsRef(c);
}

// Pads w x h with `value` on every band to a canvas of cw x ch, the picture
// at (x, y).
absl::StatusOr<VipsRef> Pad(VipsImage* in, int x, int y, int cw, int ch,
                            double value) {
  VipsArrayDouble* background = vips_array_double_newv(1, value);
  VipsRef out;
  const int rc =
      vips_embed(in, out.out(), x, y, cw, ch, "extend", VIPS_EXTEND_BACKGROUND,
                 "background", background, nullptr);
  vips_area_unref(VIPS_AREA(background));
  if (rc != 0) return VipsError("evalset: embed");
  return out;
}

// A one-band mask (0..255) of `text` fitted into box_w x box_h: the text in
// DejaVu Sans Bold, or glyph-sized blocks when no font can draw it.
absl::StatusOr<VipsRef> TextMask(const std::string& text, int box_w,
                                 int box_h) {
  // Never vips_text: see bench/eval/internal/text_mask.h.
  absl::StatusOr<internal::TextMaskPixels> drawn =
      internal::RenderTextMask(text, kFontFamily, box_w, box_h);
  if (drawn.ok() && drawn->width > 1 && drawn->height > 1) {
    VipsImage* img = vips_image_new_from_memory_copy(
        drawn->coverage.data(), drawn->coverage.size(), drawn->width,
        drawn->height, 1, VIPS_FORMAT_UCHAR);
    if (img == nullptr) return VipsError("evalset: text mask");
    return VipsRef(img);
  }
  const int n = std::max<int>(1, static_cast<int>(text.size()));
  const int cell = std::max(1, box_w / n);
  std::vector<uint8_t> px(static_cast<size_t>(box_w) * box_h, 0);
  for (int i = 0; i < n && i * cell < box_w; ++i) {
    if (text[i] == ' ') continue;
    const int x0 = i * cell + cell / 8,
              x1 = std::min(box_w, i * cell + cell * 7 / 8);
    for (int y = box_h / 10; y < box_h * 9 / 10; ++y) {
      for (int x = x0; x < x1; ++x)
        px[static_cast<size_t>(y) * box_w + x] = 255;
    }
  }
  VipsImage* img = vips_image_new_from_memory_copy(px.data(), px.size(), box_w,
                                                   box_h, 1, VIPS_FORMAT_UCHAR);
  if (img == nullptr) return VipsError("evalset: glyph blocks");
  return VipsRef(img);
}

// Blends `colour` into `img` through `mask` placed at (x, y), at `opacity`;
// with `halo`, a soft dark outline first so light text reads on light areas.
absl::Status Overlay(VipsRef& img, VipsImage* mask, int x, int y, double colour,
                     double opacity, bool halo) {
  HW_ASSIGN_OR_RETURN(VipsRef full,
                      Pad(mask, x, y, img.width(), img.height(), 0));
  if (halo) {
    VipsRef blurred, strong;
    const double sigma = std::max(1.0, mask->Ysize / 24.0);
    if (vips_gaussblur(full.get(), blurred.out(), sigma, nullptr) != 0 ||
        vips_linear1(blurred.get(), strong.out(), 3.0 * opacity, 0, nullptr) !=
            0) {
      return VipsError("evalset: text halo");
    }
    HW_ASSIGN_OR_RETURN(VipsRef halo_mask,
                        CastUchar(strong.get(), "evalset: text halo"));
    HW_ASSIGN_OR_RETURN(VipsRef black, Constant(img.get(), 0));
    VipsRef out;
    if (vips_ifthenelse(halo_mask.get(), black.get(), img.get(), out.out(),
                        "blend", TRUE, nullptr) != 0) {
      return VipsError("evalset: text halo");
    }
    img = std::move(out);
  }
  if (opacity < 1) {
    VipsRef scaled;
    if (vips_linear1(full.get(), scaled.out(), opacity, 0, nullptr) != 0) {
      return VipsError("evalset: text opacity");
    }
    HW_ASSIGN_OR_RETURN(full, CastUchar(scaled.get(), "evalset: text opacity"));
  }
  HW_ASSIGN_OR_RETURN(VipsRef fill, Constant(img.get(), colour));
  VipsRef out;
  if (vips_ifthenelse(full.get(), fill.get(), img.get(), out.out(), "blend",
                      TRUE, nullptr) != 0) {
    return VipsError("evalset: text overlay");
  }
  img = std::move(out);
  return absl::OkStatus();
}

constexpr std::array<std::array<const char*, 2>, 6> kCaptions = {{
    {"WHEN THE BUILD", "FINALLY PASSES"},
    {"ME ON MONDAY", "ALSO ME ON FRIDAY"},
    {"NOBODY:", "ABSOLUTELY NOBODY:"},
    {"THIS IS FINE", "EVERYTHING IS FINE"},
    {"SEND THIS TO", "SOMEONE WHO NEEDS IT"},
    {"WAIT FOR IT", "WORTH IT"},
}};

absl::Status Caption(VipsRef& img, std::mt19937& rng) {
  const int w = img.width(), h = img.height();
  const auto& lines = kCaptions[Below(rng, kCaptions.size())];
  const int box_w = w * 9 / 10, box_h = std::max(1, h * 12 / 100);
  if (box_w < 8 || box_h < 4) return absl::OkStatus();  // too small to write on
  for (int i = 0; i < 2; ++i) {
    HW_ASSIGN_OR_RETURN(VipsRef mask, TextMask(lines[i], box_w, box_h));
    const int x = (w - mask.width()) / 2;
    const int y = i == 0 ? h * 3 / 100 : h - h * 3 / 100 - mask.height();
    HW_RETURN_IF_ERROR(Overlay(img, mask.get(), x, y, 255, 1.0, true));
  }
  return absl::OkStatus();
}

absl::Status Watermark(VipsRef& img, std::mt19937& rng) {
  const int w = img.width(), h = img.height();
  const int box_w = w * 3 / 10, box_h = std::max(1, h * 7 / 100);
  if (box_w < 8 || box_h < 4) return absl::OkStatus();
  static constexpr const char* kMarks[] = {"\u00a9 hashwatch", "SAMPLE",
                                           "\u00a9 2026 photos"};
  HW_ASSIGN_OR_RETURN(VipsRef mask,
                      TextMask(kMarks[Below(rng, 3)], box_w, box_h));
  const int x = w - w * 4 / 100 - mask.width();
  const int y = h - h * 4 / 100 - mask.height();
  return Overlay(img, mask.get(), x, y, 255, 0.55, true);
}

// A page-like canvas (light background, a coloured top bar, grey text
// lines) of the input's size with the picture, shrunk by `scale`, on it.
absl::StatusOr<VipsRef> EmbedCanvas(VipsImage* in, double scale,
                                    std::mt19937& rng) {
  const int w = in->Xsize, h = in->Ysize, bands = in->Bands;
  std::vector<uint8_t> px(static_cast<size_t>(w) * h * bands, 238);
  auto rect = [&](int x0, int y0, int x1, int y1, std::array<uint8_t, 3> c) {
    for (int y = std::max(0, y0); y < std::min(h, y1); ++y) {
      for (int x = std::max(0, x0); x < std::min(w, x1); ++x) {
        for (int b = 0; b < bands; ++b) {
          px[(static_cast<size_t>(y) * w + x) * bands + b] = c[std::min(b, 2)];
        }
      }
    }
  };
  const int bar = h * 7 / 100;
  rect(0, 0, w, bar, {59, 89, 152});
  for (int line = 0; line < 6; ++line) {  // "text" under the picture area
    const int y = h * (80 + 3 * line) / 100;
    rect(w / 20, y,
         w / 20 + static_cast<int>(w * (0.5 + 0.4 * ((line * 7) % 5) / 5.0)),
         y + std::max(1, h / 100), {170, 170, 170});
  }
  VipsImage* canvas_img = vips_image_new_from_memory_copy(
      px.data(), px.size(), w, h, bands, VIPS_FORMAT_UCHAR);
  if (canvas_img == nullptr) return VipsError("evalset: canvas");
  VipsRef canvas(canvas_img);
  canvas.get()->Type = in->Type;
  const int pw = RoundSide(w * scale), ph = RoundSide(h * scale);
  HW_ASSIGN_OR_RETURN(VipsRef small, ResizeExact(in, pw, ph));
  const int x = Below(rng, static_cast<uint32_t>(std::max(1, w - pw + 1)));
  const int y_min = std::min(bar, std::max(0, h - ph));
  const int y =
      y_min +
      Below(rng, static_cast<uint32_t>(std::max(1, h - ph - y_min + 1)));
  VipsRef out;
  if (vips_insert(canvas.get(), small.get(), out.out(), x, y, nullptr) != 0) {
    return VipsError("evalset: canvas insert");
  }
  return out;
}

absl::StatusOr<VipsRef> Noise(VipsImage* in, double sd, std::mt19937& rng) {
  const size_t n = static_cast<size_t>(in->Xsize) * in->Ysize * in->Bands;
  std::vector<float> noise(n);
  // Irwin-Hall: the sum of the four bytes of one draw is close to normal
  // with mean 510 and standard deviation sqrt(4 * (256^2 - 1) / 12).
  constexpr double kSd = 147.80;
  for (float& v : noise) {
    const uint32_t r = rng();
    const int sum =
        (r & 255) + ((r >> 8) & 255) + ((r >> 16) & 255) + (r >> 24);
    v = static_cast<float>((sum - 510) / kSd * sd);
  }
  VipsImage* noise_img = vips_image_new_from_memory_copy(
      noise.data(), n * sizeof(float), in->Xsize, in->Ysize, in->Bands,
      VIPS_FORMAT_FLOAT);
  if (noise_img == nullptr) return VipsError("evalset: noise");
  VipsRef noise_ref(noise_img);
  VipsRef sum;
  if (vips_add(in, noise_ref.get(), sum.out(), nullptr) != 0)
    return VipsError("evalset: noise");
  return CastUchar(sum.get(), "evalset: noise");
}

absl::StatusOr<VipsRef> ApplyStep(const Step& s, VipsRef in,
                                  std::mt19937& rng) {
  const int w = in.width(), h = in.height();
  const PictureSize size = StepSize(s, {w, h});
  VipsRef out;
  switch (s.op) {
    case Op::kResizeScale:
    case Op::kResizeLong:
    case Op::kSquash:
      if (size == PictureSize{w, h}) return in;
      return ResizeExact(in.get(), size.width, size.height);
    case Op::kCrop: {
      const int x = Below(rng, w - size.width + 1);
      const int y = Below(rng, h - size.height + 1);
      if (vips_extract_area(in.get(), out.out(), x, y, size.width, size.height,
                            nullptr) != 0) {
        return VipsError("evalset: crop");
      }
      return out;
    }
    case Op::kBorder: {
      const int b = (size.width - w) / 2;
      return Pad(in.get(), b, b, size.width, size.height, 255);
    }
    case Op::kLetterbox:
      return Pad(in.get(), (size.width - w) / 2, (size.height - h) / 2,
                 size.width, size.height, 0);
    case Op::kRot90:
    case Op::kRot180:
      if (vips_rot(in.get(), out.out(),
                   s.op == Op::kRot90 ? VIPS_ANGLE_D90 : VIPS_ANGLE_D180,
                   nullptr) != 0) {
        return VipsError("evalset: rotate");
      }
      return out;
    case Op::kMirror:
      if (vips_flip(in.get(), out.out(), VIPS_DIRECTION_HORIZONTAL, nullptr) !=
          0) {
        return VipsError("evalset: mirror");
      }
      return out;
    case Op::kRotate: {
      VipsRef rotated;
      if (vips_rotate(in.get(), rotated.out(), s.a, nullptr) != 0) {
        return VipsError("evalset: rotate");
      }
      const int x = std::max(0, (rotated.width() - w) / 2);
      const int y = std::max(0, (rotated.height() - h) / 2);
      if (rotated.width() < w || rotated.height() < h) {
        return absl::InternalError("evalset: rotation shrank the picture");
      }
      if (vips_extract_area(rotated.get(), out.out(), x, y, w, h, nullptr) !=
          0) {
        return VipsError("evalset: rotate");
      }
      return CastUchar(out.get(), "evalset: rotate");
    }
    case Op::kGrey:
      if (vips_colourspace(in.get(), out.out(), VIPS_INTERPRETATION_B_W,
                           nullptr) != 0) {
        return VipsError("evalset: greyscale");
      }
      return out;
    case Op::kLinear:
      if (vips_linear1(in.get(), out.out(), s.a, s.b, nullptr) != 0) {
        return VipsError("evalset: brightness/contrast");
      }
      return CastUchar(out.get(), "evalset: brightness/contrast");
    case Op::kBlur:
      if (vips_gaussblur(in.get(), out.out(),
                         std::max(0.5, s.a * std::max(w, h)), nullptr) != 0) {
        return VipsError("evalset: blur");
      }
      return out;
    case Op::kNoise:
      return Noise(in.get(), s.a, rng);
    case Op::kCaption:
      HW_RETURN_IF_ERROR(Caption(in, rng));
      return in;
    case Op::kWatermark:
      HW_RETURN_IF_ERROR(Watermark(in, rng));
      return in;
    case Op::kEmbedCanvas:
      return EmbedCanvas(in.get(), s.a, rng);
  }
  return absl::InternalError("evalset: unknown step");
}

absl::string_view SniffExtension(absl::string_view b) {
  if (b.size() >= 3 && b.substr(0, 3) == "\xff\xd8\xff") return "jpg";
  if (b.size() >= 8 && b.substr(0, 8) == "\x89PNG\r\n\x1a\n") return "png";
  if (b.size() >= 12 && b.substr(0, 4) == "RIFF" && b.substr(8, 4) == "WEBP")
    return "webp";
  if (b.size() >= 6 &&
      (b.substr(0, 6) == "GIF87a" || b.substr(0, 6) == "GIF89a"))
    return "gif";
  if (b.size() >= 4 && (b.substr(0, 4) == absl::string_view("II*\0", 4) ||
                        b.substr(0, 4) == absl::string_view("MM\0*", 4))) {
    return "tif";
  }
  return "img";
}

}  // namespace

SourcePicture::SourcePicture(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
SourcePicture::SourcePicture(SourcePicture&&) noexcept = default;
SourcePicture& SourcePicture::operator=(SourcePicture&&) noexcept = default;
SourcePicture::~SourcePicture() = default;
int SourcePicture::width() const { return impl_->image.width(); }
int SourcePicture::height() const { return impl_->image.height(); }
const std::string& SourcePicture::bytes() const { return impl_->bytes; }

absl::StatusOr<SourcePicture> SourcePicture::Decode(absl::string_view bytes) {
  internal::InitVipsForEval();
  auto impl = std::make_unique<Impl>();
  impl->bytes = std::string(bytes);
  if (impl->bytes.empty())
    return absl::InvalidArgumentError("evalset: empty file");
  VipsImage* loaded =
      vips_image_new_from_buffer(impl->bytes.data(), impl->bytes.size(), "",
                                 "access", VIPS_ACCESS_RANDOM, nullptr);
  if (loaded == nullptr) return VipsError("evalset: decode");
  VipsRef image(loaded);
  if (static_cast<int64_t>(image.width()) * image.height() > kMaxSourcePixels) {
    return absl::ResourceExhaustedError(
        absl::StrCat("evalset: picture is ", image.width(), "x", image.height(),
                     ", over ", kMaxSourcePixels, " pixels"));
  }
  HW_RETURN_IF_ERROR(FlattenOnWhite(&image, "evalset: decode"));
  VipsRef srgb;
  if (vips_colourspace(image.get(), srgb.out(), VIPS_INTERPRETATION_sRGB,
                       nullptr) != 0) {
    return VipsError("evalset: decode");
  }
  HW_ASSIGN_OR_RETURN(VipsRef rgb, CastUchar(srgb.get(), "evalset: decode"));
  if (rgb.bands() > 3) {
    VipsRef three;
    if (vips_extract_band(rgb.get(), three.out(), 0, "n", 3, nullptr) != 0) {
      return VipsError("evalset: decode");
    }
    rgb = std::move(three);
  }
  VipsImage* memory = vips_image_copy_memory(rgb.get());
  if (memory == nullptr) return VipsError("evalset: decode");
  impl->image = VipsRef(memory);
  return SourcePicture(std::move(impl));
}

absl::Span<const TransformSpec> AllTransforms() { return Specs(); }

absl::Span<const absl::string_view> TransformFamilies() {
  static const auto* families = [] {
    auto* v = new std::vector<absl::string_view>;
    for (const TransformSpec& t : Specs()) {
      if (std::find(v->begin(), v->end(), t.family) == v->end())
        v->push_back(t.family);
    }
    return v;
  }();
  return *families;
}

absl::StatusOr<TransformSpec> FindTransform(absl::string_view name) {
  for (const TransformSpec& t : Specs()) {
    if (t.name == name) return t;
  }
  return absl::NotFoundError(
      absl::StrCat("evalset: no transform called '", name,
                   "' (hashwatch-bench evalset --list shows them)"));
}

PictureSize ExpectedSize(const TransformSpec& transform, int width,
                         int height) {
  PictureSize size{width, height};
  for (const Step& s : Chains()[transform.id].steps) size = StepSize(s, size);
  return size;
}

absl::StatusOr<TransformedImage> ApplyTransform(const SourcePicture& source,
                                                const TransformSpec& transform,
                                                uint64_t seed) {
  const Chain& chain = Chains()[transform.id];
  if (chain.encoder == Encoder::kOriginal) {
    return TransformedImage{source.bytes(), SniffExtension(source.bytes()),
                            source.width(), source.height()};
  }
  std::mt19937 rng(static_cast<uint32_t>(seed ^ (seed >> 32)));
  VipsImage* start = source.impl().image.get();
  g_object_ref(start);
  VipsRef image(start);
  for (const Step& s : chain.steps) {
    HW_ASSIGN_OR_RETURN(image, ApplyStep(s, std::move(image), rng));
  }
  TransformedImage out;
  out.width = image.width();
  out.height = image.height();
  if (chain.encoder == Encoder::kPng) {
    HW_ASSIGN_OR_RETURN(out.bytes, internal::EncodePng(image.get()));
    out.extension = "png";
  } else {
    HW_ASSIGN_OR_RETURN(out.bytes,
                        internal::EncodeJpeg(image.get(), chain.quality));
    out.extension = "jpg";
  }
  return out;
}

uint64_t StableHash(absl::string_view text, uint64_t salt) {
  uint64_t h = 14695981039346656037ull ^ (salt * 0x9e3779b97f4a7c15ull);
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  // A final avalanche (splitmix64's) so that names differing in the last
  // character spread over the whole range.
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return h;
}

uint64_t TransformSeed(uint64_t seed, absl::string_view source_name,
                       const TransformSpec& transform) {
  return StableHash(absl::StrCat(source_name, "/", transform.name), seed);
}

}  // namespace hashwatch::bench
