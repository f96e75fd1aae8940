#include "matcher/pdq.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <numbers>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "matcher/internal/isa.h"

namespace hashwatch::matcher {
namespace {

constexpr int kOut = 64;  // side of the decimated buffer
constexpr int kDct = 16;  // side of the DCT output

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The tent filter of docs/pdq.md is a box filter run twice along each axis. One
// box of window `w` over a line of `n` samples has four phases: a warm-up
// that only accumulates, outputs with a growing window, outputs with the full
// window (add the entering sample, then subtract the leaving one), and
// outputs with a shrinking window. The running sum and its float rounding are
// part of the definition, so every output is produced by the same sequence
// of adds and subtracts as in the reference even when only a few of the
// outputs are kept.
struct BoxPhases {
  int warmup, grow, full, shrink;
  BoxPhases(int n, int w) {
    const int half = (w + 2) / 2;
    warmup = half - 1;
    grow = w - half + 1;
    full = n - w;
    shrink = half - 1;
  }
};

// Box-filters G rows in lockstep (independent running sums give the CPU
// instruction-level parallelism). Row g reads in[g * in_stride + x]; output x
// goes to out[g * out_stride + slot[x]] when slot[x] >= 0.
// Always inlined, so it is compiled into each clone of BoxRows.
template <int G>
[[gnu::always_inline]] inline void BoxRowGroup(const float* in, int cols,
                                               int in_stride, int w,
                                               const int* slot, float* out,
                                               int out_stride) {
  const BoxPhases ph(cols, w);
  float sum[G] = {};
  float count = 0;
  int ri = 0, li = 0, o = 0;
  auto emit = [&] {
    const int s = slot[o++];
    if (s < 0) return;
    for (int g = 0; g < G; ++g) out[g * out_stride + s] = sum[g] / count;
  };
  for (int t = 0; t < ph.warmup; ++t, ++ri) {
    for (int g = 0; g < G; ++g) sum[g] += in[g * in_stride + ri];
    count += 1;
  }
  for (int t = 0; t < ph.grow; ++t, ++ri) {
    for (int g = 0; g < G; ++g) sum[g] += in[g * in_stride + ri];
    count += 1;
    emit();
  }
  for (int t = 0; t < ph.full; ++t, ++ri, ++li) {
    for (int g = 0; g < G; ++g) {
      sum[g] += in[g * in_stride + ri];
      sum[g] -= in[g * in_stride + li];
    }
    emit();
  }
  for (int t = 0; t < ph.shrink; ++t, ++li) {
    for (int g = 0; g < G; ++g) sum[g] -= in[g * in_stride + li];
    count -= 1;
    emit();
  }
}

// Box filter along x of every row.
HW_TARGET_CLONES void BoxRows(const float* in, int rows, int cols,
                              int in_stride, int w, const int* slot, float* out,
                              int out_stride) {
  constexpr int kGroup = 8;
  int y = 0;
  for (; y + kGroup <= rows; y += kGroup) {
    BoxRowGroup<kGroup>(in + y * in_stride, cols, in_stride, w, slot,
                        out + y * out_stride, out_stride);
  }
  for (; y < rows; ++y) {
    BoxRowGroup<1>(in + y * in_stride, cols, in_stride, w, slot,
                   out + y * out_stride, out_stride);
  }
}

// Box filter along y of every column, all columns at once (vectorises across
// columns). Output row o goes to out row row_slot[o] when row_slot[o] >= 0.
// `sums` holds `cols` floats of scratch.
HW_TARGET_CLONES void BoxCols(const float* in, int rows, int cols,
                              int in_stride, int w, const int* row_slot,
                              float* out, int out_stride, float* sums) {
  const BoxPhases ph(rows, w);
  std::fill(sums, sums + cols, 0.0f);
  float count = 0;
  int ri = 0, li = 0, o = 0;
  auto emit = [&] {
    const int s = row_slot[o++];
    if (s < 0) return;
    float* dst = out + s * out_stride;
    for (int c = 0; c < cols; ++c) dst[c] = sums[c] / count;
  };
  for (int t = 0; t < ph.warmup; ++t, ++ri) {
    const float* src = in + ri * in_stride;
    for (int c = 0; c < cols; ++c) sums[c] += src[c];
    count += 1;
  }
  for (int t = 0; t < ph.grow; ++t, ++ri) {
    const float* src = in + ri * in_stride;
    for (int c = 0; c < cols; ++c) sums[c] += src[c];
    count += 1;
    emit();
  }
  for (int t = 0; t < ph.full; ++t, ++ri, ++li) {
    const float* add = in + ri * in_stride;
    const float* sub = in + li * in_stride;
    for (int c = 0; c < cols; ++c) {
      sums[c] += add[c];
      sums[c] -= sub[c];
    }
    emit();
  }
  for (int t = 0; t < ph.shrink; ++t, ++li) {
    const float* sub = in + li * in_stride;
    for (int c = 0; c < cols; ++c) sums[c] -= sub[c];
    count -= 1;
    emit();
  }
}

// Index of the source sample that decimated output i (of 64) takes.
int DecimationIndex(int i, int n) {
  return static_cast<int>((i + 0.5) * n / kOut);
}

int Quality(const std::array<float, kOut * kOut>& a) {
  int gradient_sum = 0;
  for (int i = 0; i + 1 < kOut; ++i) {
    for (int j = 0; j < kOut; ++j) {
      const float u = a[i * kOut + j];
      const float v = a[(i + 1) * kOut + j];
      gradient_sum += std::abs(static_cast<int>((u - v) * 100 / 255));
    }
  }
  for (int i = 0; i < kOut; ++i) {
    for (int j = 0; j + 1 < kOut; ++j) {
      const float u = a[i * kOut + j];
      const float v = a[i * kOut + j + 1];
      gradient_sum += std::abs(static_cast<int>((u - v) * 100 / 255));
    }
  }
  return std::min(100, gradient_sum / 90);
}

// Bits of a 16x16 coefficient matrix against its lower median.
PdqHash BitsAboveMedian(const std::array<float, kDct * kDct>& b) {
  std::array<float, kDct* kDct> sorted = b;
  std::nth_element(sorted.begin(), sorted.begin() + 127, sorted.end());
  const float median = sorted[127];
  PdqHash h;
  for (int k = 0; k < kDct * kDct; ++k) {
    if (b[k] > median) h.SetBit(k);
  }
  return h;
}

// Builds the coefficient matrix of a dihedral variant (docs/pdq.md's table).
std::array<float, kDct * kDct> DihedralCoefficients(
    const std::array<float, kDct * kDct>& b, Dihedral d) {
  std::array<float, kDct * kDct> out;
  for (int i = 0; i < kDct; ++i) {
    for (int j = 0; j < kDct; ++j) {
      bool transpose = false, negate = false;
      switch (d) {
        case Dihedral::kOriginal:
          break;
        case Dihedral::kRotate90:
          transpose = true;
          negate = (j % 2) == 0;
          break;
        case Dihedral::kRotate180:
          negate = ((i + j) % 2) == 1;
          break;
        case Dihedral::kRotate270:
          transpose = true;
          negate = (i % 2) == 0;
          break;
        case Dihedral::kFlipX:
          negate = (i % 2) == 0;
          break;
        case Dihedral::kFlipY:
          negate = (j % 2) == 0;
          break;
        case Dihedral::kFlipPlus1:
          transpose = true;
          break;
        case Dihedral::kFlipMinus1:
          transpose = true;
          negate = ((i + j) % 2) == 1;
          break;
      }
      const float v = b[i * kDct + j];
      out[transpose ? j * kDct + i : i * kDct + j] = negate ? -v : v;
    }
  }
  return out;
}

}  // namespace

bool PdqHash::IsZero() const {
  for (uint16_t w : words) {
    if (w != 0) return false;
  }
  return true;
}

std::string PdqHash::ToHex() const {
  std::string out;
  out.reserve(64);
  for (int w = 15; w >= 0; --w) absl::StrAppendFormat(&out, "%04x", words[w]);
  return out;
}

absl::StatusOr<PdqHash> PdqHash::FromHex(absl::string_view hex) {
  if (hex.size() != 64) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "pdq: hash has %d characters, want 64 hex digits", hex.size()));
  }
  PdqHash h;
  for (int pos = 0; pos < 64; ++pos) {
    const int v = HexValue(hex[pos]);
    if (v < 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "pdq: character %d of the hash is not a hex digit", pos + 1));
    }
    const int word = 15 - pos / 4;
    const int shift = 4 * (3 - pos % 4);
    h.words[word] |= static_cast<uint16_t>(v << shift);
  }
  return h;
}

