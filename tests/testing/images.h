// Synthetic benign test images, generated in memory with libvips.
#ifndef HASHWATCH_TESTS_TESTING_IMAGES_H_
#define HASHWATCH_TESTS_TESTING_IMAGES_H_

#include <cstdint>
#include <string>

namespace hashwatch::testing {

// A smooth, structured test pattern (gradients and rings), `bands` 1 or 3,
// 8-bit, encoded by libvips' saver for `format` ("png", "jpeg", "webp",
// "tiff", "gif", "heif"), e.g. ".png" options via `save_options` such as
// "[Q=90]". Returns an empty string when the saver is not available.
std::string MakePattern(int width, int height, int bands,
                        const std::string& suffix);

// A width x height 8-bit grey picture (row-major `pixels`) encoded as JPEG
// at `quality`.
std::string GreyJpeg(const uint8_t* pixels, int width, int height, int quality);

// A width x height grey picture of one value (0..255), encoded as
// `suffix` (".png", ".jpg"): no detail at all.
std::string MakeFlat(int width, int height, int value,
                     const std::string& suffix);

// Re-encodes `image` after a libvips transform given by name: "rot90",
// "rot180", "rot270", "fliph", "flipv", "transpose", "antitranspose";
// lossless PNG output. "shrink_jpeg": resized to 60%, JPEG quality 40 (a
// typical re-upload: a near copy, a few PDQ bits away). "border_jpeg": a
// white border a tenth of the width wide on every side, JPEG quality 85 (a
// copy plain PDQ misses; matcher/regions.h recovers it). "page_png": the
// picture on a light page, under a dark title bar and above lines of
// "text" (a screenshot of a page; recovered as a region, not unbordered).
// "crop_caption_jpeg": cropped (12% off the left, 10% off the top, 6% off
// the right) above a dark caption bar of light "text", JPEG quality 85 (a
// copy PDQ misses; own-material signatures find it).
std::string TransformImage(const std::string& image, const std::string& op);

// `png` (8-bit) re-saved as 16-bit PNG with each value v stored as v*257.
std::string To16BitPng(const std::string& png);

// `png` with an alpha band of varying opacity added, saved as PNG.
std::string WithAlphaPng(const std::string& png);

// `image` re-encoded as JPEG (quality 95) with the EXIF orientation tag set.
std::string JpegWithOrientation(const std::string& image, int orientation);

}  // namespace hashwatch::testing

#endif  // HASHWATCH_TESTS_TESTING_IMAGES_H_
