#include "matcher/hashes.h"

#include "common/status_macros.h"

namespace hashwatch::matcher {
namespace {

// Per-thread decode and PDQ state: buffers are reused across calls.
struct ThreadScratch {
  Decoder decoder;
  LumaImage luma;
  PdqHasher hasher;
  std::vector<float> region;  // one region's luminance, hashed in place
};

// Hashes the regions FindRegions proposes for `luma`, before the whole
// picture's hash overwrites the buffer.
std::vector<RegionHash> HashRegions(ThreadScratch& s,
                                    const HashOptions& options) {
  std::vector<RegionHash> out;
  const LumaImage& luma = s.luma;
  RegionSearch found =
      FindRegions(luma.pixels, luma.width, luma.height, options.regions);
  for (const Region& r : found.regions) {
    CopyRegion(luma.pixels, luma.width, r, &s.region);
    PdqResult pdq = s.hasher.Hash(absl::MakeSpan(s.region), r.width, r.height,
                                  options.dihedral);
    if (pdq.quality < kMinReliableQuality) continue;
    out.push_back({r,
                   RegionPath(r, luma.width, luma.height, luma.source_width,
                              luma.source_height),
                   pdq});
  }
  return out;
}

}  // namespace

absl::StatusOr<ImageHashes> HashImage(absl::string_view bytes,
                                      const HashOptions& options) {
  thread_local ThreadScratch scratch;
  HW_RETURN_IF_ERROR(
      scratch.decoder.DecodeLuma(bytes, options.decode, &scratch.luma));
  ImageHashes out;
  out.width = scratch.luma.source_width;
  out.height = scratch.luma.source_height;
  if (options.recover) out.regions = HashRegions(scratch, options);
  if (options.own_signature) {
    // Before the PDQ hash below overwrites the buffer.
    absl::StatusOr<OwnSignature> own =
        ComputeOwnSignatureFromLuma(scratch.luma, options.own);
    if (own.ok()) {
      out.own = *std::move(own);
    } else {
      out.own_status = own.status();
    }
  }
  out.pdq = scratch.hasher.Hash(absl::MakeSpan(scratch.luma.pixels),
                                scratch.luma.width, scratch.luma.height,
                                options.dihedral);
  if (options.digests) {
    out.md5 = Md5Hex(bytes);
    out.sha1 = Sha1Hex(bytes);
    out.sha256 = Sha256Hex(bytes);
  }
  return out;
}

}  // namespace hashwatch::matcher
