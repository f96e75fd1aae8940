// libjpeg-turbo decoding of JPEG to luminance (private to matcher/).
//
// libvips adds a pipeline around libjpeg that costs more than the decode of
// a 1/8-scaled 12 MP JPEG itself, so both modes decode JPEG here directly.
#ifndef HASHWATCH_MATCHER_INTERNAL_JPEG_LUMA_H_
#define HASHWATCH_MATCHER_INTERNAL_JPEG_LUMA_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "matcher/decode.h"

namespace hashwatch::matcher::internal {

// True when `bytes` starts with the JPEG SOI marker.
bool LooksLikeJpeg(absl::string_view bytes);

// The M of the M/8 scale at which a width x height JPEG is decoded: the
// smallest that leaves every side at least min(side, 512) long, if that
// shrinks each side to 1/options.min_fast_shrink or less, in kFast; 8
// (full size) otherwise and always in kCompat.
int JpegScaleNumerator(int width, int height, const DecodeOptions& options);

// Decodes a JPEG (grey, YCbCr, RGB, CMYK or YCCK) into `out`; errors as
// Decoder::DecodeLuma. `row` is scratch.
absl::Status DecodeJpegLuma(absl::string_view bytes,
                            const DecodeOptions& options,
                            std::vector<uint8_t>* row, LumaImage* out);

}  // namespace hashwatch::matcher::internal

#endif  // HASHWATCH_MATCHER_INTERNAL_JPEG_LUMA_H_
