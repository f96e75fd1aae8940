#include "review_api/auth.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/errno_status.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/time_format.h"
#include "nlohmann/json.hpp"

namespace hashwatch::review_api {
namespace {

constexpr char kFormat[] = "hashwatch-tokens-v1";
constexpr char kTokenPrefix[] = "hwt_";
constexpr size_t kTokenRandomBytes = 32;
constexpr size_t kMaxNameLength = 64;
constexpr size_t kIdHexDigits = 32;  // a token id: 16 random bytes
// Filesystem timestamps are coarse (a kernel tick), and the inode of a
// replaced file may be reused, so a file rewritten this soon after the
// version we read can look unchanged to stat. Within this window the
// content is compared too.
constexpr absl::Duration kRacyWindow = absl::Seconds(2);

// What stat says of the token file; exists == false when there is none.
struct FileId {
  bool exists = false;
  uint64_t dev = 0;
  uint64_t ino = 0;
  int64_t mtime_ns = 0;
  int64_t size = 0;
  bool operator==(const FileId&) const = default;
};

struct StoredToken {
  TokenInfo info;
  std::string sha256_hex;
};
using TokenMap = std::map<std::string, StoredToken>;  // by name

// One version of the token file: its identity, bytes and tokens.
struct Snapshot {
  FileId id;
  std::string bytes;
  TokenMap by_name;
};

bool IsNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' ||
         c == '_' || c == '@' || c == '-';
}

bool IsValidName(absl::string_view name) {
  return !name.empty() && name.size() <= kMaxNameLength &&
         std::all_of(name.begin(), name.end(), IsNameChar);
}

// A name for an error message. Invalid names are escaped and cut short, and
// never shown at all when they look like a secret pasted in by mistake.
std::string ShownName(absl::string_view name) {
  if (IsValidName(name)) return absl::StrCat("\"", name, "\"");
  if (absl::StartsWith(name, kTokenPrefix))
    return "(a secret token, not shown)";
  std::string shown = absl::CHexEscape(name.substr(0, kMaxNameLength));
  return absl::StrCat("\"", shown,
                      name.size() > kMaxNameLength ? "...\"" : "\"");
}

bool IsLowerHex(absl::string_view s, size_t digits) {
  return s.size() == digits && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string Sha256Hex(absl::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const int ok = EVP_Digest(bytes.data(), bytes.size(), digest, &len,
                            EVP_sha256(), nullptr);
  HW_CHECK(ok == 1, "openssl: EVP_Digest(sha256) failed");
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), len));
}

// The id of a token stored before ids existed: derived from its hash, so
// it is the same at every load and differs for a re-created token.
std::string LegacyTokenId(absl::string_view sha256_hex) {
  return Sha256Hex(absl::StrCat("hashwatch-token-id:", sha256_hex))
      .substr(0, kIdHexDigits);
}

absl::Status ErrnoError(int err, absl::string_view what,
                        absl::string_view path) {
  return ErrnoStatus(err, absl::StrCat("auth: ", what, " ", path));
}

// Closes a file descriptor (and so releases its flock) when it goes.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) close(fd_);
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }
  // Closes now, reporting the error close() may carry for written files.
  int Close() {
    const int rc = close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

FileId IdOf(const struct stat& st) {
  FileId id;
  id.exists = true;
  id.dev = static_cast<uint64_t>(st.st_dev);
  id.ino = static_cast<uint64_t>(st.st_ino);
  id.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 +
                st.st_mtim.tv_nsec;
  id.size = static_cast<int64_t>(st.st_size);
  return id;
}

// Stats `path`; exists == false when there is no file.
absl::StatusOr<FileId> StatFile(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return FileId();
    return ErrnoError(errno, "cannot stat", path);
  }
  return IdOf(st);
}

