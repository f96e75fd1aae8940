// `hashwatch token` run as a process against a temporary database folder.
#include <filesystem>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/paths.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch {
namespace {

using ::hashwatch::testing::BinaryPath;
using ::hashwatch::testing::Lines;
using ::hashwatch::testing::ProcessResult;
using ::hashwatch::testing::ReadFileOrDie;
using ::hashwatch::testing::RunProcess;
using ::hashwatch::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::SizeIs;

class TokenCliTest : public ::testing::Test {
 protected:
  // Runs hashwatch with --db <tmp>/db (a folder that does not exist yet).
  ProcessResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), BinaryPath("hashwatch"));
    args.push_back("--db");
    args.push_back(dir_.Sub("db"));
    return RunProcess(args);
  }

  TempDir dir_;
};

TEST_F(TokenCliTest, CreatePrintsSecretOnceAndListShowsTheName) {
  ProcessResult create = Run(
      {"token", "create", "alice", "--role", "moderator", "--grant", "reveal"});
  ASSERT_EQ(create.exit_code, 0) << create.err;
  EXPECT_THAT(create.out, MatchesRegex("hwt_[0-9a-f]{64}\n"));
  const std::string token = create.out.substr(0, create.out.size() - 1);
  EXPECT_THAT(Lines(create.err), SizeIs(1));
  EXPECT_THAT(create.err, HasSubstr("only time it is shown"));
  ASSERT_EQ(Run({"token", "create", "ingest", "--role", "pipeline"}).exit_code,
            0);

  ProcessResult list = Run({"token", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  const std::vector<std::string> lines = Lines(list.out);
  ASSERT_THAT(lines, SizeIs(3));
  EXPECT_EQ(lines[0], "name\trole\tgrants\tcreated");
  EXPECT_THAT(
      lines[1],
      MatchesRegex("alice\tmoderator\treveal\t[0-9-]+T[0-9:]+\\+00:00"));
  EXPECT_THAT(lines[2],
              MatchesRegex("ingest\tpipeline\t-\t[0-9-]+T[0-9:]+\\+00:00"));
  EXPECT_THAT(list.out, Not(HasSubstr(token.substr(4, 16))));

  ProcessResult json = Run({"token", "list", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  ASSERT_THAT(Lines(json.out), SizeIs(2));
  const nlohmann::json alice = nlohmann::json::parse(Lines(json.out)[0]);
  EXPECT_EQ(alice.at("name"), "alice");
  EXPECT_EQ(alice.at("role"), "moderator");
  EXPECT_EQ(alice.at("grants"), nlohmann::json::array({"reveal"}));
  EXPECT_TRUE(alice.at("created").is_string());
  EXPECT_FALSE(alice.contains("sha256"));

  // The token file holds the hash, never the secret.
  EXPECT_THAT(ReadFileOrDie(dir_.Sub("db/tokens.json")),
              Not(HasSubstr(token.substr(4))));
}

TEST_F(TokenCliTest, RevokeRemovesTheToken) {
  ASSERT_EQ(Run({"token", "create", "alice", "--role", "admin"}).exit_code, 0);
  ASSERT_EQ(Run({"token", "create", "bob", "--role", "lead"}).exit_code, 0);
  ProcessResult revoke = Run({"token", "revoke", "alice"});
  ASSERT_EQ(revoke.exit_code, 0) << revoke.err;
  EXPECT_THAT(revoke.out, HasSubstr("revoked token alice"));
  ProcessResult list = Run({"token", "list"});
  EXPECT_THAT(list.out, Not(HasSubstr("alice")));
  EXPECT_THAT(list.out, HasSubstr("bob\tlead\t"));
}

TEST_F(TokenCliTest, ErrorsAndExitCodes) {
  EXPECT_EQ(Run({"token", "create", "a", "--role", "root"}).exit_code, 2);
  EXPECT_EQ(Run({"token", "create", "a"}).exit_code, 2);  // --role is required
  EXPECT_EQ(Run({"token", "create", "a", "--role", "admin", "--grant", "sudo"})
                .exit_code,
            2);
  EXPECT_EQ(Run({"token"}).exit_code, 2);
  EXPECT_EQ(Run({"token", "revoke"}).exit_code, 2);

  ASSERT_EQ(Run({"token", "create", "a", "--role", "admin"}).exit_code, 0);
  ProcessResult unknown = Run({"token", "revoke", "nobody"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("no token named \"nobody\""));
  EXPECT_THAT(Lines(unknown.err), SizeIs(1));

  ProcessResult dup = Run({"token", "create", "a", "--role", "lead"});
  EXPECT_EQ(dup.exit_code, 1);
  EXPECT_EQ(dup.out, "");
  EXPECT_THAT(dup.err, HasSubstr("already exists"));
  EXPECT_THAT(Lines(dup.err), SizeIs(1));
  EXPECT_EQ(Run({"token", "create", "bad name", "--role", "admin"}).exit_code,
            1);
  EXPECT_EQ(Run({"token", "create", "l", "--role", "lead", "--grant", "reveal"})
                .exit_code,
            1);

  dir_.Write("db/tokens.json", "{not json");
  ProcessResult broken = Run({"token", "list"});
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_THAT(broken.err, HasSubstr("tokens.json is not a valid token file"));
}

TEST_F(TokenCliTest, ListAndRevokeNeedADatabaseWhichCreateMakes) {
  const std::string db = dir_.Sub("db");
  const std::string missing =
      "hashwatch: no database at " + db +
      " (create one with `hashwatch bank create NAME --db " + db +
      "` or `hashwatch serve --db " + db + "`)\n";
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"token", "list"},
                                             {"token", "revoke", "alice"}}) {
    ProcessResult r = Run(args);
    EXPECT_EQ(r.exit_code, 1) << args[1];
    EXPECT_EQ(r.err, missing) << args[1];
    EXPECT_EQ(r.out, "") << args[1];
  }
  EXPECT_FALSE(std::filesystem::exists(db));

  // A new user's first token may come before the first bank or server.
  ASSERT_EQ(Run({"token", "create", "alice", "--role", "admin"}).exit_code, 0);
  ProcessResult list = Run({"token", "list"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("\nalice\tadmin\t"));
}

}  // namespace
}  // namespace hashwatch
