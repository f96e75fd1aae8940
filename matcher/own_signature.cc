#include "matcher/own_signature.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>
#include <utility>

#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "matcher/hamming_index.h"
#include "matcher/internal/hamming_kernels.h"
#include "opencv2/calib3d.hpp"
#include "opencv2/core.hpp"
#include "opencv2/features2d.hpp"
#include "opencv2/imgproc.hpp"

namespace hashwatch::matcher {
namespace {

constexpr char kMagic[4] = {'H', 'W', 'O', 'S'};
constexpr uint8_t kVersion = 1;
constexpr size_t kHeaderBytes = 11;
constexpr size_t kFeatureBytes = 36;
constexpr int kGrid = 4;        // keypoints are spread over kGrid^2 cells
constexpr int kCheckByte = 24;  // index check: descriptor bytes 24..27
constexpr int kMaxTables = kCheckByte / 2;

absl::Status Invalid(const std::string& what) {
  return absl::InvalidArgumentError("own signature: " + what);
}

// Keeps up to `max` keypoints: first the strongest max / kGrid^2 of each
// grid cell (so no textured corner, caption or watermark takes them all),
// then the strongest of the rest. Returns indices into `kps`.
std::vector<int> SpreadKeypoints(const std::vector<cv::KeyPoint>& kps,
                                 int width, int height, int max) {
  std::vector<int> order(kps.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return kps[a].response > kps[b].response;
  });
  const int quota = std::max(1, max / (kGrid * kGrid));
  std::vector<int> per_cell(kGrid * kGrid, 0);
  std::vector<int> kept, rest;
  for (int i : order) {
    const int cx =
        std::clamp(static_cast<int>(kps[i].pt.x * kGrid / width), 0, kGrid - 1);
    const int cy = std::clamp(static_cast<int>(kps[i].pt.y * kGrid / height), 0,
                              kGrid - 1);
    int& n = per_cell[cy * kGrid + cx];
    if (n < quota && static_cast<int>(kept.size()) < max) {
      ++n;
      kept.push_back(i);
    } else {
      rest.push_back(i);
    }
  }
  for (int i : rest) {
    if (static_cast<int>(kept.size()) >= max) break;
    kept.push_back(i);
  }
  return kept;
}

// The signature of an 8-bit grey picture already at the analysis scale.
absl::StatusOr<OwnSignature> FromScaled(const cv::Mat& grey,
                                        const OwnSignatureOptions& options) {
  cv::Ptr<cv::ORB> orb =
      cv::ORB::create(options.max_features * 4, 1.2f, 8, 31, 0, 2,
                      cv::ORB::HARRIS_SCORE, 31, options.fast_threshold);
  std::vector<cv::KeyPoint> kps;
  cv::Mat desc;
  orb->detectAndCompute(grey, cv::noArray(), kps, desc);
  if (static_cast<int>(kps.size()) < options.min_features) {
    return Invalid(absl::StrFormat(
        "the picture has too little detail for a signature (%d keypoints, "
        "need %d): flat, blank or nearly so",
        kps.size(), options.min_features));
  }
  OwnSignature sig;
  sig.width = grey.cols;
  sig.height = grey.rows;
  for (int i :
       SpreadKeypoints(kps, grey.cols, grey.rows, options.max_features)) {
    OwnFeature f;
    f.x = std::clamp(kps[i].pt.x, 0.0f, static_cast<float>(grey.cols - 1));
    f.y = std::clamp(kps[i].pt.y, 0.0f, static_cast<float>(grey.rows - 1));
    std::memcpy(f.descriptor.data(), desc.ptr<uint8_t>(i), 32);
    sig.features.push_back(f);
  }
  return sig;
}

// The analysis size of a width x height picture: long side analysis_side.
cv::Size AnalysisSize(int width, int height, int side) {
  const double f = static_cast<double>(side) / std::max(width, height);
  return {std::max(1, static_cast<int>(std::lround(width * f))),
          std::max(1, static_cast<int>(std::lround(height * f)))};
}

// Scales a luminance buffer to `size` (area averaging down, linear up) and
// computes the signature.
absl::StatusOr<OwnSignature> FromLumaAt(absl::Span<const float> luma, int width,
                                        int height, cv::Size size,
                                        const OwnSignatureOptions& options) {
  cv::Mat f(height, width, CV_32F, const_cast<float*>(luma.data()));
  cv::Mat grey;
  f.convertTo(grey, CV_8U);
  cv::Mat scaled;
  cv::resize(
      grey, scaled, size, 0, 0,
      size.area() < grey.size().area() ? cv::INTER_AREA : cv::INTER_LINEAR);
  return FromScaled(scaled, options);
}

absl::Status CheckSides(int width, int height) {
  if (width < kMinOwnPictureSide || height < kMinOwnPictureSide) {
    return Invalid(absl::StrFormat(
        "the picture is %dx%d; a signature needs at least %d pixels on each "
        "side",
        width, height, kMinOwnPictureSide));
  }
  return absl::OkStatus();
}

void PutU16(std::string& out, int v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
}

int GetU16(absl::string_view b, size_t at) {
  return static_cast<uint8_t>(b[at]) | (static_cast<uint8_t>(b[at + 1]) << 8);
}

uint16_t Key(const OwnFeature& f, int table) {
  return static_cast<uint16_t>(f.descriptor[2 * table] |
                               (f.descriptor[2 * table + 1] << 8));
}

uint32_t Check(const OwnFeature& f) {
  uint32_t c;
  std::memcpy(&c, f.descriptor.data() + kCheckByte, 4);
  return c;
}

}  // namespace

