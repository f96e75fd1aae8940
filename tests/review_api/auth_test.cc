#include "review_api/auth.h"

#include <openssl/evp.h>
#include <sys/stat.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/paths.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch::review_api {
namespace {

using ::hashwatch::testing::ReadFileOrDie;
using ::hashwatch::testing::StatusIs;
using ::hashwatch::testing::TempDir;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::SizeIs;

std::string Sha256Hex(const std::string& s) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(s.data(), s.size(), d, &n, EVP_sha256(), nullptr);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<char*>(d), n));
}

// Replaces a file the way the store does (a new inode), as another process
// writing it would.
void ReplaceFile(const TempDir& dir, const std::string& path,
                 const std::string& bytes) {
  const std::string tmp = dir.Write("replacement", bytes);
  ASSERT_EQ(std::rename(tmp.c_str(), path.c_str()), 0);
}

TEST(RoleTest, NamesRoundTripAndUnknownIsInvalidArgument) {
  EXPECT_EQ(RoleName(Role::kPipeline), "pipeline");
  EXPECT_EQ(RoleName(Role::kModerator), "moderator");
  EXPECT_EQ(RoleName(Role::kLead), "lead");
  EXPECT_EQ(RoleName(Role::kAdmin), "admin");
  for (Role r : kAllRoles) {
    ASSERT_OK_AND_ASSIGN(Role parsed, ParseRole(RoleName(r)));
    EXPECT_EQ(parsed, r);
  }
  EXPECT_THAT(ParseRole("root"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("\"root\""),
                             HasSubstr("pipeline, moderator, lead or admin"))));
  EXPECT_THAT(ParseRole("Admin"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseRole(""), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(PermissionTest, NamesAreDistinctSnakeCase) {
  std::set<std::string> names;
  for (Permission p : kAllPermissions)
    names.insert(std::string(PermissionName(p)));
  EXPECT_THAT(names, SizeIs(9));
  EXPECT_EQ(PermissionName(Permission::kEnqueueCase), "enqueue_case");
  EXPECT_EQ(PermissionName(Permission::kReadReports), "read_reports");
}

TEST(AuthorizeTest, MatchesTheRoleTable) {
  // Rows: role; columns in kAllPermissions order: scan, enqueue_case,
  // review, reveal, queue_stats, read_banks, write_banks, read_reports,
  // write_reports. Moderators without the reveal grant.
  const std::map<Role, std::vector<int>> expected = {
      {Role::kPipeline, {1, 1, 0, 0, 0, 0, 0, 0, 0}},
      {Role::kModerator, {0, 0, 1, 0, 1, 0, 0, 0, 0}},
      {Role::kLead, {0, 0, 1, 1, 1, 1, 0, 1, 0}},
      {Role::kAdmin, {1, 1, 1, 1, 1, 1, 1, 1, 1}},
  };
  for (Role r : kAllRoles) {
    for (size_t i = 0; i < std::size(kAllPermissions); ++i) {
      const Permission p = kAllPermissions[i];
      const Principal who{"t", r, false};
      SCOPED_TRACE(absl::StrCat(RoleName(r), " ", PermissionName(p)));
      if (expected.at(r)[i]) {
        EXPECT_OK(Authorize(who, p));
      } else {
        EXPECT_THAT(Authorize(who, p),
                    StatusIs(absl::StatusCode::kPermissionDenied));
      }
    }
  }
}

TEST(AuthorizeTest, ModeratorRevealsOnlyWithGrant) {
  EXPECT_THAT(Authorize({"m", Role::kModerator, false}, Permission::kReveal),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_OK(Authorize({"m", Role::kModerator, true}, Permission::kReveal));
  // The grant adds reveal and nothing else.
  EXPECT_THAT(Authorize({"m", Role::kModerator, true}, Permission::kReadBanks),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Authorize({"p", Role::kPipeline, true}, Permission::kReveal),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(AuthorizeTest, DenialNamesTokenRoleAndAction) {
  EXPECT_THAT(
      Authorize({"alice", Role::kModerator, false}, Permission::kReadReports),
      StatusIs(
          absl::StatusCode::kPermissionDenied,
          HasSubstr("token \"alice\" (role moderator) may not read reports")));
}

class TokenStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<TokenStore> Open() {
    absl::StatusOr<std::unique_ptr<TokenStore>> s =
        TokenStore::Open(path_, &clock_);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }

  TempDir dir_;
  FakeClock clock_;
  const std::string path_ = dir_.Sub("tokens.json");
};

TEST_F(TokenStoreTest, CreateThenAuthenticateGivesPrincipal) {
  auto store = Open();
  ASSERT_OK_AND_ASSIGN(std::string mod,
                       store->Create("alice", Role::kModerator, {"reveal"}));
  ASSERT_OK_AND_ASSIGN(std::string pipe,
                       store->Create("ingest-1", Role::kPipeline, {}));
  ASSERT_OK_AND_ASSIGN(Principal a, store->Authenticate(mod));
  EXPECT_EQ(a.name, "alice");
  EXPECT_EQ(a.role, Role::kModerator);
  EXPECT_TRUE(a.can_reveal);
  EXPECT_OK(Authorize(a, Permission::kReveal));
  ASSERT_OK_AND_ASSIGN(Principal p, store->Authenticate(pipe));
  EXPECT_EQ(p.name, "ingest-1");
  EXPECT_EQ(p.role, Role::kPipeline);
  EXPECT_FALSE(p.can_reveal);
  EXPECT_THAT(Authorize(p, Permission::kReview),
              StatusIs(absl::StatusCode::kPermissionDenied));

  // A moderator token without the grant may not reveal.
  ASSERT_OK_AND_ASSIGN(std::string plain,
                       store->Create("bob", Role::kModerator, {}));
  ASSERT_OK_AND_ASSIGN(Principal b, store->Authenticate(plain));
  EXPECT_FALSE(b.can_reveal);
  EXPECT_THAT(Authorize(b, Permission::kReveal),
              StatusIs(absl::StatusCode::kPermissionDenied));

  // The tokens persist: a new store on the file knows them.
  auto reopened = Open();
  ASSERT_OK_AND_ASSIGN(Principal again, reopened->Authenticate(mod));
  EXPECT_EQ(again.name, "alice");
  EXPECT_TRUE(again.can_reveal);
}

TEST_F(TokenStoreTest, TokenIsHwtHexAndTheFileHoldsOnlyItsHash) {
  auto store = Open();
  ASSERT_OK_AND_ASSIGN(std::string token,
                       store->Create("alice", Role::kLead, {}));
  EXPECT_THAT(token, MatchesRegex("hwt_[0-9a-f]{64}"));
  const std::string file = ReadFileOrDie(path_);
  EXPECT_THAT(file, Not(HasSubstr(token)));
  EXPECT_THAT(file, Not(HasSubstr(token.substr(4))));
  EXPECT_THAT(
      file, HasSubstr(absl::StrCat("\"sha256\": \"", Sha256Hex(token), "\"")));
  struct stat st;
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // Two tokens never share their secret.
  ASSERT_OK_AND_ASSIGN(std::string other,
                       store->Create("bob", Role::kLead, {}));
  EXPECT_NE(token, other);
}

TEST_F(TokenStoreTest, RevokedTokenIsUnauthenticated) {
  auto store = Open();
  ASSERT_OK_AND_ASSIGN(std::string token,
                       store->Create("alice", Role::kAdmin, {}));
  ASSERT_OK_AND_ASSIGN(std::string keep,
                       store->Create("bob", Role::kAdmin, {}));
  EXPECT_OK(store->Revoke("alice"));
  EXPECT_THAT(store->Authenticate(token),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("unknown or revoked token")));
  EXPECT_OK(store->Authenticate(keep));
  EXPECT_THAT(store->Revoke("alice"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("\"alice\"")));
  EXPECT_THAT(store->Revoke("nobody"), StatusIs(absl::StatusCode::kNotFound));
  // The name is free again, for a new secret.
  ASSERT_OK_AND_ASSIGN(std::string fresh,
                       store->Create("alice", Role::kAdmin, {}));
  EXPECT_NE(fresh, token);
  EXPECT_THAT(store->Authenticate(token),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

// A lease belongs to a token's id: random, kept in the file, and new for a
// token re-created under a revoked one's name.
TEST_F(TokenStoreTest, TokenIdIsStableAndNewForARecreatedName) {
  auto store = Open();
  ASSERT_OK_AND_ASSIGN(std::string token,
                       store->Create("alice", Role::kModerator, {}));
  ASSERT_OK_AND_ASSIGN(Principal first, store->Authenticate(token));
  EXPECT_THAT(first.token_id, MatchesRegex("[0-9a-f]{32}"));
  ASSERT_OK_AND_ASSIGN(std::vector<TokenInfo> listed, store->List());
  ASSERT_THAT(listed, SizeIs(1));
  EXPECT_EQ(listed[0].id, first.token_id);
  EXPECT_THAT(ReadFileOrDie(path_),
              HasSubstr(absl::StrCat("\"id\": \"", first.token_id, "\"")));
  ASSERT_OK_AND_ASSIGN(Principal reopened, Open()->Authenticate(token));
  EXPECT_EQ(reopened.token_id, first.token_id);

  ASSERT_OK(store->Revoke("alice"));
  ASSERT_OK_AND_ASSIGN(std::string again,
                       store->Create("alice", Role::kModerator, {}));
  ASSERT_OK_AND_ASSIGN(Principal second, store->Authenticate(again));
  EXPECT_EQ(second.name, "alice");
  EXPECT_NE(second.token_id, first.token_id);
}

// Files written before ids existed load; each token gets an id derived
// from its hash, the same at every load and kept by the next rewrite.
TEST_F(TokenStoreTest, FileWithoutIdsLoadsWithStableIds) {
  auto entry = [](const std::string& name, char digit) {
    return absl::StrCat("{\"name\": \"", name,
                        "\", \"role\": \"moderator\", \"grants\": [], "
                        "\"created\": \"2026-01-02T03:04:05Z\", \"sha256\": \"",
                        std::string(64, digit), "\"}");
  };
  dir_.Write("tokens.json",
             absl::StrCat("{\"format\": \"hashwatch-tokens-v1\", \"tokens\": [",
                          entry("a", 'a'), ",", entry("b", 'b'), "]}"));
  ASSERT_OK_AND_ASSIGN(std::vector<TokenInfo> before, Open()->List());
  ASSERT_THAT(before, SizeIs(2));
  EXPECT_THAT(before[0].id, MatchesRegex("[0-9a-f]{32}"));
  EXPECT_NE(before[0].id, before[1].id);
  auto store = Open();
  ASSERT_OK(store->Create("c", Role::kLead, {}).status());  // rewrites
  EXPECT_THAT(ReadFileOrDie(path_),
              HasSubstr(absl::StrCat("\"id\": \"", before[0].id, "\"")));
  ASSERT_OK_AND_ASSIGN(std::vector<TokenInfo> after, Open()->List());
  ASSERT_THAT(after, SizeIs(3));
  EXPECT_EQ(after[0].id, before[0].id);
  EXPECT_EQ(after[1].id, before[1].id);

  dir_.Write("tokens.json",
             absl::StrCat("{\"format\": \"hashwatch-tokens-v1\", \"tokens\": [",
                          absl::StrReplaceAll(
                              entry("a", 'a'),
                              {{"\"sha256\"", "\"id\": \"xyz\", \"sha256\""}}),
                          "]}"));
  EXPECT_THAT(TokenStore::Open(path_, &clock_),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("\"id\"")));
}

TEST_F(TokenStoreTest, DuplicateNameIsAlreadyExists) {
  auto store = Open();
  ASSERT_OK(store->Create("alice", Role::kModerator, {}).status());
  EXPECT_THAT(
      store->Create("alice", Role::kAdmin, {}),
      StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("\"alice\"")));
  ASSERT_OK_AND_ASSIGN(std::vector<TokenInfo> tokens, store->List());
  ASSERT_THAT(tokens, SizeIs(1));
  EXPECT_EQ(tokens[0].role, Role::kModerator);
}

TEST_F(TokenStoreTest, BadNameOrGrantIsInvalidArgument) {
  auto store = Open();
  for (const std::string& name :
       {std::string(""), std::string(65, 'a'), std::string("a b"),
        std::string("a/b"), std::string("\xc3\xbc"), std::string("x\n")}) {
    EXPECT_THAT(
        store->Create(name, Role::kAdmin, {}),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("token name")))
        << name;
  }
  EXPECT_OK(store->Create(std::string(64, 'a'), Role::kAdmin, {}).status());
  EXPECT_OK(
      store->Create("svc.ingest_2@eu-west", Role::kPipeline, {}).status());
  EXPECT_THAT(store->Create("m", Role::kModerator, {"admin"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown grant \"admin\"")));
  EXPECT_THAT(store->Create("m", Role::kModerator, {"reveal", ""}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // Only moderators take the reveal grant; leads and admins reveal by role.
  EXPECT_THAT(
      store->Create("l", Role::kLead, {"reveal"}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("moderator")));
  EXPECT_THAT(store->Create("p", Role::kPipeline, {"reveal"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // Nothing was written for the failures.
  ASSERT_OK_AND_ASSIGN(std::vector<TokenInfo> tokens, store->List());
  EXPECT_THAT(tokens, SizeIs(2));
  // Duplicate grants collapse.
  ASSERT_OK(
      store->Create("m", Role::kModerator, {"reveal", "reveal"}).status());
  ASSERT_OK_AND_ASSIGN(tokens, store->List());
  ASSERT_THAT(tokens, SizeIs(3));
  EXPECT_EQ(tokens[1].name, "m");
  EXPECT_THAT(tokens[1].grants, ElementsAre("reveal"));
}

TEST_F(TokenStoreTest, AnythingElseIsUnauthenticated) {
  auto store = Open();
  EXPECT_THAT(store->Authenticate("hwt_" + std::string(64, '0')),
              StatusIs(absl::StatusCode::kUnauthenticated));
  ASSERT_OK_AND_ASSIGN(std::string token,
                       store->Create("alice", Role::kAdmin, {}));
  std::string upper = token;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  for (const std::string& bad :
       {std::string(""), std::string("hwt_"), token.substr(4), token + "0",
        token.substr(0, token.size() - 1), upper, " " + token,
        std::string("Bearer ") + token, Sha256Hex(token),
        std::string("\0", 1) + token, std::string(100000, 'x')}) {
    EXPECT_THAT(store->Authenticate(bad),
                StatusIs(absl::StatusCode::kUnauthenticated));
  }
  EXPECT_OK(store->Authenticate(token));
}

TEST_F(TokenStoreTest, ListIsByNameWithoutSecrets) {
  auto store = Open();
  ASSERT_OK_AND_ASSIGN(std::vector<TokenInfo> none, store->List());
  EXPECT_THAT(none, IsEmpty());
  const absl::Time t0 = clock_.Now();
  ASSERT_OK(store->Create("zed", Role::kPipeline, {}).status());
  clock_.Advance(absl::Milliseconds(1500));
  ASSERT_OK(store->Create("amy", Role::kModerator, {"reveal"}).status());
  ASSERT_OK_AND_ASSIGN(std::vector<TokenInfo> tokens, Open()->List());
  ASSERT_THAT(tokens, SizeIs(2));
  EXPECT_EQ(tokens[0].name, "amy");
  EXPECT_EQ(tokens[0].role, Role::kModerator);
  EXPECT_THAT(tokens[0].grants, ElementsAre("reveal"));
  EXPECT_EQ(tokens[0].created, t0 + absl::Milliseconds(1500));
  EXPECT_EQ(tokens[1].name, "zed");
  EXPECT_THAT(tokens[1].grants, IsEmpty());
  EXPECT_EQ(tokens[1].created, t0);
}

TEST_F(TokenStoreTest, MissingFileIsNoTokensAndCreateWritesIt) {
  auto store = Open();
  ASSERT_OK_AND_ASSIGN(std::vector<TokenInfo> none, store->List());
  EXPECT_THAT(none, IsEmpty());
  EXPECT_FALSE(std::filesystem::exists(path_));
  ASSERT_OK(store->Create("a", Role::kAdmin, {}).status());
  EXPECT_TRUE(std::filesystem::exists(path_));
  EXPECT_THAT(TokenStore::Open("", &clock_),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // A store whose folder is missing opens empty and cannot write: the
  // file system's ENOENT, NotFound by the one errno mapping
  // (common/errno_status.h), naming the file.
  ASSERT_OK_AND_ASSIGN(
      auto orphan, TokenStore::Open(dir_.Sub("no/such/tokens.json"), &clock_));
  EXPECT_THAT(orphan->Create("a", Role::kAdmin, {}),
              StatusIs(absl::StatusCode::kNotFound,
                       ::testing::HasSubstr("no/such/tokens.json")));
}

TEST_F(TokenStoreTest, SecondInstanceChangesAreSeenWithoutRestart) {
  auto server = Open();
  auto cli = Open();  // as `hashwatch token` in another process
  ASSERT_OK_AND_ASSIGN(std::string token,
                       cli->Create("alice", Role::kLead, {}));
  ASSERT_OK_AND_ASSIGN(Principal p, server->Authenticate(token));
  EXPECT_EQ(p.name, "alice");
  EXPECT_EQ(p.role, Role::kLead);
  ASSERT_OK(cli->Revoke("alice"));
  EXPECT_THAT(server->Authenticate(token),
              StatusIs(absl::StatusCode::kUnauthenticated));
  // Revoke and re-create in quick succession: same size, maybe the same
  // mtime tick and a reused inode; the new secret works, the old does not.
  ASSERT_OK_AND_ASSIGN(std::string t1, cli->Create("bob", Role::kLead, {}));
  EXPECT_OK(server->Authenticate(t1));
  ASSERT_OK(cli->Revoke("bob"));
  ASSERT_OK_AND_ASSIGN(std::string t2, cli->Create("bob", Role::kLead, {}));
  EXPECT_THAT(server->Authenticate(t1),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_OK(server->Authenticate(t2));
  // A deleted file means no tokens.
  ASSERT_EQ(std::remove(path_.c_str()), 0);
  EXPECT_THAT(server->Authenticate(t2),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(TokenStoreTest, TwoStoresCreatingAlternatelyLoseNone) {
  auto a = Open();
  auto b = Open();
  std::vector<std::string> secrets;
  for (int i = 0; i < 20; ++i) {
    ASSERT_OK_AND_ASSIGN(std::string x,
                         a->Create(absl::StrCat("a", i), Role::kPipeline, {}));
    ASSERT_OK_AND_ASSIGN(std::string y,
                         b->Create(absl::StrCat("b", i), Role::kModerator, {}));
    secrets.push_back(x);
    secrets.push_back(y);
  }
  for (TokenStore* s : {a.get(), b.get()}) {
    ASSERT_OK_AND_ASSIGN(std::vector<TokenInfo> tokens, s->List());
    EXPECT_THAT(tokens, SizeIs(40));
    for (const std::string& secret : secrets)
      EXPECT_OK(s->Authenticate(secret));
  }
  ASSERT_OK(a->Revoke("b3"));
  EXPECT_THAT(b->Revoke("b3"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(TokenStoreTest, ConcurrentCreatesFromManyThreadsLoseNone) {
  auto a = Open();
  auto b = Open();
  constexpr int kThreads = 4;
  constexpr int kEach = 10;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      TokenStore* s = t % 2 == 0 ? a.get() : b.get();
      for (int i = 0; i < kEach; ++i) {
        EXPECT_OK(s->Create(absl::StrCat("t", t, "-", i), Role::kPipeline, {})
                      .status());
        EXPECT_THAT(s->Authenticate("hwt_nope"),
                    StatusIs(absl::StatusCode::kUnauthenticated));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_OK_AND_ASSIGN(std::vector<TokenInfo> tokens, Open()->List());
  EXPECT_THAT(tokens, SizeIs(kThreads * kEach));
}

TEST_F(TokenStoreTest, MalformedFileIsDataLossFromOpen) {
  const std::string hash = std::string(63, 'a') + "b";
  const std::string token = absl::StrCat(
      "{\"name\": \"a\", \"role\": \"admin\", \"grants\": [], "
      "\"created\": \"2026-01-02T03:04:05Z\", \"sha256\": \"",
      hash, "\"}");
  const std::string good = absl::StrCat(
      "{\"format\": \"hashwatch-tokens-v1\", \"tokens\": [", token, "]}");
  dir_.Write("tokens.json", good);
  ASSERT_NE(Open(), nullptr);
  for (const std::string& bad : {
           std::string(""),
           std::string("{\"format\": \"hashwatch-tokens-v1\", \"tokens\": "
                       "[{\"sha256\": \"" +
                       hash),
           std::string("[]"),
           std::string("{\"tokens\": []}"),
           std::string("{\"format\": \"hashwatch-tokens-v9\", \"tokens\": []}"),
           std::string("{\"format\": \"hashwatch-tokens-v1\", \"tokens\": {}}"),
           absl::StrCat("{\"format\": \"hashwatch-tokens-v1\", \"tokens\": [",
                        token, ",", token, "]}"),
           absl::StrReplaceAll(good, {{"admin", "root"}}),
           absl::StrReplaceAll(good, {{"[]", "[\"sudo\"]"}}),
           absl::StrReplaceAll(good, {{"2026-01-02T03:04:05Z", "yesterday"}}),
           absl::StrReplaceAll(good, {{hash, hash.substr(1)}}),
           absl::StrReplaceAll(good, {{"\"a\"", "\"a b\""}}),
       }) {
    dir_.Write("tokens.json", bad);
    absl::StatusOr<std::unique_ptr<TokenStore>> s =
        TokenStore::Open(path_, &clock_);
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kDataLoss,
                            AllOf(HasSubstr(path_),
                                  Not(HasSubstr(hash.substr(0, 20))))))
        << bad;
  }
}

TEST_F(TokenStoreTest, MalformedRewriteKeepsTheLastGoodCopy) {
  auto store = Open();
  ASSERT_OK_AND_ASSIGN(std::string token,
                       store->Create("alice", Role::kAdmin, {}));
  const std::string good = ReadFileOrDie(path_);
  ReplaceFile(dir_, path_, "{\"format\": \"hashwatch-tokens-v1\", \"tok");
  EXPECT_OK(store->Authenticate(token));
  EXPECT_OK(store->Authenticate(token));  // logged once, still served
  EXPECT_THAT(store->List(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr(path_)));
  // Writers refuse to build on a broken file rather than drop its tokens.
  EXPECT_THAT(store->Create("bob", Role::kAdmin, {}),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(store->Revoke("alice"), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(TokenStore::Open(path_, &clock_),
              StatusIs(absl::StatusCode::kDataLoss));
  // Repaired, it is read again.
  ReplaceFile(dir_, path_, good);
  ASSERT_OK_AND_ASSIGN(std::vector<TokenInfo> tokens, store->List());
  EXPECT_THAT(tokens, SizeIs(1));
  ASSERT_OK(store->Revoke("alice"));
  EXPECT_THAT(store->Authenticate(token),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(TokenStoreTest, ErrorMessagesNeverShowSecretsOrHashes) {
  auto store = Open();
  ASSERT_OK_AND_ASSIGN(std::string token,
                       store->Create("alice", Role::kModerator, {}));
  const std::string hash = Sha256Hex(token);
  std::vector<absl::Status> errors = {
      store->Revoke(token),  // a secret pasted where a name goes
      store->Create(token, Role::kAdmin, {}).status(),
      store->Create("x", Role::kModerator, {token}).status(),
      ParseRole(token).status(),
      store->Authenticate(token + "x").status(),
      Authorize({token, Role::kPipeline, false}, Permission::kReview),
  };
  ReplaceFile(
      dir_, path_,
      absl::StrCat(
          "{\"format\": \"hashwatch-tokens-v1\", \"tokens\": [{\"sha256\": \"",
          hash, "\"  oops"));
  errors.push_back(store->List().status());
  errors.push_back(TokenStore::Open(path_, &clock_).status());
  for (const absl::Status& s : errors) {
    EXPECT_FALSE(s.ok());
    EXPECT_THAT(std::string(s.message()),
                AllOf(Not(HasSubstr(token.substr(4, 16))),
                      Not(HasSubstr(hash.substr(0, 16)))))
        << s;
  }
}

}  // namespace
}  // namespace hashwatch::review_api
