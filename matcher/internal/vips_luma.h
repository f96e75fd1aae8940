// libvips decoding to luminance for every format but plain JPEG (private to
// matcher/).
#ifndef HASHWATCH_MATCHER_INTERNAL_VIPS_LUMA_H_
#define HASHWATCH_MATCHER_INTERNAL_VIPS_LUMA_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "matcher/decode.h"

namespace hashwatch::matcher::internal {

// Initialises libvips once and checks `bytes` before any decode: a format
// on the allow-list, byte size and declared pixel count within `options`.
// Errors as Decoder::DecodeLuma. Thread-safe.
absl::Status CheckVipsInput(absl::string_view bytes,
                            const DecodeOptions& options);

// width x height from the header alone; 0 for input it cannot read.
// Thread-safe.
int64_t VipsDeclaredPixels(absl::string_view bytes);

// Decodes with libvips; errors as Decoder::DecodeLuma. Thread-safe.
absl::Status DecodeVipsLuma(absl::string_view bytes,
                            const DecodeOptions& options, LumaImage* out);

}  // namespace hashwatch::matcher::internal

#endif  // HASHWATCH_MATCHER_INTERNAL_VIPS_LUMA_H_