absl::Status ValidateOwnSignatureOptions(const OwnSignatureOptions& options) {
  HW_RETURN_IF_ERROR(ValidateDecodeOptions(options.decode));
  if (options.analysis_side < 128 || options.analysis_side > 1024) {
    return Invalid(absl::StrFormat("analysis_side is %d, want 128..1024",
                                   options.analysis_side));
  }
  if (options.max_features < 16 || options.max_features > 1024) {
    return Invalid(absl::StrFormat("max_features is %d, want 16..1024",
                                   options.max_features));
  }
  if (options.min_features < 8 || options.min_features > options.max_features) {
    return Invalid(absl::StrFormat("min_features is %d, want 8..max_features",
                                   options.min_features));
  }
  if (options.fast_threshold < 1 || options.fast_threshold > 100) {
    return Invalid(absl::StrFormat("fast_threshold is %d, want 1..100",
                                   options.fast_threshold));
  }
  return absl::OkStatus();
}

absl::StatusOr<OwnSignature> ComputeOwnSignature(
    absl::string_view bytes, const OwnSignatureOptions& options) {
  HW_RETURN_IF_ERROR(ValidateOwnSignatureOptions(options));
  // The scan's decoder: its format allow-list, limits and fast mode (a
  // large JPEG shrinks on load), then back to the picture's aspect ratio.
  thread_local Decoder decoder;
  thread_local LumaImage luma;
  DecodeOptions decode = options.decode;
  decode.mode = DecodeMode::kFast;
  HW_RETURN_IF_ERROR(decoder.DecodeLuma(bytes, decode, &luma));
  return ComputeOwnSignatureFromLuma(luma, options);
}

absl::StatusOr<OwnSignature> ComputeOwnSignatureFromLuma(
    absl::Span<const float> luma, int width, int height,
    const OwnSignatureOptions& options) {
  HW_RETURN_IF_ERROR(ValidateOwnSignatureOptions(options));
  if (width <= 0 || height <= 0 ||
      luma.size() != static_cast<size_t>(width) * height) {
    return Invalid(absl::StrFormat("luminance buffer of %d values is not %dx%d",
                                   luma.size(), width, height));
  }
  HW_RETURN_IF_ERROR(CheckSides(width, height));
  return FromLumaAt(luma, width, height,
                    AnalysisSize(width, height, options.analysis_side),
                    options);
}

