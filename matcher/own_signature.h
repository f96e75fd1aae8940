// Own-material signatures: local image features that survive crops,
// captions, watermarks and small rotations, for pictures the platform holds
// itself while deciding (items sent to review, confirmed items, a preserved
// archive). docs/own-material.md gives the method, the measurements behind
// its defaults and what a stored signature can and cannot reveal.
//
// A signature is up to max_features ORB keypoints (OpenCV; FAST corners with
// 256-bit rotated-BRIEF descriptors) of the picture's luminance scaled to
// analysis_side on its long side, spread over a 4 x 4 grid so that a caption
// or a watermark cannot take them all. Two signatures are compared by
// matching descriptors (Hamming distance, ratio test) and fitting a
// similarity transform (rotation, uniform scale, shift) to the matches with
// RANSAC: the score is the number of matches the transform explains
// (inliers). Copies score tens to hundreds, unrelated pictures a handful;
// different pictures under the same caption, watermark or page score many
// too, but only away from the centre, which IsOwnMatch requires.
//
//   OwnSignatureOptions options;
//   absl::StatusOr<OwnSignature> sig = ComputeOwnSignature(bytes, options);
//   OwnSignatureIndex index;
//   index.Add(item_id, *sig);
//   for (const OwnMatch& m : index.Search(*query)) {
//     ... m.id, m.verification.inliers ...
//   }
//
// Pixels are never kept: the signature holds keypoint positions (in the
// scaled picture) and descriptors only.
//
// Costs (bench/own_probe, docs/own-material.md): 25-40 ms per picture with
// its decode on 2 loaded cores, 8-9 KB per serialised signature, about 20 KB
// per signature held in the index. Descriptors are compared with the PDQ
// index's popcount kernels: 0.016 ms to verify a pair, and a search, which
// verifies at most 8 candidates, 1.1 ms at 10k signatures and 2.4 ms at
// 100k (quiet machine; OpenCV's brute-force matcher took 1-2 ms a pair).
//
// Thread-safety: the free functions are thread-safe. OwnSignatureIndex may
// be used from any number of threads at once (searches share a lock,
// writes take it alone).
#ifndef HASHWATCH_MATCHER_OWN_SIGNATURE_H_
#define HASHWATCH_MATCHER_OWN_SIGNATURE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "matcher/decode.h"

namespace hashwatch::matcher {

// Pictures with a side below this many pixels get no signature: a few
// dozen pixels hold too little to tell a copy from a look-alike.
inline constexpr int kMinOwnPictureSide = 64;

struct OwnSignatureOptions {
  // Byte and pixel limits of the input (decompression bombs), as a scan's.
  DecodeOptions decode;
  // The picture is scaled (up or down, aspect kept) to this long side before
  // detection: copies at any size are compared at one scale. 128..1024.
  int analysis_side = 512;
  // Keypoints kept, the strongest of each grid cell first. 16..1024. Stored
  // signatures cost 36 bytes per keypoint (Serialize).
  int max_features = 256;
  // Fewer keypoints than this (a flat, blank or tiny-detail picture) is an
  // error: such a signature would match anything or nothing. >= 8.
  int min_features = 24;
  // FAST corner threshold (luminance levels). Lower finds corners in
  // smooth pictures (soft artwork, gradients) too; chosen on generated
  // copies of such pictures (docs/own-material.md). Contrast equalisation
  // (CLAHE) before detection was tried and found fewer copies: the corners
  // it brings out of flat areas do not survive JPEG.
  int fast_threshold = 6;
};

// One keypoint: its position in the scaled picture and its descriptor.
struct OwnFeature {
  float x = 0;
  float y = 0;
  std::array<uint8_t, 32> descriptor{};
};

struct OwnSignature {
  int width = 0;  // the scaled picture the keypoints are in
  int height = 0;
  std::vector<OwnFeature> features;

  // Versioned bytes: "HWOS", version 1, then width, height and feature count
  // (little-endian uint16 each), then per feature x and y in 1/16 pixel
  // (uint16 each) and the 32 descriptor bytes. 11 + 36 * features bytes.
  std::string Serialize() const;

