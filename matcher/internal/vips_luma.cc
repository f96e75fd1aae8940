#include "matcher/internal/vips_luma.h"

#include <vips/vips.h>

#include <array>
#include <limits>
#include <mutex>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "matcher/internal/luma.h"
#include "matcher/vips_init.h"

namespace hashwatch::matcher::internal {
namespace {

// Loaders we accept from untrusted bytes. libvips can also load SVG, PDF,
// FITS, ImageMagick formats and more; those widen the attack surface for
// no benefit to an upload scanner, so they are refused as unsupported.
constexpr std::array<const char*, 7> kAllowedLoaders = {
    "VipsForeignLoadJpeg", "VipsForeignLoadPng",  "VipsForeignLoadWebp",
    "VipsForeignLoadGif",  "VipsForeignLoadTiff", "VipsForeignLoadHeif",
    "VipsForeignLoadNsgif"};

// Owns one VipsImage reference.
class ImageRef {
 public:
  ImageRef() = default;
  explicit ImageRef(VipsImage* image) : image_(image) {}
  ImageRef(const ImageRef&) = delete;
  ImageRef& operator=(const ImageRef&) = delete;
  ~ImageRef() {
    if (image_ != nullptr) g_object_unref(image_);
  }
  VipsImage* get() const { return image_; }
  VipsImage** out() { return &image_; }
  // Replaces the held image by the result of `op`, which writes into its
  // argument; returns false on error.
  template <typename Op>
  bool Apply(Op op) {
    VipsImage* next = nullptr;
    if (op(image_, &next) != 0) return false;
    g_object_unref(image_);
    image_ = next;
    return true;
  }

 private:
  VipsImage* image_ = nullptr;
};

absl::Status VipsError(absl::string_view what) {
  std::string detail = vips_error_buffer();
  vips_error_clear();
  while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' ')) {
    detail.pop_back();
  }
  // libvips reports truncation as a read error from the format's library.
  return absl::InvalidArgumentError(
      absl::StrFormat("decode: %s: %s", what,
                      detail.empty() ? "unknown libvips error" : detail));
}

// Brings any decoded image to 8-bit grey (1 band) or sRGB (3 bands), alpha
// dropped without compositing.
bool ToEightBit(ImageRef* image) {
  VipsImage* in = image->get();
  const bool grey =
      vips_image_get_bands(in) - (vips_image_hasalpha(in) ? 1 : 0) <= 1 &&
      vips_image_get_interpretation(in) != VIPS_INTERPRETATION_CMYK;
  const VipsInterpretation target =
      grey ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB;
  if (vips_image_get_interpretation(in) != target ||
      vips_image_get_format(in) != VIPS_FORMAT_UCHAR) {
    if (!image->Apply([&](VipsImage* i, VipsImage** o) {
          return vips_colourspace(i, o, target, nullptr);
        })) {
      return false;
    }
  }
  const int want_bands = grey ? 1 : 3;
  if (vips_image_get_bands(image->get()) > want_bands) {
    if (!image->Apply([&](VipsImage* i, VipsImage** o) {
          return vips_extract_band(i, o, 0, "n", want_bands, nullptr);
        })) {
      return false;
    }
  }
  if (vips_image_get_format(image->get()) != VIPS_FORMAT_UCHAR) {
    if (!image->Apply([](VipsImage* i, VipsImage** o) {
          return vips_cast_uchar(i, o, nullptr);
        })) {
      return false;
    }
  }
  return true;
}

}  // namespace

namespace {

// The header alone gives the declared size; nothing is decoded yet.
absl::Status CheckHeader(absl::string_view bytes, const DecodeOptions& options,
                         ImageRef* header, LumaImage* out) {
  ::hashwatch::matcher::InitVips();
  HW_RETURN_IF_ERROR(CheckInputBytes(bytes, options));
  const char* loader =
      vips_foreign_find_load_buffer(bytes.data(), bytes.size());
  if (loader == nullptr) {
    vips_error_clear();
    return absl::InvalidArgumentError(
        "decode: not an image, or an unsupported format (want jpeg, png, "
        "webp, gif, tiff, heif/avif)");
  }
  bool allowed = false;
  for (const char* prefix : kAllowedLoaders) {
    allowed = allowed || absl::StartsWith(loader, prefix);
  }
  if (!allowed) {
    return absl::InvalidArgumentError(
        absl::StrFormat("decode: unsupported format (%s)", loader));
  }
  *header->out() = vips_image_new_from_buffer(
      bytes.data(), bytes.size(), "", "access", VIPS_ACCESS_SEQUENTIAL,
      "fail_on", VIPS_FAIL_ON_TRUNCATED, nullptr);
  if (header->get() == nullptr) return VipsError("cannot read image header");
  out->source_width = vips_image_get_width(header->get());
  out->source_height = vips_image_get_height(header->get());
  const int64_t pixels =
      static_cast<int64_t>(out->source_width) * out->source_height;
  if (pixels > options.max_pixels) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "decode: image is %dx%d (%d pixels), over the limit of %d pixels",
        out->source_width, out->source_height, pixels, options.max_pixels));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckVipsInput(absl::string_view bytes,
                            const DecodeOptions& options) {
  ImageRef header;
  LumaImage sizes;
  return CheckHeader(bytes, options, &header, &sizes);
}

int64_t VipsDeclaredPixels(absl::string_view bytes) {
  DecodeOptions any;
  any.max_pixels = std::numeric_limits<int64_t>::max();
  any.max_bytes = std::numeric_limits<int64_t>::max();
  ImageRef header;
  LumaImage sizes;
  if (!CheckHeader(bytes, any, &header, &sizes).ok()) {
    vips_error_clear();
    return 0;
  }
  return static_cast<int64_t>(sizes.source_width) * sizes.source_height;
}

absl::Status DecodeVipsLuma(absl::string_view bytes,
                            const DecodeOptions& options, LumaImage* out) {
  ImageRef header;
  HW_RETURN_IF_ERROR(CheckHeader(bytes, options, &header, out));

  // No shrink-on-load here: PNG, GIF and TIFF have none, and the
  // nearest-neighbour resize must see full-resolution pixels to match the
  // reference, so both modes decode in full.
  ImageRef image;
  g_object_ref(header.get());
  *image.out() = header.get();
  if (!ToEightBit(&image)) return VipsError("cannot convert image to 8-bit");

  size_t size = 0;
  void* raw = vips_image_write_to_memory(image.get(), &size);
  if (raw == nullptr) return VipsError("cannot decode image");
  const int w = vips_image_get_width(image.get());
  const int h = vips_image_get_height(image.get());
  const int bands = vips_image_get_bands(image.get());
  const auto* data = static_cast<const uint8_t*>(raw);

  const bool resize = w > kCompatSide || h > kCompatSide;
  std::vector<int> columns, rows;
  out->width = resize ? kCompatSide : w;
  out->height = resize ? kCompatSide : h;
  if (resize) {
    columns = NearestIndices(w, kCompatSide);
    rows = NearestIndices(h, kCompatSide);
  }
  out->pixels.resize(static_cast<size_t>(out->width) * out->height);
  for (int y = 0; y < out->height; ++y) {
    const int sy = resize ? rows[y] : y;
    RowToLuma(data + static_cast<size_t>(sy) * w * bands, bands, out->width,
              columns,
              out->pixels.data() + static_cast<size_t>(y) * out->width);
  }
  g_free(raw);
  return absl::OkStatus();
}

}  // namespace hashwatch::matcher::internal
