// PDQ perceptual hash: the 256-bit hash value, its hex codec, Hamming
// distance, and the hasher that turns a luminance image into hash + quality
// (and the eight dihedral variants).
//
// Implements Meta's 2019 paper "The TMK+PDQF Video-Hashing Algorithm and the
// PDQ Image Similarity Algorithm" as docs/pdq.md describes it. Results are
// bit-exact with the reference on the same luminance input: all float
// arithmetic follows the order docs/pdq.md gives, and the project is
// built with -ffp-contract=off so no multiply-add is fused.
//
// Thread-safety: PdqHash is a value type. PdqHasher owns scratch buffers and
// is not thread-safe; use one per thread.
#ifndef HASHWATCH_MATCHER_PDQ_H_
#define HASHWATCH_MATCHER_PDQ_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace hashwatch::matcher {

// A 256-bit PDQ hash. Bit k (0..255) is bit (k % 16) of words[k / 16]; bit
// k = 16 i + j is the sign of DCT coefficient B[i][j] against the median.
struct PdqHash {
  std::array<uint16_t, 16> words{};

  bool Bit(int k) const { return (words[k >> 4] >> (k & 15)) & 1; }
  void SetBit(int k) { words[k >> 4] |= static_cast<uint16_t>(1u << (k & 15)); }
  bool IsZero() const;

  // The shared-list text form: 64 lowercase hex digits, word 15 first down to
  // word 0, each word as 4 digits.
  std::string ToHex() const;

  // Parses exactly 64 hex digits (either case, nothing else: no prefix, no
  // whitespace). InvalidArgument names the problem otherwise.
  static absl::StatusOr<PdqHash> FromHex(absl::string_view hex);

  friend bool operator==(const PdqHash&, const PdqHash&) = default;
};

// Number of differing bits, 0..256.
int HammingDistance(const PdqHash& a, const PdqHash& b);

// The eight dihedral transforms, in docs/pdq.md's table order (also the column
// order of the reference's dihedral output).
enum class Dihedral : int {
  kOriginal = 0,
  kRotate90 = 1,
  kRotate180 = 2,
  kRotate270 = 3,
  kFlipX = 4,       // mirror top-bottom
  kFlipY = 5,       // mirror left-right
  kFlipPlus1 = 6,   // about the main diagonal
  kFlipMinus1 = 7,  // about the anti-diagonal
};
inline constexpr int kNumDihedral = 8;

// "original", "rotate90", ..., "flip_minus1".
absl::string_view DihedralName(Dihedral d);

// Quality below which a hash is unreliable: flat or blank images (docs/pdq.md).
inline constexpr int kMinReliableQuality = 50;

struct PdqResult {
  PdqHash hash;
  int quality = 0;  // 0..100
  // The eight dihedral variants, index = Dihedral; filled only when asked
  // for (then dihedral[0] == hash).
  std::array<PdqHash, kNumDihedral> dihedral{};
  bool has_dihedral = false;
};

// Computes PDQ from a luminance image. Keeps its scratch buffers between
// calls, so a hasher reused on a hot path allocates nothing after warm-up.
class PdqHasher final {
 public:
  PdqHasher();

  // Hashes `luma`, row-major, width x height, values 0..255 as float. The
  // buffer is used as scratch and its contents are overwritten. Sides below 5
  // pixels give the all-zero hash with quality 0 (docs/pdq.md). Requires
  // luma.size() == width * height.
  PdqResult Hash(absl::Span<float> luma, int width, int height, bool dihedral);

 private:
  // Two-pass tent (Jarosz) filter then decimation into buffer64_.
  void Downsample(float* luma, int width, int height);
  void Dct(const float* a64, float* b16) const;

  std::vector<float> scratch_;
  std::array<float, 64 * 64> buffer64_{};
  std::array<float, 16 * 64> dct_;    // D, 16 x 64
  std::array<float, 64 * 16> dct_t_;  // D transposed, 64 x 16
};

}  // namespace hashwatch::matcher

#endif  // HASHWATCH_MATCHER_PDQ_H_