absl::StatusOr<OwnSignature> ComputeOwnSignatureFromLuma(
    const LumaImage& image, const OwnSignatureOptions& options) {
  HW_RETURN_IF_ERROR(ValidateOwnSignatureOptions(options));
  const int w = image.source_width > 0 ? image.source_width : image.width;
  const int h = image.source_height > 0 ? image.source_height : image.height;
  HW_RETURN_IF_ERROR(CheckSides(w, h));
  if (image.width <= 0 || image.height <= 0 ||
      image.pixels.size() != static_cast<size_t>(image.width) * image.height) {
    return Invalid(absl::StrFormat("luminance buffer of %d values is not %dx%d",
                                   image.pixels.size(), image.width,
                                   image.height));
  }
  return FromLumaAt(image.pixels, image.width, image.height,
                    AnalysisSize(w, h, options.analysis_side), options);
}

std::string OwnSignature::Serialize() const {
  std::string out(kMagic, 4);
  out.push_back(static_cast<char>(kVersion));
  PutU16(out, width);
  PutU16(out, height);
  PutU16(out, static_cast<int>(features.size()));
  for (const OwnFeature& f : features) {
    PutU16(out, std::clamp(static_cast<int>(std::lround(f.x * 16)), 0, 65535));
    PutU16(out, std::clamp(static_cast<int>(std::lround(f.y * 16)), 0, 65535));
    out.append(reinterpret_cast<const char*>(f.descriptor.data()), 32);
  }
  return out;
}

absl::StatusOr<OwnSignature> OwnSignature::Parse(absl::string_view bytes) {
  if (bytes.size() < 4 || std::memcmp(bytes.data(), kMagic, 4) != 0)
    return Invalid("not an own-material signature (bad magic)");
  if (bytes.size() < kHeaderBytes)
    return absl::DataLossError("own signature: truncated header");
  if (static_cast<uint8_t>(bytes[4]) != kVersion) {
    return Invalid(absl::StrFormat("version %d; this build reads version %d",
                                   static_cast<uint8_t>(bytes[4]), kVersion));
  }
  OwnSignature s;
  s.width = GetU16(bytes, 5);
  s.height = GetU16(bytes, 7);
  const size_t count = GetU16(bytes, 9);
  if (s.width < 1 || s.height < 1 || s.width > 4095 || s.height > 4095) {
    return absl::DataLossError(absl::StrFormat(
        "own signature: size %dx%d out of range", s.width, s.height));
  }
  if (bytes.size() != kHeaderBytes + count * kFeatureBytes) {
    return absl::DataLossError(absl::StrFormat(
        "own signature: %d bytes for %d features, want %d", bytes.size(), count,
        kHeaderBytes + count * kFeatureBytes));
  }
  s.features.resize(count);
  for (size_t i = 0; i < count; ++i) {
    const size_t at = kHeaderBytes + i * kFeatureBytes;
    OwnFeature& f = s.features[i];
    f.x = GetU16(bytes, at) / 16.0f;
    f.y = GetU16(bytes, at + 2) / 16.0f;
    if (f.x >= s.width || f.y >= s.height) {
      return absl::DataLossError(
          absl::StrFormat("own signature: feature %d at (%g, %g) outside %dx%d",
                          i, f.x, f.y, s.width, s.height));
    }
    std::memcpy(f.descriptor.data(), bytes.data() + at + 4, 32);
  }
  return s;
}

