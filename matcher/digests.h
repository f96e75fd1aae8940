// Hex digests of byte strings (MD5, SHA-1, SHA-256) with OpenSSL's EVP
// interface: the exact hashes hashwatch matches on, computed without
// decoding anything (clients use them for content ids).
//
// Thread-safety: the functions are thread-safe.
#ifndef HASHWATCH_MATCHER_DIGESTS_H_
#define HASHWATCH_MATCHER_DIGESTS_H_

#include <string>

#include "absl/strings/string_view.h"

namespace hashwatch::matcher {

// Lowercase hex: 32, 40 and 64 digits.
std::string Md5Hex(absl::string_view bytes);
std::string Sha1Hex(absl::string_view bytes);
std::string Sha256Hex(absl::string_view bytes);

}  // namespace hashwatch::matcher

#endif  // HASHWATCH_MATCHER_DIGESTS_H_
