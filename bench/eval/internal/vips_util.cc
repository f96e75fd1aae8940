#include "bench/eval/internal/vips_util.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "matcher/vips_init.h"

namespace hashwatch::bench::internal {

void InitVipsForEval() { matcher::InitVips(); }

absl::Status VipsError(absl::string_view what) {
  std::string message(absl::StripTrailingAsciiWhitespace(vips_error_buffer()));
  vips_error_clear();
  for (char& c : message) {
    if (c == '\n') c = ' ';
  }
  if (message.empty()) message = "libvips failed";
  return absl::InvalidArgumentError(absl::StrCat(what, ": ", message));
}

namespace {

absl::StatusOr<std::string> TakeBuffer(int rc, void* buf, size_t len,
                                       absl::string_view what) {
  if (rc != 0) return VipsError(what);
  std::string out(static_cast<const char*>(buf), len);
  g_free(buf);
  return out;
}

}  // namespace

absl::StatusOr<std::string> EncodeJpeg(VipsImage* image, int quality) {
  void* buf = nullptr;
  size_t len = 0;
  const int rc = vips_jpegsave_buffer(image, &buf, &len, "Q", quality, "strip",
                                      TRUE, nullptr);
  return TakeBuffer(rc, buf, len, "evalset: jpeg encode");
}

absl::StatusOr<std::string> EncodePng(VipsImage* image) {
  void* buf = nullptr;
  size_t len = 0;
  const int rc = vips_pngsave_buffer(image, &buf, &len, "compression", 6,
                                     "strip", TRUE, nullptr);
  return TakeBuffer(rc, buf, len, "evalset: png encode");
}

absl::Status FlattenOnWhite(VipsRef* image, absl::string_view what) {
  if (!vips_image_hasalpha(image->get())) return absl::OkStatus();
  VipsArrayDouble* white = vips_array_double_newv(1, 255.0);
  VipsRef flat;
  const int rc =
      vips_flatten(image->get(), flat.out(), "background", white, nullptr);
  vips_area_unref(VIPS_AREA(white));
  if (rc != 0) return VipsError(what);
  *image = std::move(flat);
  return absl::OkStatus();
}

}  // namespace hashwatch::bench::internal
