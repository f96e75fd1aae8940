// Authentication and authorisation for the review API, free of gRPC: roles,
// permissions and the fixed role table (Authorize), and the bearer-token
// store (TokenStore) that the server reads and `hashwatch token` writes.
//
//   HW_ASSIGN_OR_RETURN(auto tokens, TokenStore::Open(db + "/tokens.json"));
//   HW_ASSIGN_OR_RETURN(std::string secret,
//                       tokens->Create("alice", Role::kModerator, {"reveal"}));
//   // ... later, per request, with the bearer token from the metadata:
//   HW_ASSIGN_OR_RETURN(Principal who, tokens->Authenticate(bearer));
//   HW_RETURN_IF_ERROR(Authorize(who, Permission::kReview));
//
// Tokens are "hwt_" followed by 64 lowercase hex digits (32 random bytes
// from OpenSSL's RAND_bytes). The store keeps only their SHA-256, so the
// secret is shown once, by Create. No error message of this library
// contains a token or a token hash.
//
// Thread-safety: the free functions are pure. All TokenStore methods are
// thread-safe, and several processes may share one token file (see
// TokenStore).
#ifndef HASHWATCH_REVIEW_API_AUTH_H_
#define HASHWATCH_REVIEW_API_AUTH_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace hashwatch::review_api {

enum class Role { kPipeline, kModerator, kLead, kAdmin };
inline constexpr Role kAllRoles[] = {Role::kPipeline, Role::kModerator,
                                     Role::kLead, Role::kAdmin};

// "pipeline", "moderator", "lead", "admin".
absl::string_view RoleName(Role role);
// The inverse of RoleName (exact, lowercase); InvalidArgument naming the
// allowed values otherwise.
absl::StatusOr<Role> ParseRole(absl::string_view name);

enum class Permission {
  kScan,         // submit content for matching
  kEnqueueCase,  // put an item on the review queue
  kReview,       // lease and decide review items
  kReveal,       // see an item's unblurred preview
  kQueueStats,   // read queue statistics
  kReadBanks,
  kWriteBanks,
  kReadReports,
  kWriteReports,
};
inline constexpr Permission kAllPermissions[] = {
    Permission::kScan,        Permission::kEnqueueCase,
    Permission::kReview,      Permission::kReveal,
    Permission::kQueueStats,  Permission::kReadBanks,
    Permission::kWriteBanks,  Permission::kReadReports,
    Permission::kWriteReports};

// "scan", "enqueue_case", "review", "reveal", "queue_stats", "read_banks",
// "write_banks", "read_reports", "write_reports".
absl::string_view PermissionName(Permission permission);

// The one grant that exists: lets a moderator token reveal previews.
inline constexpr char kRevealGrant[] = "reveal";

// Who is calling: the result of authenticating a token.
struct Principal {
  std::string name;  // the token's name
  Role role = Role::kPipeline;
  // The token holds the "reveal" grant (only moderator tokens can; leads
  // and admins may reveal by role, without it).
  bool can_reveal = false;
  // The token's stable id (TokenInfo::id): what a lease belongs to, so a
  // token revoked and re-created under the same name holds none of the old
  // one's leases.
  std::string token_id = {};
};

// The role table:
//   pipeline   scan, enqueue_case
//   moderator  review, queue_stats; reveal only with can_reveal
//   lead       review, reveal, queue_stats, read_banks, read_reports
//   admin      everything
// OK when `who` holds `permission`; PermissionDenied otherwise, e.g.
// `auth: token "alice" (role moderator) may not read reports`.
absl::Status Authorize(const Principal& who, Permission permission);

// A stored token, without its secret or hash.
struct TokenInfo {
  std::string name;
  Role role = Role::kPipeline;
  std::vector<std::string> grants;  // sorted, no duplicates
  absl::Time created;
  // 32 lowercase hex digits, random, fixed at Create. Files written before
  // ids existed get one derived from the token's hash (stable, and
  // different for a re-created token), written out at the next change.
  std::string id = {};
};

// The token file: one JSON document, rewritten whole on every change
// (temporary file, fsync, rename, fsync of the folder) with mode 0600:
//
//   {"format": "hashwatch-tokens-v1",
//    "tokens": [{"name": "alice", "id": "<32 lowercase hex digits>",
//                "role": "moderator", "grants": ["reveal"],
//                "created": "2026-01-02T03:04:05.678Z",
//                "sha256": "<64 lowercase hex digits: SHA-256 of the token>"}]}
//
// Sharing: Create and Revoke read, modify and rewrite the file under an
// exclusive flock on `<path>.lock`, so concurrent writers in any process
// never lose each other's changes. Readers need no lock (the file is
// replaced atomically). Authenticate and List notice a file changed by
// another process (its device, inode, mtime or size differ; and for two
// seconds after a change, by content, since mtime is coarse) and re-read
// it, so a running server sees `hashwatch token create/revoke` at once.
// If a re-read finds the file malformed, Authenticate keeps using the
// last good copy (and logs a warning); List reports DataLoss. A file that
// disappears means no tokens.
class TokenStore final {
 public:
  // Opens the token file at `path` (e.g. "var/hashwatch/tokens.json"). A
  // missing file means no tokens; Create writes it (its folder must exist).
  // Errors: InvalidArgument (empty path), DataLoss naming the file (not a
  // valid token file), Unavailable (cannot read it). `clock` (not owned,
  // must outlive the store) stamps `created`.
  static absl::StatusOr<std::unique_ptr<TokenStore>> Open(
      std::string path, Clock* clock = Clock::Real());
  ~TokenStore();
  TokenStore(const TokenStore&) = delete;
  TokenStore& operator=(const TokenStore&) = delete;

  // Creates a token and returns its secret, the only time it is available.
  // `name`: 1 to 64 characters of A-Z a-z 0-9 . _ @ -. `grants`: "reveal"
  // (moderator tokens only), in any order, duplicates ignored.
  // InvalidArgument for a bad name or grant; AlreadyExists for a name in
  // use; DataLoss if the file on disk is malformed (nothing is written);
  // Unavailable for I/O errors.
  absl::StatusOr<std::string> Create(absl::string_view name, Role role,
                                     std::vector<std::string> grants);

  // Every token, by name (never secrets or hashes), as on disk now.
  // DataLoss if the file has become malformed; Unavailable for I/O errors.
  absl::StatusOr<std::vector<TokenInfo>> List() const;

  // Deletes the named token; it stops authenticating at once. NotFound for
  // an unknown name; DataLoss and Unavailable as for Create.
  absl::Status Revoke(absl::string_view name);

  // The principal that `token` (the full "hwt_..." secret) identifies.
  // Unauthenticated ("auth: unknown or revoked token") for anything else,
  // whatever its shape; no other error.
  absl::StatusOr<Principal> Authenticate(absl::string_view token) const;

 private:
  struct State;
  explicit TokenStore(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace hashwatch::review_api

#endif  // HASHWATCH_REVIEW_API_AUTH_H_
