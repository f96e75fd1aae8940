// Text masks for the caption and watermark transforms (private to
// bench/eval): a line of text drawn as an 8-bit coverage mask, as large as
// fits a box.
//
// Drawn with cairo's own font API (FreeType, fontconfig), never with Pango,
// and so never with libvips' vips_text. The reason is a crash, not taste:
// libvips 8.14's vips_text lays text out with Pango and clears Pango's font
// cache (pango_fc_font_map_cache_clear) on every call, while Pango 1.50
// matches fonts on background threads of its own. The last reference to a
// cleared pattern set is then often dropped on one of those threads, which
// edits the font map's hash table while the caller's next vips_text call
// uses it: the process dies with SIGFPE in g_hash_table_lookup, even when a
// single thread ever calls vips_text (`hashwatch-bench sweep --threads 1`
// died in about 3 runs of 11). No lock of ours reaches Pango's threads;
// cairo's font API starts no thread, so with one lock around it nothing
// touches fonts concurrently.
//
// Thread-safety: thread-safe. Every cairo and fontconfig call of the process
// happens in RenderTextMask under one process-wide mutex, and the mask comes
// back as plain bytes, so no libvips pipeline evaluated later on a libvips
// worker thread touches a font.
#ifndef HASHWATCH_BENCH_EVAL_INTERNAL_TEXT_MASK_H_
#define HASHWATCH_BENCH_EVAL_INTERNAL_TEXT_MASK_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hashwatch::bench::internal {

// A width x height single-band mask, row-major: 0 no ink .. 255 full ink.
struct TextMaskPixels {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> coverage;
};

// `text` (UTF-8, one line) in the bold face of font family `family`
// (fontconfig substitutes another when it is not installed), at the largest
// size whose ink fits in box_w x box_h pixels; the mask is cropped to the
// ink. Hinting is off, so the result depends only on the inputs and the
// installed fonts. InvalidArgument for an empty text or box, or when no
// glyph has ink at any size (no usable font); callers draw something else.
absl::StatusOr<TextMaskPixels> RenderTextMask(absl::string_view text,
                                              absl::string_view family,
                                              int box_w, int box_h);

}  // namespace hashwatch::bench::internal

#endif  // HASHWATCH_BENCH_EVAL_INTERNAL_TEXT_MASK_H_
