// libFuzzer target for the upload path: HashImage on untrusted bytes, in
// both decode modes, with the eight dihedral variants.
//
// An error status is a fine answer to garbage. What fails the run is a crash,
// a sanitizer report (ASan, UBSan, LSan), a hang past -timeout, or one of the
// invariants below, which abort through HW_CHECK so libFuzzer saves the input.
//
// Built by tests/fuzz/CMakeLists.txt with clang++ -fsanitize=fuzzer,address,
// undefined; run briefly by CTest as fuzz.hash_image_short, or by hand:
//   build/bin/hash_fuzz -max_len=65536 -timeout=10 /tmp/corpus tests/fuzz/seeds
#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"
#include "matcher/decode.h"
#include "matcher/hashes.h"
#include "matcher/internal/jpeg_luma.h"
#include "matcher/internal/luma.h"
#include "matcher/pdq.h"

namespace hashwatch::matcher {
namespace {

// Small enough that no single decode nears the fuzzer's timeout or RSS limit,
// large enough to reach the 512-pixel resize and the JPEG shrink-on-load.
constexpr int64_t kMaxPixels = 4'000'000;

HashOptions FuzzOptions(DecodeMode mode) {
  HashOptions options;
  options.decode.mode = mode;
  options.decode.max_pixels = kMaxPixels;
  options.dihedral = true;
  // Picture recovery in fast mode only: it runs on the decoded buffer,
  // which both modes share for every input but a large JPEG.
  options.recover = mode == DecodeMode::kFast;
  return options;
}

// The contract of one HashImage result, whatever the input.
void CheckOne(const absl::StatusOr<ImageHashes>& result) {
  if (!result.ok()) {
    // hashes.h promises these two codes only.
    HW_CHECK(absl::IsInvalidArgument(result.status()) ||
                 absl::IsResourceExhausted(result.status()),
             result.status().ToString().c_str());
    return;
  }
  const ImageHashes& h = *result;
  HW_CHECK(h.width > 0 && h.height > 0, "decoded an image with an empty side");
  HW_CHECK(static_cast<int64_t>(h.width) * h.height <= kMaxPixels,
           "decoded an image over max_pixels");
  const PdqResult& pdq = h.pdq;
  HW_CHECK(pdq.quality >= 0 && pdq.quality <= 100, "quality out of 0..100");
  absl::StatusOr<PdqHash> parsed = PdqHash::FromHex(pdq.hash.ToHex());
  HW_CHECK(parsed.ok() && *parsed == pdq.hash, "hex does not round-trip");
  HW_CHECK(pdq.has_dihedral && pdq.dihedral[0] == pdq.hash,
           "dihedral[0] is not the hash");
  // docs/pdq.md: a side below 5 pixels gives the zero hash with quality 0. That
  // holds for the decoded size, which is the source size unless some side
  // is over 512 (then both become 512).
  const bool resized =
      h.width > internal::kCompatSide || h.height > internal::kCompatSide;
  if (!resized && (h.width < 5 || h.height < 5)) {
    HW_CHECK(pdq.hash.IsZero() && pdq.quality == 0,
             "image with a side below 5 has a non-zero hash or quality");
    for (const PdqHash& d : pdq.dihedral) {
      HW_CHECK(d.IsZero(), "image with a side below 5 has a dihedral hash");
    }
  }
  HW_CHECK(h.md5.size() == 32 && h.sha1.size() == 40 && h.sha256.size() == 64,
           "digest has the wrong length");
  // regions.h and hashes.h: bounded, big enough, reliable, and named.
  const RegionOptions bounds;
  HW_CHECK(static_cast<int>(h.regions.size()) <= bounds.max_regions,
           "more regions than max_regions");
  for (const RegionHash& r : h.regions) {
    HW_CHECK(r.region.width >= bounds.min_side &&
                 r.region.height >= bounds.min_side && r.region.x >= 0 &&
                 r.region.y >= 0,
             "region below the minimum size or outside the picture");
    HW_CHECK(r.pdq.quality >= kMinReliableQuality, "unreliable region hash");
    HW_CHECK(r.path == "unbordered" || r.path.rfind("region ", 0) == 0,
             "region path is neither unbordered nor region");
  }
}

}  // namespace
}  // namespace hashwatch::matcher

// LeakSanitizer suppressions compiled into the binary, so they hold for
// CTest and hand runs alike. Third-party leaks only, in libraries hashwatch
// never calls itself:
//  - libdav1d: libheif's dav1d plugin leaks the compressed-data buffer it
//    made with dav1d_data_create when dav1d_send_data rejects it (corrupt
//    AV1 in an AVIF; seeds/regression-heif-dav1d-leak.avif), tens of bytes
//    per such image. Upstream: strukturag/libheif issue 1753. Matched by
//    library, not function: libdav1d has no frame pointers, so ASan's fast
//    unwinder records no frame above it.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libdav1d.so\n";
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hashwatch::matcher;
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<ImageHashes> fast =
      HashImage(bytes, FuzzOptions(DecodeMode::kFast));
  const absl::StatusOr<ImageHashes> compat =
      HashImage(bytes, FuzzOptions(DecodeMode::kCompat));
  CheckOne(fast);
  CheckOne(compat);

  // decode.h: only JPEG shrinks on load, and only when a side is over 512,
  // so every other input must come out of both modes identically. This also
  // catches decoders whose output depends on uninitialised or stale memory.
  if (internal::LooksLikeJpeg(bytes)) {
    if (fast.ok() && compat.ok() && fast->width <= internal::kCompatSide &&
        fast->height <= internal::kCompatSide) {
      HW_CHECK(fast->pdq.hash == compat->pdq.hash &&
                   fast->pdq.quality == compat->pdq.quality,
               "small jpeg hashes differently in fast and compat modes");
    }
    return 0;
  }
  HW_CHECK(fast.status().code() == compat.status().code(),
           "fast and compat modes disagree on a non-jpeg input's status");
  if (fast.ok()) {
    HW_CHECK(fast->width == compat->width && fast->height == compat->height &&
                 fast->pdq.hash == compat->pdq.hash &&
                 fast->pdq.quality == compat->pdq.quality &&
                 fast->pdq.dihedral == compat->pdq.dihedral,
             "non-jpeg input hashes differently in fast and compat modes");
  }
  return 0;
}
