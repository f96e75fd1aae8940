// Moderator previews (docs/design.md, "The review queue"): a small JPEG of
// an uploaded image, by default downscaled, blurred and greyscale, so that
// moderators see no more than they must. The unblurred variant exists only
// for an explicit, audited reveal.
//
// Thread-safety: MakePreview is thread-safe.
#ifndef HASHWATCH_MATCHER_PREVIEW_H_
#define HASHWATCH_MATCHER_PREVIEW_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "matcher/decode.h"

namespace hashwatch::matcher {

struct PreviewOptions {
  int max_side = 256;       // Longest side in pixels, 16..1024. Default 256.
  bool blur = true;         // Gaussian blur; off only for a reveal.
  double blur_sigma = 4.0;  // Blur strength in output pixels (> 0).
  bool greyscale = true;    // Off only for a reveal.
  int jpeg_quality = 75;    // 1..100
};

// Decodes `bytes` (limits from `decode`: pixel and byte limits apply as for
// hashing) and returns the preview as JPEG bytes. Errors: InvalidArgument
// (bad image or options), ResourceExhausted (over a limit).
absl::StatusOr<std::string> MakePreview(absl::string_view bytes,
                                        const PreviewOptions& options,
                                        const DecodeOptions& decode = {});

}  // namespace hashwatch::matcher

#endif  // HASHWATCH_MATCHER_PREVIEW_H_