// Reads the whole file with the identity of what was read (from the open
// descriptor, so they agree even if the file is replaced meanwhile).
absl::StatusOr<std::pair<FileId, std::string>> ReadFile(
    const std::string& path) {
  ScopedFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::make_pair(FileId(), std::string());
    return ErrnoError(errno, "cannot open", path);
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return ErrnoError(errno, "cannot stat", path);
  std::string bytes;
  char buf[65536];
  for (;;) {
    const ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, "cannot read", path);
    if (n == 0) break;
    bytes.append(buf, static_cast<size_t>(n));
  }
  return std::make_pair(IdOf(st), std::move(bytes));
}

// Replaces `path` with `bytes` atomically and durably, mode 0600.
absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view bytes) {
  const std::string tmp = path + ".tmp";
  ScopedFd fd(
      open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (fd.get() < 0) return ErrnoError(errno, "cannot create", tmp);
  auto fail = [&tmp](int err, absl::string_view what) {
    unlink(tmp.c_str());
    return ErrnoError(err, what, tmp);
  };
  // A temporary file left by a crash keeps its old mode through O_TRUNC.
  if (fchmod(fd.get(), 0600) != 0) return fail(errno, "cannot chmod");
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(errno, "cannot write");
    done += static_cast<size_t>(n);
  }
  if (fsync(fd.get()) != 0) return fail(errno, "cannot fsync");
  if (fd.Close() != 0) return fail(errno, "cannot write");
  if (rename(tmp.c_str(), path.c_str()) != 0)
    return fail(errno, "cannot rename");
  // The rename is durable once the folder is.
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  ScopedFd dir_fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() < 0) return ErrnoError(errno, "cannot open folder", dir);
  if (fsync(dir_fd.get()) != 0)
    return ErrnoError(errno, "cannot fsync folder", dir);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> NormalizeGrants(
    std::vector<std::string> grants, Role role) {
  std::sort(grants.begin(), grants.end());
  grants.erase(std::unique(grants.begin(), grants.end()), grants.end());
  for (const std::string& g : grants) {
    if (g != kRevealGrant) {
      return absl::InvalidArgumentError(
          absl::StrFormat("auth: unknown grant %s; the only grant is \"%s\"",
                          ShownName(g), kRevealGrant));
    }
  }
  if (!grants.empty() && role != Role::kModerator) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "auth: grant \"%s\" is for moderator tokens; role %s may %s by role",
        kRevealGrant, RoleName(role),
        role == Role::kPipeline ? "never reveal" : "always reveal"));
  }
  return grants;
}

// The verb phrase for "... may not <phrase>".
absl::string_view PermissionPhrase(Permission p) {
  switch (p) {
    case Permission::kScan:
      return "scan content";
    case Permission::kEnqueueCase:
      return "enqueue cases";
    case Permission::kReview:
      return "review";
    case Permission::kReveal:
      return "reveal previews";
    case Permission::kQueueStats:
      return "read queue stats";
    case Permission::kReadBanks:
      return "read banks";
    case Permission::kWriteBanks:
      return "write banks";
    case Permission::kReadReports:
      return "read reports";
    case Permission::kWriteReports:
      return "write reports";
  }
  return "do that";
}

bool RoleAllows(const Principal& who, Permission p) {
  switch (who.role) {
    case Role::kPipeline:
      return p == Permission::kScan || p == Permission::kEnqueueCase;
    case Role::kModerator:
      return p == Permission::kReview || p == Permission::kQueueStats ||
             (p == Permission::kReveal && who.can_reveal);
    case Role::kLead:
      return p == Permission::kReview || p == Permission::kReveal ||
             p == Permission::kQueueStats || p == Permission::kReadBanks ||
             p == Permission::kReadReports;
    case Role::kAdmin:
      return true;
  }
  return false;
}

}  // namespace

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kPipeline:
      return "pipeline";
    case Role::kModerator:
      return "moderator";
    case Role::kLead:
      return "lead";
    case Role::kAdmin:
      return "admin";
  }
  return "unknown";
}

