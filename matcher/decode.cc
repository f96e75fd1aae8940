#include "matcher/decode.h"

#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "matcher/internal/jpeg_luma.h"
#include "matcher/internal/vips_luma.h"

namespace hashwatch::matcher {

absl::Status ValidateDecodeOptions(const DecodeOptions& options) {
  if (options.max_pixels <= 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "decode: max_pixels is %d, want > 0", options.max_pixels));
  }
  if (options.min_fast_shrink < 1 || options.min_fast_shrink > 8) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "decode: min_fast_shrink is %d, want 1..8", options.min_fast_shrink));
  }
  if (options.max_bytes <= 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "decode: max_bytes is %d, want > 0", options.max_bytes));
  }
  return absl::OkStatus();
}

absl::Status CheckInputBytes(absl::string_view bytes,
                             const DecodeOptions& options) {
  if (bytes.empty())
    return absl::InvalidArgumentError("decode: input is empty");
  if (static_cast<int64_t>(bytes.size()) > options.max_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrFormat("decode: input is %d bytes, over the limit of %d bytes",
                        bytes.size(), options.max_bytes));
  }
  return absl::OkStatus();
}

absl::Status Decoder::DecodeLuma(absl::string_view bytes,
                                 const DecodeOptions& options, LumaImage* out) {
  HW_RETURN_IF_ERROR(ValidateDecodeOptions(options));
  HW_RETURN_IF_ERROR(CheckInputBytes(bytes, options));
  if (internal::LooksLikeJpeg(bytes)) {
    return internal::DecodeJpegLuma(bytes, options, &row_, out);
  }
  return internal::DecodeVipsLuma(bytes, options, out);
}

int64_t DecodeFootprintPixels(absl::string_view bytes) {
  if (bytes.empty() || internal::LooksLikeJpeg(bytes)) return 0;
  return internal::VipsDeclaredPixels(bytes);
}

}  // namespace hashwatch::matcher