OwnVerification VerifyOwnSignatures(const OwnSignature& stored,
                                    const OwnSignature& query,
                                    const OwnMatchOptions& options) {
  OwnVerification v;
  if (stored.features.size() < 2 || query.features.size() < 2) return v;
  // Each query descriptor's nearest and second-nearest stored descriptor
  // (Hamming), by the index's popcount kernels: 256-bit descriptors are PDQ
  // hashes as far as bits go. Only distances up to max / ratio can reject a
  // nearest one within max, so the scan stops there; a second-nearest
  // further away is as good as none.
  static const internal::HammingKernels& kernels =
      internal::KernelsFor(PopcountKernel::kAuto);
  const size_t n = stored.features.size();
  std::vector<PdqHash> train(n);
  for (size_t i = 0; i < n; ++i)
    std::memcpy(train[i].words.data(), stored.features[i].descriptor.data(),
                32);
  const int max_distance = options.max_descriptor_distance;
  const int reach = std::min(
      256,
      std::max(max_distance,
               static_cast<int>(std::ceil(max_distance / options.ratio)) + 1));
  std::vector<uint32_t> idx(n);
  std::vector<uint16_t> dist(n);
  // Best query match per stored keypoint: the same corner found at several
  // pyramid levels must not count several times.
  std::vector<int> best(n, -1);
  std::vector<int> best_distance(n, 1 << 30);
  for (size_t qi = 0; qi < query.features.size(); ++qi) {
    PdqHash q;
    std::memcpy(q.words.data(), query.features[qi].descriptor.data(), 32);
    const size_t found =
        kernels.scan(train.data(), n, q, reach, idx.data(), dist.data());
    int d0 = 1 << 30, d1 = 1 << 30, nearest = -1;
    for (size_t k = 0; k < found; ++k) {
      if (dist[k] < d0) {
        d1 = d0;
        d0 = dist[k];
        nearest = static_cast<int>(idx[k]);
      } else if (dist[k] < d1) {
        d1 = dist[k];
      }
    }
    if (nearest < 0 || d0 > max_distance) continue;
    if (d1 <= reach && d0 >= options.ratio * d1) continue;
    if (d0 < best_distance[nearest]) {
      best_distance[nearest] = d0;
      best[nearest] = static_cast<int>(qi);
    }
  }
  std::vector<cv::Point2f> from, to;
  for (size_t i = 0; i < best.size(); ++i) {
    if (best[i] < 0) continue;
    from.emplace_back(stored.features[i].x, stored.features[i].y);
    to.emplace_back(query.features[best[i]].x, query.features[best[i]].y);
  }
  v.correspondences = static_cast<int>(from.size());
  // Too few pairs to reach min_inliers: no need to fit.
  if (from.size() < 3 || v.correspondences < std::min(options.min_inliers, 8)) {
    return v;
  }
  std::vector<uint8_t> inliers;
  const cv::Mat m =
      cv::estimateAffinePartial2D(from, to, inliers, cv::RANSAC,
                                  options.reprojection_error, 1000, 0.99, 10);
  if (m.empty()) return v;
  const double a = m.at<double>(0, 0), b = m.at<double>(1, 0);
  v.scale = std::hypot(a, b);
  v.rotation_degrees = std::atan2(b, a) * 180.0 / std::numbers::pi;
  if (!(v.scale >= 1.0 / options.max_scale && v.scale <= options.max_scale))
    return v;
  v.inliers = static_cast<int>(std::count(inliers.begin(), inliers.end(), 1));
  std::array<int, kGrid> rows{}, cols{};
  for (size_t i = 0; i < inliers.size(); ++i) {
    if (!inliers[i]) continue;
    const float cx = from[i].x / stored.width, cy = from[i].y / stored.height;
    v.central += cx >= 0.25f && cx <= 0.75f && cy >= 0.25f && cy <= 0.75f;
    ++cols[std::clamp(static_cast<int>(from[i].x * kGrid / stored.width), 0,
                      kGrid - 1)];
    ++rows[std::clamp(static_cast<int>(from[i].y * kGrid / stored.height), 0,
                      kGrid - 1)];
  }
  auto covered = [](const std::array<int, kGrid>& c) {
    return static_cast<int>(
        std::count_if(c.begin(), c.end(), [](int n) { return n >= 2; }));
  };
  v.spread = std::min(covered(rows), covered(cols));
  return v;
}

bool IsOwnMatch(const OwnVerification& v, const OwnMatchOptions& options) {
  return v.inliers >= options.min_inliers && v.central >= options.min_central &&
         v.spread >= options.min_spread;
}

OwnSignatureIndex::OwnSignatureIndex(const OwnIndexOptions& options)
    : options_(options) {
  options_.tables = std::clamp(options_.tables, 1, kMaxTables);
  tables_.assign(options_.tables, std::vector<std::vector<Entry>>(1 << 16));
}