absl::StatusOr<Role> ParseRole(absl::string_view name) {
  for (Role r : kAllRoles) {
    if (name == RoleName(r)) return r;
  }
  return absl::InvalidArgumentError(absl::StrFormat(
      "auth: unknown role %s; want pipeline, moderator, lead or admin",
      ShownName(name)));
}

absl::string_view PermissionName(Permission permission) {
  switch (permission) {
    case Permission::kScan:
      return "scan";
    case Permission::kEnqueueCase:
      return "enqueue_case";
    case Permission::kReview:
      return "review";
    case Permission::kReveal:
      return "reveal";
    case Permission::kQueueStats:
      return "queue_stats";
    case Permission::kReadBanks:
      return "read_banks";
    case Permission::kWriteBanks:
      return "write_banks";
    case Permission::kReadReports:
      return "read_reports";
    case Permission::kWriteReports:
      return "write_reports";
  }
  return "unknown";
}

absl::Status Authorize(const Principal& who, Permission permission) {
  if (RoleAllows(who, permission)) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrFormat(
      "auth: token %s (role %s) may not %s", ShownName(who.name),
      RoleName(who.role), PermissionPhrase(permission)));
}

namespace {

// Parses the token file; DataLoss naming the file and the bad part. Never
// quotes the bytes (they hold hashes).
absl::StatusOr<TokenMap> ParseTokens(const std::string& path,
                                     absl::string_view bytes) {
  auto bad = [&path](absl::string_view why) {
    return absl::DataLossError(
        absl::StrCat("auth: ", path, " is not a valid token file: ", why));
  };
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(bytes.begin(), bytes.end());
  } catch (const nlohmann::json::parse_error& e) {
    // e.what() quotes the text near the error: only its offset is safe.
    return bad(absl::StrCat("invalid JSON at byte ", e.byte));
  }
  if (!doc.is_object() || !doc.contains("format") || doc["format"] != kFormat) {
    return bad(
        absl::StrCat("want an object with \"format\": \"", kFormat, "\""));
  }
  if (!doc.contains("tokens") || !doc["tokens"].is_array()) {
    return bad("\"tokens\" is not an array");
  }
  TokenMap by_name;
  absl::flat_hash_map<std::string, std::string> by_hash;
  absl::flat_hash_set<std::string> ids;
  size_t index = 0;
  for (const nlohmann::json& t : doc["tokens"]) {
    const std::string where = absl::StrCat("token ", index++);
    auto field = [&t](const char* key) -> const nlohmann::json* {
      if (!t.is_object() || !t.contains(key) || !t[key].is_string())
        return nullptr;
      return &t[key];
    };
    StoredToken e;
    const nlohmann::json* name = field("name");
    if (name == nullptr || !IsValidName(name->get<std::string>())) {
      return bad(absl::StrCat(where, " has no valid \"name\""));
    }
    e.info.name = name->get<std::string>();
    const std::string what = absl::StrCat("token \"", e.info.name, "\"");
    const nlohmann::json* role = field("role");
    absl::StatusOr<Role> parsed_role =
        role == nullptr ? absl::InvalidArgumentError("")
                        : ParseRole(role->get<std::string>());
    if (!parsed_role.ok())
      return bad(absl::StrCat(what, " has no valid \"role\""));
    e.info.role = *parsed_role;
    if (!t.contains("grants") || !t["grants"].is_array()) {
      return bad(absl::StrCat(what, " has no \"grants\" array"));
    }
    std::vector<std::string> grants;
    for (const nlohmann::json& g : t["grants"]) {
      if (!g.is_string())
        return bad(absl::StrCat(what, " has a grant that is not a string"));
      grants.push_back(g.get<std::string>());
    }
    absl::StatusOr<std::vector<std::string>> normal =
        NormalizeGrants(std::move(grants), e.info.role);
    if (!normal.ok())
      return bad(absl::StrCat(what, ": ", normal.status().message()));
    e.info.grants = *std::move(normal);
    const nlohmann::json* created = field("created");
    absl::StatusOr<absl::Time> created_time =
        created == nullptr ? absl::InvalidArgumentError("no created time")
                           : ParseRfc3339(created->get<std::string>());
    if (!created_time.ok()) {
      return bad(absl::StrCat(what, " has no valid \"created\" time"));
    }
    e.info.created = *created_time;
    const nlohmann::json* sha256 = field("sha256");
    if (sha256 == nullptr || !IsLowerHex(sha256->get<std::string>(), 64)) {
      return bad(absl::StrCat(
          what, " has no valid \"sha256\" (64 lowercase hex digits)"));
    }
    e.sha256_hex = sha256->get<std::string>();
    if (!by_hash.emplace(e.sha256_hex, e.info.name).second) {
      return bad(
          absl::StrCat(what, " has the same \"sha256\" as another token"));
    }
    if (t.contains("id")) {
      const nlohmann::json* id = field("id");
      if (id == nullptr || !IsLowerHex(id->get<std::string>(), kIdHexDigits))
        return bad(absl::StrCat(what, " has no valid \"id\" (", kIdHexDigits,
                                " lowercase hex digits)"));
      e.info.id = id->get<std::string>();
    } else {
      e.info.id = LegacyTokenId(e.sha256_hex);  // written before ids existed
    }
    if (!ids.insert(e.info.id).second) {
      return bad(absl::StrCat(what, " has the same \"id\" as another token"));
    }
    std::string key = e.info.name;
    if (!by_name.emplace(std::move(key), std::move(e)).second) {
      return bad(absl::StrCat(what, " appears twice"));
    }
  }
  return by_name;
}