int HammingDistance(const PdqHash& a, const PdqHash& b) {
  // Four 64-bit popcounts (the words are contiguous, little-endian).
  int d = 0;
  for (int i = 0; i < 16; i += 4) {
    uint64_t x = 0, y = 0;
    for (int k = 0; k < 4; ++k) {
      x |= static_cast<uint64_t>(a.words[i + k]) << (16 * k);
      y |= static_cast<uint64_t>(b.words[i + k]) << (16 * k);
    }
    d += std::popcount(x ^ y);
  }
  return d;
}

absl::string_view DihedralName(Dihedral d) {
  switch (d) {
    case Dihedral::kOriginal:
      return "original";
    case Dihedral::kRotate90:
      return "rotate90";
    case Dihedral::kRotate180:
      return "rotate180";
    case Dihedral::kRotate270:
      return "rotate270";
    case Dihedral::kFlipX:
      return "flipx";
    case Dihedral::kFlipY:
      return "flipy";
    case Dihedral::kFlipPlus1:
      return "flip_plus1";
    case Dihedral::kFlipMinus1:
      return "flip_minus1";
  }
  return "unknown";
}

PdqHasher::PdqHasher() {
  // D[i][j] = sqrt(2/64) cos(pi/128 (i+1)(2j+1)), computed in double and
  // stored as float.
  const double scale = std::sqrt(2.0 / 64.0);
  for (int i = 0; i < kDct; ++i) {
    for (int j = 0; j < kOut; ++j) {
      const float v = static_cast<float>(
          scale * std::cos(std::numbers::pi / 128.0 * (i + 1) * (2 * j + 1)));
      dct_[i * kOut + j] = v;
      dct_t_[j * kDct + i] = v;
    }
  }
}

