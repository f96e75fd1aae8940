#include "matcher/hashes.h"

#include "common/status_macros.h"

namespace hashwatch::matcher {
namespace {

// Per-thread decode and PDQ state: buffers are reused across calls.
struct ThreadScratch {
  Decoder decoder;
  LumaImage luma;
  PdqHasher hasher;
};

}  // namespace

absl::StatusOr<ImageHashes> HashImage(absl::string_view bytes,
                                      const HashOptions& options) {
  thread_local ThreadScratch scratch;
  HW_RETURN_IF_ERROR(
      scratch.decoder.DecodeLuma(bytes, options.decode, &scratch.luma));
  ImageHashes out;
  out.width = scratch.luma.source_width;
  out.height = scratch.luma.source_height;
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