  // InvalidArgument: not a signature (magic) or a version this build cannot
  // read. DataLoss: truncated, trailing bytes, or values out of range.
  static absl::StatusOr<OwnSignature> Parse(absl::string_view bytes);
};

// Decodes `bytes` as a scan does (Decoder::DecodeLuma in fast mode: the
// same formats, limits and shrink-on-load; no EXIF rotation) and computes
// its signature from the luminance, in the picture's aspect ratio.
// InvalidArgument: not a decodable picture, a side under
// kMinOwnPictureSide, bad options, or fewer than min_features keypoints (the
// message says which). ResourceExhausted: over the decode limits.
absl::StatusOr<OwnSignature> ComputeOwnSignature(
    absl::string_view bytes, const OwnSignatureOptions& options = {});

// The same from a decoded luminance picture (row-major, width x height,
// values 0..255) in the picture's own aspect ratio.
absl::StatusOr<OwnSignature> ComputeOwnSignatureFromLuma(
    absl::Span<const float> luma, int width, int height,
    const OwnSignatureOptions& options = {});

// The same from the scan's decode (Decoder::DecodeLuma), which resizes large
// pictures to 512 x 512 whatever their shape: the aspect ratio of
// source_width x source_height is restored before detection.
absl::StatusOr<OwnSignature> ComputeOwnSignatureFromLuma(
    const LumaImage& image, const OwnSignatureOptions& options = {});

// Checks an options struct; InvalidArgument names the bad field.
absl::Status ValidateOwnSignatureOptions(const OwnSignatureOptions& options);

struct OwnMatchOptions {
  // Descriptor pairs further apart than this (of 256 bits) are no match.
  int max_descriptor_distance = 64;
  // Lowe's ratio test: the best stored descriptor must be closer than this
  // share of the second best.
  double ratio = 0.85;
  // RANSAC: a match is an inlier when the transform puts it within this many
  // pixels of the scaled picture.
  double reprojection_error = 5.0;
  // Transforms scaling by less than 1/max_scale or more than max_scale are
  // rejected (a copy is not a 10x zoom of a detail).
  double max_scale = 4.0;
  // A pair is a match when at least min_inliers matches fit the transform,
  // at least min_central of them lie in the central quarter of the stored
  // picture (the middle half of each side, which every crop up to 25% per
  // side keeps), and they are spread over at least min_spread rows and
  // min_spread columns of a 4 x 4 grid over the stored picture (two inliers
  // or more in each). Text that two different pictures share (the same
  // caption at the top and the bottom, the same watermark in a corner, the
  // same page around them) lines up as well as a copy does, but away from
  // the centre. Chosen on generated look-alikes: docs/own-material.md.
  int min_inliers = 16;
  int min_central = 6;
  int min_spread = 2;
};

// How well `query` matches `stored`.
struct OwnVerification {
  int correspondences = 0;  // descriptor matches passing the ratio test
  int inliers = 0;          // of those, explained by the fitted transform
  double scale = 0;         // query size / stored size, when fitted
  double rotation_degrees = 0;
  // Inliers in the central quarter of the stored picture.
  int central = 0;
  // Rows and columns of a 4 x 4 grid over the stored picture holding two
  // inliers or more: the smaller of the two counts, 0..4.
  int spread = 0;
};

// Whether `v` counts as a match under `options`.
bool IsOwnMatch(const OwnVerification& v, const OwnMatchOptions& options);

// Compares two signatures (descriptor matching, then RANSAC). Deterministic.
OwnVerification VerifyOwnSignatures(const OwnSignature& stored,
                                    const OwnSignature& query,
                                    const OwnMatchOptions& options = {});

struct OwnIndexOptions {
  OwnMatchOptions match;
  // Candidate retrieval: each stored descriptor is filed under `tables`
  // 16-bit keys (descriptor bytes 2t, 2t+1). A query descriptor votes for
  // the pictures whose descriptors share a key with it and are within
  // `check_distance` of it on 32 further bits. 1..12.
  int tables = 4;
  int check_distance = 7;
  // Buckets holding more than this many descriptors are skipped (keys of
  // flat areas that every picture shares tell nothing).
  size_t max_bucket = 20000;
  // Pictures with fewer votes (distinct query keypoints) are not verified;
  // at most max_verify pictures, most votes first, are.
  int min_votes = 5;
  int max_verify = 8;
};

struct OwnMatch {
  uint64_t id = 0;
  int votes = 0;
  OwnVerification verification;
};

// Own-material signatures by caller id, searched by voting on descriptor keys
// (no comparison with every stored picture) and verified geometrically.
class OwnSignatureIndex final {
 public:
  explicit OwnSignatureIndex(const OwnIndexOptions& options = {});

  // Stores `signature` under `id`, replacing what `id` held (so adding the
  // same picture twice leaves one entry). InvalidArgument: an empty
  // signature or bad options.
  absl::Status Add(uint64_t id, const OwnSignature& signature);

  // Removes `id`; false when absent.
  bool Remove(uint64_t id);

  // The stored pictures that `query` matches (IsOwnMatch), most inliers
  // first.
  std::vector<OwnMatch> Search(const OwnSignature& query) const;

  size_t size() const;
  // Heap bytes held (signatures and key tables, allocated capacity).
  size_t MemoryBytes() const;

 private:
  struct Slot {
    uint64_t id = 0;
    OwnSignature signature;
    bool used = false;
  };
  struct Entry {
    uint32_t slot;
    uint32_t check;  // descriptor bytes 24..27
  };

  void FileLocked(uint32_t slot, bool add) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  OwnIndexOptions options_;
  mutable absl::Mutex mu_;
  std::vector<Slot> slots_ ABSL_GUARDED_BY(mu_);
  std::vector<uint32_t> free_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, uint32_t> by_id_ ABSL_GUARDED_BY(mu_);
  // tables_[t][key]: the entries filed under key in table t.
  std::vector<std::vector<std::vector<Entry>>> tables_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hashwatch::matcher

#endif  // HASHWATCH_MATCHER_OWN_SIGNATURE_H_
