// The edits a re-uploaded copy of a known picture typically went through,
// as deterministic transforms for the evaluation set (bench/'s sweep).
//
//   HW_ASSIGN_OR_RETURN(SourcePicture src, SourcePicture::Decode(bytes));
//   for (const TransformSpec& t : AllTransforms()) {
//     HW_ASSIGN_OR_RETURN(TransformedImage copy,
//                         ApplyTransform(src, t, TransformSeed(1, "b001.jpg",
//                         t)));
//   }
//
// Each transform is a short chain of steps (resize, crop, rotate, overlay
// text, ...) followed by an encoder (JPEG at a given quality, or PNG); the
// chains are listed in transforms.cc, and `hashwatch-bench evalset --list`
// prints them. Random choices (crop offsets, noise, caption text, where a
// picture sits on a canvas) come from a std::mt19937 seeded by
// TransformSeed, and use only the generator's raw output (no std::
// distributions, whose algorithms differ between standard libraries), so
// the same source, transform and seed give byte-identical output.
//
// Text is drawn with cairo's font API in DejaVu Sans Bold (Debian:
// fonts-dejavu-core), one line as large as fits the caption's box, never
// with vips_text (Pango), which crashes the process at random
// (bench/eval/internal/text_mask.h says why); where no font can draw it, a
// deterministic pattern of glyph-sized blocks is drawn instead, so the
// transform still covers the same area.
//
// Thread-safety: SourcePicture is immutable after Decode and may be shared
// by threads; every function here is thread-safe.
#ifndef HASHWATCH_BENCH_EVAL_TRANSFORMS_H_
#define HASHWATCH_BENCH_EVAL_TRANSFORMS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace hashwatch::bench {

// A picture decoded once (to 8-bit sRGB, alpha flattened onto white, no
// EXIF rotation, as the matcher does) so that many transforms can start
// from it without decoding again.
class SourcePicture final {
 public:
  // InvalidArgument when libvips cannot decode `bytes`.
  static absl::StatusOr<SourcePicture> Decode(absl::string_view bytes);
  SourcePicture(SourcePicture&&) noexcept;
  SourcePicture& operator=(SourcePicture&&) noexcept;
  ~SourcePicture();

  int width() const;
  int height() const;
  // The encoded bytes it was decoded from (the "original" transform's output).
  const std::string& bytes() const;

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  explicit SourcePicture(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct TransformSpec {
  int id = 0;                // index into AllTransforms()
  absl::string_view name;    // e.g. "jpeg_q50", "combo_crop_resize_q70"
  absl::string_view family;  // e.g. "jpeg", "crop", "combo": for grouped plots
  absl::string_view description;  // one line, for reports
};

// Every transform, in a fixed order (the manifest's, the sweep's and the
// CSV's order).
absl::Span<const TransformSpec> AllTransforms();

// The families in first-appearance order of AllTransforms().
absl::Span<const absl::string_view> TransformFamilies();

// The transform called `name`; NotFound otherwise (the message lists none
// of them: see AllTransforms).
absl::StatusOr<TransformSpec> FindTransform(absl::string_view name);

struct PictureSize {
  int width = 0;
  int height = 0;
  friend bool operator==(const PictureSize&, const PictureSize&) = default;
};

// The size `transform` produces from a width x height source: plain
// arithmetic over its steps, independent of libvips. Requires sides >= 1.
PictureSize ExpectedSize(const TransformSpec& transform, int width, int height);

struct TransformedImage {
  std::string bytes;
  absl::string_view
      extension;  // "jpg" or "png" (or the source's for "original")
  int width = 0;
  int height = 0;
};

// Applies `transform` to `source`. Deterministic in (source bytes,
// transform, seed). InvalidArgument when libvips fails on the picture.
absl::StatusOr<TransformedImage> ApplyTransform(const SourcePicture& source,
                                                const TransformSpec& transform,
                                                uint64_t seed);

// 64-bit FNV-1a of `text` mixed with `salt`: stable across platforms and
// runs (std::hash is not), for seeds and for the known/distractor split.
uint64_t StableHash(absl::string_view text, uint64_t salt);

// The seed ApplyTransform gets for one source file and transform.
uint64_t TransformSeed(uint64_t seed, absl::string_view source_name,
                       const TransformSpec& transform);

}  // namespace hashwatch::bench

#endif  // HASHWATCH_BENCH_EVAL_TRANSFORMS_H_
