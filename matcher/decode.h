// Image decoding to a luminance buffer, the input of PDQ.
//
// Two modes (see docs/pdq.md, "Compat and fast modes"):
//  - kCompat: reproduces the reference command-line hasher: full decode to
//    8-bit RGB (or grey), then images with a side above 512 are resized to
//    exactly 512x512 by nearest neighbour aligned to the top-left corner.
//    JPEGs are decoded by libjpeg-turbo and sampled row by row, so no
//    full-size buffer is held; other formats go through libvips.
//  - kFast (default): large JPEGs shrink on load (libjpeg-turbo's M/8 IDCT
//    scaling) to the smallest size that keeps each side at 512 or more, so
//    a 12 MP JPEG never decodes to full size; then the same
//    nearest-neighbour 512x512 resize. Only JPEGs that shrink to half size
//    or less do (DecodeOptions::min_fast_shrink): mid-size JPEGs, those
//    with a side of 512 or less, and formats without shrink-on-load in
//    their decoder hash exactly as kCompat.
//
// JPEG, PNG, WebP, GIF (first frame), TIFF, and HEIF/AVIF where the installed
// libvips has them. No EXIF auto-rotation. Alpha is dropped without
// compositing; CMYK and 16-bit images become 8-bit sRGB first.
//
// Thread-safety: Decoder is not thread-safe (it owns reusable buffers); use
// one per thread. DecodeLuma on different Decoders runs concurrently.
#ifndef HASHWATCH_MATCHER_DECODE_H_
#define HASHWATCH_MATCHER_DECODE_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace hashwatch::matcher {

enum class DecodeMode { kFast, kCompat };

struct DecodeOptions {
  DecodeMode mode = DecodeMode::kFast;
  // Images whose declared width x height exceeds this are refused with
  // ResourceExhausted before any pixel buffer is allocated (decompression
  // bombs). Default 100 megapixels.
  int64_t max_pixels = 100'000'000;
  // Encoded inputs larger than this are refused with ResourceExhausted.
  // Default 64 MiB.
  int64_t max_bytes = 64LL << 20;
  // kFast shrinks a JPEG on load only where that buys real speed: when it
  // can decode every side at 1/min_fast_shrink of its size or less (M/8
  // with M <= 8 / min_fast_shrink) and still keep the pixels the 512 x 512
  // resize samples. Other JPEGs (mid-size ones, and any with a side of
  // 512 or less) decode at full size and hash exactly as in kCompat.
  // 1..8; 1 shrinks whenever any scale keeps those pixels.
  int min_fast_shrink = 2;
};

// Luminance, row-major, width x height floats in 0..255.
struct LumaImage {
  std::vector<float> pixels;
  int width = 0;
  int height = 0;
  // Size of the encoded image before any shrink or resize.
  int source_width = 0;
  int source_height = 0;
};

class Decoder final {
 public:
  Decoder() = default;

  // Decodes `bytes` into `out` (its buffer is reused between calls).
  // Errors: InvalidArgument for empty, truncated, corrupt, unsupported or
  // non-image input (the message says which); ResourceExhausted when the
  // input or its declared dimensions exceed the options' limits.
  absl::Status DecodeLuma(absl::string_view bytes, const DecodeOptions& options,
                          LumaImage* out);

 private:
  std::vector<uint8_t> row_;  // one decoded scanline (JPEG paths)
};

// The pixels a decode of `bytes` holds in memory at once, read from the
// header alone (no decode): 0 for JPEG, which is decoded row by row; width x
// height for every other format, decoded in full; 0 for input that is not
// an image (the decode refuses it).
int64_t DecodeFootprintPixels(absl::string_view bytes);

// Checks an options struct once; InvalidArgument names the bad field.
absl::Status ValidateDecodeOptions(const DecodeOptions& options);

// The checks every decoder makes before reading a byte of `bytes`:
// InvalidArgument when it is empty, ResourceExhausted when it is larger
// than options.max_bytes.
absl::Status CheckInputBytes(absl::string_view bytes,
                             const DecodeOptions& options);

}  // namespace hashwatch::matcher

#endif  // HASHWATCH_MATCHER_DECODE_H_