void PdqHasher::Downsample(float* luma, int width, int height) {
  if (width == kOut && height == kOut) {
    std::copy(luma, luma + kOut * kOut, buffer64_.begin());
    return;
  }
  const int wx = (width + 127) / 128;
  const int wy = (height + 127) / 128;
  const size_t n = static_cast<size_t>(width) * height;
  // scratch_: [n] first-pass row output | [height*64] second-pass row output
  // | [width] column sums | [max(width,height)] identity slots | [*] slots.
  const int side = std::max(width, height);
  scratch_.resize(n + static_cast<size_t>(height) * kOut + width);
  std::vector<int> identity(side);
  for (int i = 0; i < side; ++i) identity[i] = i;
  float* tmp = scratch_.data();
  float* rows64 = tmp + n;
  float* sums = rows64 + static_cast<size_t>(height) * kOut;

  // Pass 1, in full: rows (luma -> tmp), then columns (tmp -> luma).
  BoxRows(luma, height, width, width, wx, identity.data(), tmp, width);
  BoxCols(tmp, height, width, width, wy, identity.data(), luma, width, sums);

  if (width >= kOut && height >= kOut) {
    // Pass 2 keeps only what decimation reads: the 64 decimation columns of
    // every row, then the 64 decimation rows of those columns. The decimation
    // indices are strictly increasing here, so each maps to one slot.
    std::vector<int> col_slot(width, -1), row_slot(height, -1);
    for (int j = 0; j < kOut; ++j) col_slot[DecimationIndex(j, width)] = j;
    for (int i = 0; i < kOut; ++i) row_slot[DecimationIndex(i, height)] = i;
    BoxRows(luma, height, width, width, wx, col_slot.data(), rows64, kOut);
    BoxCols(rows64, height, kOut, kOut, wy, row_slot.data(), buffer64_.data(),
            kOut, sums);
    return;
  }
  // Small images (a side under 64 pixels): full second pass, then decimate
  // (several outputs may read the same sample).
  BoxRows(luma, height, width, width, wx, identity.data(), tmp, width);
  BoxCols(tmp, height, width, width, wy, identity.data(), luma, width, sums);
  for (int i = 0; i < kOut; ++i) {
    const int y = DecimationIndex(i, height);
    for (int j = 0; j < kOut; ++j) {
      buffer64_[i * kOut + j] = luma[y * width + DecimationIndex(j, width)];
    }
  }
}

void PdqHasher::Dct(const float* a, float* b) const {
  // T = D A (16 x 64), then B = T D^T (16 x 16). Each output is a sum over k
  // in ascending order; the loops run k outside j only so that they
  // vectorise across j without changing any output's order of additions.
  std::array<float, kDct * kOut> t{};
  for (int i = 0; i < kDct; ++i) {
    float* ti = &t[i * kOut];
    for (int k = 0; k < kOut; ++k) {
      const float dik = dct_[i * kOut + k];
      const float* ak = a + k * kOut;
      for (int j = 0; j < kOut; ++j) ti[j] += dik * ak[j];
    }
  }
  std::fill(b, b + kDct * kDct, 0.0f);
  for (int i = 0; i < kDct; ++i) {
    float* bi = b + i * kDct;
    for (int k = 0; k < kOut; ++k) {
      const float tik = t[i * kOut + k];
      const float* dk = &dct_t_[k * kDct];
      for (int j = 0; j < kDct; ++j) bi[j] += tik * dk[j];
    }
  }
}

PdqResult PdqHasher::Hash(absl::Span<float> luma, int width, int height,
                          bool dihedral) {
  HW_CHECK(width >= 0 && height >= 0 &&
               luma.size() == static_cast<size_t>(width) * height,
           "pdq: luma size does not match width x height");
  PdqResult result;
  if (width < 5 || height < 5) {
    result.has_dihedral = dihedral;  // all zero hashes
    return result;
  }
  Downsample(luma.data(), width, height);
  result.quality = Quality(buffer64_);
  std::array<float, kDct * kDct> b;
  Dct(buffer64_.data(), b.data());
  result.hash = BitsAboveMedian(b);
  if (dihedral) {
    result.has_dihedral = true;
    result.dihedral[0] = result.hash;
    for (int d = 1; d < kNumDihedral; ++d) {
      result.dihedral[d] =
          BitsAboveMedian(DihedralCoefficients(b, static_cast<Dihedral>(d)));
    }
  }
  return result;
}

}  // namespace hashwatch::matcher
