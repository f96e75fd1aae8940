#include "matcher/digests.h"

#include <openssl/evp.h>

#include "absl/strings/escaping.h"
#include "common/status_macros.h"

namespace hashwatch::matcher {
namespace {

std::string DigestHex(const EVP_MD* md, absl::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const int ok =
      EVP_Digest(bytes.data(), bytes.size(), digest, &len, md, nullptr);
  HW_CHECK(ok == 1, "openssl: EVP_Digest failed");
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), len));
}

}  // namespace

std::string Md5Hex(absl::string_view bytes) {
  return DigestHex(EVP_md5(), bytes);
}
std::string Sha1Hex(absl::string_view bytes) {
  return DigestHex(EVP_sha1(), bytes);
}
std::string Sha256Hex(absl::string_view bytes) {
  return DigestHex(EVP_sha256(), bytes);
}

}  // namespace hashwatch::matcher