std::string SerializeTokens(const TokenMap& by_name) {
  nlohmann::ordered_json tokens = nlohmann::ordered_json::array();
  for (const auto& [name, e] : by_name) {
    nlohmann::ordered_json t;
    t["name"] = e.info.name;
    t["id"] = e.info.id;
    t["role"] = std::string(RoleName(e.info.role));
    t["grants"] = e.info.grants;
    t["created"] = FormatRfc3339(e.info.created);
    t["sha256"] = e.sha256_hex;
    tokens.push_back(std::move(t));
  }
  nlohmann::ordered_json doc;
  doc["format"] = kFormat;
  doc["tokens"] = std::move(tokens);
  return doc.dump(2) + "\n";
}

}  // namespace

// Thread-safety: mu guards the cache; file writes are serialised by the
// flock in Modify, not by mu, so readers never wait for a disk sync.
struct TokenStore::State {
  State(std::string path, Clock* clock) : path(std::move(path)), clock(clock) {}

  // Re-reads the file unless the last read is known to be current. Returns
  // the outcome of the last read; after an error the last good tokens stay.
  absl::Status Refresh() ABSL_LOCKS_EXCLUDED(mu);
  // Whether a file that stats as `id` is the one last read.
  bool Settled(const FileId& id) const ABSL_SHARED_LOCKS_REQUIRED(mu);
  void Install(Snapshot snapshot) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Records a failed read of the file that stats as `id` (logged once per
  // distinct error) and returns `status`.
  absl::Status Failed(absl::Status status, const FileId& id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Under the file lock: reads the tokens on disk (not the cache: another
  // process may have changed them), applies `change`, and if that returns
  // OK writes the result and caches it.
  absl::Status Modify(const std::function<absl::Status(TokenMap&)>& change)
      ABSL_LOCKS_EXCLUDED(mu);

  const std::string path;
  Clock* const clock;

  mutable absl::Mutex mu;
  // The last good tokens, and a SHA-256 hex -> name index over them.
  Snapshot cache ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<std::string, std::string> by_hash ABSL_GUARDED_BY(mu);
  // The last read attempt: the file it saw and how it went.
  FileId seen_id ABSL_GUARDED_BY(mu);
  absl::Status seen_status ABSL_GUARDED_BY(mu);
};

void TokenStore::State::Install(Snapshot snapshot) {
  by_hash.clear();
  for (const auto& [name, e] : snapshot.by_name)
    by_hash.emplace(e.sha256_hex, name);
  seen_id = snapshot.id;
  seen_status = absl::OkStatus();
  cache = std::move(snapshot);
}

bool TokenStore::State::Settled(const FileId& id) const {
  if (!(id == seen_id)) return false;
  // Against the filesystem's clock, so the real one, not the injected one.
  return !id.exists ||
         absl::Now() - absl::FromUnixNanos(id.mtime_ns) >= kRacyWindow;
}

absl::Status TokenStore::State::Failed(absl::Status status, const FileId& id) {
  if (seen_status.ok() || !(seen_status == status)) {
    HW_LOG(kWarning, "%s; still using the %d tokens read before",
           status.message(), cache.by_name.size());
  }
  seen_id = id;
  seen_status = std::move(status);
  return seen_status;
}

absl::Status TokenStore::State::Refresh() {
  absl::StatusOr<FileId> now = StatFile(path);
  if (now.ok()) {
    absl::ReaderMutexLock lock(&mu);
    if (Settled(*now)) return seen_status;
  }
  absl::MutexLock lock(&mu);
  if (now.ok() && Settled(*now)) return seen_status;
  absl::StatusOr<std::pair<FileId, std::string>> file =
      now.ok() ? ReadFile(path) : now.status();
  // An identity no file has, so that the next call tries again.
  if (!file.ok())
    return Failed(file.status(), FileId{.exists = true, .size = -1});
  const auto& [id, bytes] = *file;
  if (id.exists == cache.id.exists && bytes == cache.bytes) {
    cache.id = seen_id = id;
    seen_status = absl::OkStatus();
    return seen_status;
  }
  Snapshot snapshot;
  snapshot.id = id;
  if (id.exists) {
    absl::StatusOr<TokenMap> parsed = ParseTokens(path, bytes);
    if (!parsed.ok()) return Failed(parsed.status(), id);
    snapshot.by_name = *std::move(parsed);
  }
  snapshot.bytes = std::move(file->second);
  Install(std::move(snapshot));
  return absl::OkStatus();
}

absl::Status TokenStore::State::Modify(
    const std::function<absl::Status(TokenMap&)>& change) {
  const std::string lock_path = path + ".lock";
  ScopedFd lock_fd(open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (lock_fd.get() < 0)
    return ErrnoError(errno, "cannot open lock file", lock_path);
  while (flock(lock_fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return ErrnoError(errno, "cannot lock", lock_path);
  }
  HW_ASSIGN_OR_RETURN(auto file, ReadFile(path));
  TokenMap by_name;
  if (file.first.exists) {
    HW_ASSIGN_OR_RETURN(by_name, ParseTokens(path, file.second));
  }
  HW_RETURN_IF_ERROR(change(by_name));
  Snapshot snapshot;
  snapshot.bytes = SerializeTokens(by_name);
  HW_RETURN_IF_ERROR(WriteFileAtomically(path, snapshot.bytes));
  // Still under the file lock, so this is the file just written.
  HW_ASSIGN_OR_RETURN(snapshot.id, StatFile(path));
  snapshot.by_name = std::move(by_name);
  absl::MutexLock lock(&mu);
  Install(std::move(snapshot));
  return absl::OkStatus();
}

TokenStore::TokenStore(std::unique_ptr<State> state)
    : state_(std::move(state)) {}
TokenStore::~TokenStore() = default;

absl::StatusOr<std::unique_ptr<TokenStore>> TokenStore::Open(std::string path,
                                                             Clock* clock) {
  if (path.empty())
    return absl::InvalidArgumentError("auth: token file path is empty");
  HW_CHECK(clock != nullptr, "TokenStore::Open: clock is null");
  HW_ASSIGN_OR_RETURN(auto file, ReadFile(path));
  Snapshot snapshot;
  snapshot.id = file.first;
  if (snapshot.id.exists) {
    HW_ASSIGN_OR_RETURN(snapshot.by_name, ParseTokens(path, file.second));
  }
  snapshot.bytes = std::move(file.second);
  auto state = std::make_unique<State>(std::move(path), clock);
  {
    absl::MutexLock lock(&state->mu);
    state->Install(std::move(snapshot));
  }
  return std::unique_ptr<TokenStore>(new TokenStore(std::move(state)));
}

absl::StatusOr<std::string> TokenStore::Create(
    absl::string_view name, Role role, std::vector<std::string> grants) {
  if (!IsValidName(name)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("auth: bad token name %s: want 1 to %d characters of "
                        "A-Z a-z 0-9 . _ @ -",
                        ShownName(name), kMaxNameLength));
  }
  HW_ASSIGN_OR_RETURN(std::vector<std::string> normal,
                      NormalizeGrants(std::move(grants), role));
  unsigned char random[kTokenRandomBytes];
  if (RAND_bytes(random, sizeof(random)) != 1) {
    return absl::InternalError("auth: RAND_bytes failed; no token created");
  }
  std::string token =
      absl::StrCat(kTokenPrefix,
                   absl::BytesToHexString(absl::string_view(
                       reinterpret_cast<const char*>(random), sizeof(random))));
  unsigned char id[kIdHexDigits / 2];
  if (RAND_bytes(id, sizeof(id)) != 1) {
    return absl::InternalError("auth: RAND_bytes failed; no token created");
  }
  StoredToken e;
  e.info.name = std::string(name);
  e.info.id = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(id), sizeof(id)));
  e.info.role = role;
  e.info.grants = std::move(normal);
  e.info.created = state_->clock->Now();
  e.sha256_hex = Sha256Hex(token);
  HW_RETURN_IF_ERROR(state_->Modify([&e](TokenMap& by_name) {
    if (by_name.contains(e.info.name)) {
      return absl::AlreadyExistsError(absl::StrFormat(
          "auth: a token named \"%s\" already exists", e.info.name));
    }
    std::string key = e.info.name;
    by_name.emplace(std::move(key), e);
    return absl::OkStatus();
  }));
  return token;
}

absl::StatusOr<std::vector<TokenInfo>> TokenStore::List() const {
  HW_RETURN_IF_ERROR(state_->Refresh());
  absl::ReaderMutexLock lock(&state_->mu);
  std::vector<TokenInfo> out;
  out.reserve(state_->cache.by_name.size());
  for (const auto& [name, e] : state_->cache.by_name) out.push_back(e.info);
  return out;
}

absl::Status TokenStore::Revoke(absl::string_view name) {
  return state_->Modify([name](TokenMap& by_name) {
    auto it = by_name.find(std::string(name));
    if (it == by_name.end()) {
      return absl::NotFoundError(
          absl::StrCat("auth: no token named ", ShownName(name)));
    }
    by_name.erase(it);
    return absl::OkStatus();
  });
}

absl::StatusOr<Principal> TokenStore::Authenticate(
    absl::string_view token) const {
  // After a failed re-read the last good tokens stay in use (Refresh logged
  // the failure once).
  state_->Refresh().IgnoreError();
  const std::string hash = Sha256Hex(token);
  absl::ReaderMutexLock lock(&state_->mu);
  auto h = state_->by_hash.find(hash);
  if (h == state_->by_hash.end()) {
    return absl::UnauthenticatedError("auth: unknown or revoked token");
  }
  const TokenInfo& info = state_->cache.by_name.at(h->second).info;
  Principal p;
  p.name = info.name;
  p.token_id = info.id;
  p.role = info.role;
  p.can_reveal = std::find(info.grants.begin(), info.grants.end(),
                           kRevealGrant) != info.grants.end();
  return p;
}

}  // namespace hashwatch::review_api
