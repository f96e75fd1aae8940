#include "matcher/hashes.h"

#include <openssl/evp.h>

#include "absl/strings/escaping.h"
#include "common/status_macros.h"

namespace hashwatch::matcher {
namespace {

std::string DigestHex(const EVP_MD* md, absl::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const int ok = EVP_Digest(bytes.data(), bytes.size(), digest, &len, md, nullptr);
  HW_CHECK(ok == 1, "openssl: EVP_Digest failed");
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), len));
}

// Per-thread decode and PDQ state: buffers are reused across calls.
struct ThreadScratch {
  Decoder decoder;
  LumaImage luma;
  PdqHasher hasher;
};

}  // namespace

std::string Md5Hex(absl::string_view bytes) { return DigestHex(EVP_md5(), bytes); }
std::string Sha1Hex(absl::string_view bytes) { return DigestHex(EVP_sha1(), bytes); }
std::string Sha256Hex(absl::string_view bytes) {
  return DigestHex(EVP_sha256(), bytes);
}

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
