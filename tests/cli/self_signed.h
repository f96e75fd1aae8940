// A self-signed certificate for TLS tests, made with OpenSSL in memory: an
// EC P-256 key and a CA:TRUE certificate for localhost and 127.0.0.1,
// valid for a day. The same pair serves as server certificate, client
// certificate and the roots that verify both.
#ifndef HASHWATCH_TESTS_CLI_SELF_SIGNED_H_
#define HASHWATCH_TESTS_CLI_SELF_SIGNED_H_

#include <string>

namespace hashwatch::testing {

struct PemPair {
  std::string cert;
  std::string key;
};

// Aborts when OpenSSL fails (a broken test environment).
PemPair MakeSelfSignedCert();

}  // namespace hashwatch::testing

#endif  // HASHWATCH_TESTS_CLI_SELF_SIGNED_H_
