// One call that turns image bytes into every hash hashwatch matches on: PDQ
// (plus quality and, on request, its eight dihedral variants) and the MD5,
// SHA-1 and SHA-256 of the raw bytes.
//
//   HashOptions options;
//   options.decode.mode = DecodeMode::kCompat;
//   absl::StatusOr<ImageHashes> h = HashImage(bytes, options);
//
// Thread-safety: HashImage is thread-safe; it keeps per-thread scratch
// buffers so a thread hashing many images allocates nothing after warm-up.
#ifndef HASHWATCH_MATCHER_HASHES_H_
#define HASHWATCH_MATCHER_HASHES_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "matcher/decode.h"
#include "matcher/digests.h"  // Md5Hex, Sha1Hex, Sha256Hex
#include "matcher/own_signature.h"
#include "matcher/pdq.h"
#include "matcher/regions.h"

namespace hashwatch::matcher {

struct HashOptions {
  DecodeOptions decode;
  // Also compute the eight dihedral PDQ variants (cheap: no re-decode).
  bool dihedral = false;
  // Compute MD5, SHA-1 and SHA-256 of the bytes. Off only when the caller
  // needs PDQ alone (benchmarks); costs about 7 ms per 3 MB on this machine.
  bool digests = true;
  // Also hash the pictures recovered from borders, bars and larger canvases
  // (matcher/regions.h), each with its dihedral variants when `dihedral` is
  // on. Costs a few milliseconds and one PDQ hash per candidate.
  bool recover = false;
  RegionOptions regions = {};
  // Also compute the picture's own-material signature (own_signature.h)
  // from the same decode. Costs about 10 ms per picture.
  bool own_signature = false;
  OwnSignatureOptions own = {};
};

// The PDQ hash of one recovered region.
struct RegionHash {
  Region region;     // in the decoded buffer the hasher saw
  std::string path;  // "unbordered" or "region X,Y,W,H" in source pixels
  PdqResult pdq;
};

struct ImageHashes {
  PdqResult pdq;       // hash, quality, optional dihedral variants
  std::string md5;     // lowercase hex, 32 digits (empty if not computed)
  std::string sha1;    // lowercase hex, 40 digits
  std::string sha256;  // lowercase hex, 64 digits
  int width = 0;       // declared size of the source image
  int height = 0;
  // With HashOptions::recover: the recovered regions whose hash is
  // reliable (quality >= kMinReliableQuality; a flat or blank region's hash
  // would match noise), largest first.
  std::vector<RegionHash> regions;
  // With HashOptions::own_signature: the signature, or why the picture has
  // none (too small, too few keypoints: own_status says).
  std::optional<OwnSignature> own;
  absl::Status own_status;
};

// Decodes and hashes. Errors as Decoder::DecodeLuma (InvalidArgument,
// ResourceExhausted) or InvalidArgument for bad options.
absl::StatusOr<ImageHashes> HashImage(absl::string_view bytes,
                                      const HashOptions& options);

}  // namespace hashwatch::matcher

#endif  // HASHWATCH_MATCHER_HASHES_H_