void OwnSignatureIndex::FileLocked(uint32_t slot, bool add) {
  for (const OwnFeature& f : slots_[slot].signature.features) {
    for (int t = 0; t < options_.tables; ++t) {
      std::vector<Entry>& bucket = tables_[t][Key(f, t)];
      if (add) {
        bucket.push_back({slot, Check(f)});
      } else {
        std::erase_if(bucket, [&](const Entry& e) { return e.slot == slot; });
      }
    }
  }
}

absl::Status OwnSignatureIndex::Add(uint64_t id,
                                    const OwnSignature& signature) {
  if (signature.features.empty()) return Invalid("an empty signature");
  absl::MutexLock lock(&mu_);
  uint32_t slot;
  if (auto it = by_id_.find(id); it != by_id_.end()) {
    slot = it->second;
    FileLocked(slot, false);
  } else if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  slots_[slot] = {id, signature, true};
  by_id_[id] = slot;
  FileLocked(slot, true);
  return absl::OkStatus();
}

bool OwnSignatureIndex::Remove(uint64_t id) {
  absl::MutexLock lock(&mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return false;
  const uint32_t slot = it->second;
  FileLocked(slot, false);
  slots_[slot] = Slot{};
  free_.push_back(slot);
  by_id_.erase(it);
  return true;
}

std::vector<OwnMatch> OwnSignatureIndex::Search(
    const OwnSignature& query) const {
  absl::ReaderMutexLock lock(&mu_);
  absl::flat_hash_map<uint32_t, int> votes;
  std::vector<uint32_t> hit;
  for (const OwnFeature& f : query.features) {
    hit.clear();
    const uint32_t check = Check(f);
    for (int t = 0; t < options_.tables; ++t) {
      const std::vector<Entry>& bucket = tables_[t][Key(f, t)];
      if (bucket.size() > options_.max_bucket) continue;
      for (const Entry& e : bucket) {
        if (__builtin_popcount(e.check ^ check) <= options_.check_distance)
          hit.push_back(e.slot);
      }
    }
    std::sort(hit.begin(), hit.end());
    hit.erase(std::unique(hit.begin(), hit.end()), hit.end());
    for (uint32_t s : hit) ++votes[s];
  }
  std::vector<std::pair<int, uint32_t>> ranked;
  for (const auto& [slot, n] : votes) {
    if (n >= options_.min_votes) ranked.emplace_back(n, slot);
  }
  std::sort(ranked.begin(), ranked.end(), [&](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first
                              : slots_[a.second].id < slots_[b.second].id;
  });
  if (ranked.size() > static_cast<size_t>(options_.max_verify))
    ranked.resize(options_.max_verify);
  std::vector<OwnMatch> out;
  for (const auto& [n, slot] : ranked) {
    OwnVerification v =
        VerifyOwnSignatures(slots_[slot].signature, query, options_.match);
    if (IsOwnMatch(v, options_.match)) out.push_back({slots_[slot].id, n, v});
  }
  std::sort(out.begin(), out.end(), [](const OwnMatch& a, const OwnMatch& b) {
    return a.verification.inliers != b.verification.inliers
               ? a.verification.inliers > b.verification.inliers
               : a.id < b.id;
  });
  return out;
}

size_t OwnSignatureIndex::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return by_id_.size();
}

size_t OwnSignatureIndex::MemoryBytes() const {
  absl::ReaderMutexLock lock(&mu_);
  size_t bytes = slots_.capacity() * sizeof(Slot) +
                 free_.capacity() * sizeof(uint32_t) +
                 by_id_.capacity() * (sizeof(uint64_t) + sizeof(uint32_t) + 1);
  for (const Slot& s : slots_)
    bytes += s.signature.features.capacity() * sizeof(OwnFeature);
  for (const auto& table : tables_) {
    bytes += table.capacity() * sizeof(std::vector<Entry>);
    for (const auto& bucket : table) bytes += bucket.capacity() * sizeof(Entry);
  }
  return bytes;
}

}  // namespace hashwatch::matcher
