#include "matcher/preview.h"

#include <vips/vips.h>

#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "matcher/internal/vips_luma.h"

namespace hashwatch::matcher {
namespace {

absl::Status VipsFailure(absl::string_view what) {
  std::string detail = vips_error_buffer();
  vips_error_clear();
  while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' '))
    detail.pop_back();
  return absl::InvalidArgumentError(
      absl::StrFormat("preview: %s: %s", what, detail));
}

// Unrefs every image it holds at scope exit.
struct Images {
  std::vector<VipsImage*> held;
  VipsImage** Next() {
    held.push_back(nullptr);
    return &held.back();
  }
  ~Images() {
    for (VipsImage* i : held) {
      if (i != nullptr) g_object_unref(i);
    }
  }
};

}  // namespace

absl::StatusOr<std::string> MakePreview(absl::string_view bytes,
                                        const PreviewOptions& o,
                                        const DecodeOptions& decode) {
  if (o.max_side < 16 || o.max_side > 1024 || !(o.blur_sigma > 0) ||
      o.jpeg_quality < 1 || o.jpeg_quality > 100) {
    return absl::InvalidArgumentError(
        "preview: options out of range (max_side 16..1024, blur_sigma > 0, "
        "jpeg_quality 1..100)");
  }
  // Same checks as hashing: format allow-list, byte and pixel limits, before
  // anything is decoded.
  HW_RETURN_IF_ERROR(internal::CheckVipsInput(bytes, decode));
  Images images;
  images.held.reserve(8);
  VipsImage** thumb = images.Next();
  if (vips_thumbnail_buffer(const_cast<char*>(bytes.data()), bytes.size(),
                            thumb, o.max_side, "height", o.max_side, "size",
                            VIPS_SIZE_DOWN, "no_rotate", TRUE, "option_string",
                            "fail_on=truncated", nullptr) != 0) {
    return VipsFailure("cannot decode image");
  }
  VipsImage* current = *thumb;
  if (vips_image_hasalpha(current)) {
    VipsImage** flat = images.Next();
    if (vips_flatten(current, flat, nullptr) != 0)
      return VipsFailure("cannot flatten");
    current = *flat;
  }
  VipsImage** coloured = images.Next();
  if (vips_colourspace(
          current, coloured,
          o.greyscale ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB,
          nullptr) != 0) {
    return VipsFailure("cannot convert colour");
  }
  current = *coloured;
  if (o.blur) {
    VipsImage** blurred = images.Next();
    if (vips_gaussblur(current, blurred, o.blur_sigma, nullptr) != 0) {
      return VipsFailure("cannot blur");
    }
    current = *blurred;
  }
  void* buf = nullptr;
  size_t len = 0;
  if (vips_jpegsave_buffer(current, &buf, &len, "Q", o.jpeg_quality, "strip",
                           TRUE, nullptr) != 0) {
    return VipsFailure("cannot encode preview");
  }
  std::string out(static_cast<char*>(buf), len);
  g_free(buf);
  return out;
}

}  // namespace hashwatch::matcher
