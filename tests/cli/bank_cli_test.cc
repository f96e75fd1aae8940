// `hashwatch bank` and `hashwatch match` run as processes against a
// temporary database.
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
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
using ::hashwatch::testing::PdqTestImage;
using ::hashwatch::testing::ProcessResult;
using ::hashwatch::testing::RunProcess;
using ::hashwatch::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::SizeIs;

class BankCliTest : public ::testing::Test {
 protected:
  ProcessResult Run(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), BinaryPath("hashwatch"));
    args.push_back("--db");
    args.push_back(dir_.Sub("db"));
    return RunProcess(args, input);
  }
  // The compat PDQ of a test vector, via `hashwatch hash`.
  std::string PdqOf(const std::string& name) {
    ProcessResult r = RunProcess({BinaryPath("hashwatch"), "hash", "--compat", PdqTestImage(name)});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return std::vector<std::string>(absl::StrSplit(r.out, '\t')).at(0);
  }

  TempDir dir_;
};

TEST_F(BankCliTest, CreateImportMatchRoundTrip) {
  ASSERT_EQ(Run({"bank", "create", "iwf", "--auto-report-distance", "8"}).exit_code, 0);
  const std::string list = dir_.Write(
      "list.csv", "hash,category,source\n" + PdqOf("q0746.jpg") + ",A,hotline-1\n" +
                      PdqOf("q1050.jpg") + ",B,hotline-1\n");
  ProcessResult imp = Run({"bank", "import", "iwf", list, "--signal", "pdq"});
  ASSERT_EQ(imp.exit_code, 0) << imp.err;
  EXPECT_THAT(imp.out, HasSubstr("2 added"));
  ProcessResult again = Run({"bank", "import", "iwf", list, "--signal", "pdq"});
  EXPECT_THAT(again.out, HasSubstr("0 added, 0 updated, 2 unchanged"));

  ProcessResult m = Run({"match", "--json", "--compat", PdqTestImage("q0746.jpg"), PdqTestImage("c.png")});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  const std::vector<std::string> lines = Lines(m.out);
  ASSERT_THAT(lines, SizeIs(2));
  const nlohmann::json hit = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(hit.at("query"), PdqTestImage("q0746.jpg"));
  ASSERT_EQ(hit.at("matches").size(), 1u);
  EXPECT_EQ(hit.at("matches")[0].at("bank"), "iwf");
  EXPECT_EQ(hit.at("matches")[0].at("distance"), 0);
  EXPECT_EQ(hit.at("matches")[0].at("category"), "A");
  EXPECT_EQ(hit.at("matches")[0].at("variant"), "original");
  EXPECT_EQ(nlohmann::json::parse(lines[1]).at("matches").size(), 0u);

  // A real rotation is found through its dihedral variant.
  ProcessResult rot = Run({"match", "--dihedral", "--compat", PdqTestImage("dih-bridge-2-rotate-90.jpg"),
                           "--hash", PdqOf("q1050.jpg")});
  ASSERT_EQ(rot.exit_code, 0) << rot.err;
  EXPECT_THAT(rot.out, HasSubstr("\tiwf\t0\tB\t"));

  ProcessResult stats = Run({"bank", "stats", "iwf", "--json"});
  const nlohmann::json s = nlohmann::json::parse(stats.out);
  EXPECT_EQ(s.at("entries"), 2);
  EXPECT_EQ(s.at("by_category").at("A"), 1);
}

TEST_F(BankCliTest, ExportImportsBackUnchanged) {
  ASSERT_EQ(Run({"bank", "create", "a"}).exit_code, 0);
  ASSERT_EQ(Run({"bank", "create", "b"}).exit_code, 0);
  const std::string list = dir_.Write(
      "list.csv", "hash,signal_type,category,note,case\n" + std::string(32, 'a') +
                      ",md5,A,\"note, with comma\",17\n" + PdqOf("q0291.jpg") + ",pdq,,,\n");
  ASSERT_EQ(Run({"bank", "import", "a", list}).exit_code, 0);
  ProcessResult exp = Run({"bank", "export", "a"});
  ASSERT_EQ(exp.exit_code, 0) << exp.err;
  const std::string dump = dir_.Write("dump.csv", exp.out);
  ASSERT_EQ(Run({"bank", "import", "b", dump}).exit_code, 0);
  EXPECT_EQ(Run({"bank", "export", "b"}).out, exp.out);
  EXPECT_THAT(exp.out, HasSubstr("\"note, with comma\""));
  EXPECT_THAT(exp.out, HasSubstr("\"{\"\"case\"\":\"\"17\"\"}\""));
}

TEST_F(BankCliTest, BadListsWriteNothingUnlessSkipping) {
  ASSERT_EQ(Run({"bank", "create", "a"}).exit_code, 0);
  const std::string list =
      dir_.Write("list.txt", std::string(32, 'a') + "\nnot-a-hash\n" + std::string(40, 'b') + "\n");
  ProcessResult bad = Run({"bank", "import", "a", list});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("list.txt:2:"));
  EXPECT_THAT(bad.err, HasSubstr("nothing imported"));
  EXPECT_THAT(Run({"bank", "stats", "a"}).out, HasSubstr("entries\t0"));
  ProcessResult skip = Run({"bank", "import", "a", list, "--skip-invalid"});
  EXPECT_EQ(skip.exit_code, 0);
  EXPECT_THAT(skip.out, HasSubstr("2 added"));
  EXPECT_THAT(skip.out, HasSubstr("1 bad lines skipped"));
  EXPECT_THAT(skip.err, HasSubstr("list.txt:2:"));
}

TEST_F(BankCliTest, RemoveAndDisableStopMatches) {
  ASSERT_EQ(Run({"bank", "create", "a"}).exit_code, 0);
  const std::string md5 = std::string(31, 'c') + "d";
  const std::string pdq = PdqOf("q0746.jpg");
  ASSERT_EQ(Run({"bank", "import", "a", dir_.Write("l.csv", "hash,signal_type\n" + md5 + ",md5\n" +
                                                             pdq + ",pdq\n")})
                .exit_code,
            0);
  ASSERT_THAT(Run({"match", "--hash", md5}).out, HasSubstr("\ta\t0\t"));
  ProcessResult dis = Run({"bank", "disable", "a", pdq, "--until", "48h"});
  ASSERT_EQ(dis.exit_code, 0) << dis.err;
  EXPECT_THAT(dis.out, HasSubstr("disabled pdq"));
  EXPECT_EQ(Run({"match", "--hash", pdq}).out, "");
  ProcessResult rm = Run({"bank", "remove", "a", dir_.Write("r.txt", md5 + "\n" + std::string(32, 'e') + "\n")});
  ASSERT_EQ(rm.exit_code, 0) << rm.err;
  EXPECT_THAT(rm.out, HasSubstr("removed 1 from a; 1 not in the bank"));
  EXPECT_EQ(Run({"match", "--hash", md5}).out, "");
  EXPECT_EQ(Run({"bank", "disable", "a", std::string(32, 'f')}).exit_code, 1);
}

TEST_F(BankCliTest, ErrorsAndExitCodes) {
  ProcessResult dup;
  ASSERT_EQ(Run({"bank", "create", "a"}).exit_code, 0);
  dup = Run({"bank", "create", "a"});
  EXPECT_EQ(dup.exit_code, 1);
  EXPECT_THAT(dup.err, HasSubstr("already exists"));
  EXPECT_THAT(Lines(dup.err), SizeIs(1));
  EXPECT_EQ(Run({"bank", "create", "Bad Name"}).exit_code, 1);
  EXPECT_EQ(Run({"bank", "stats", "missing"}).exit_code, 1);
  EXPECT_EQ(Run({"bank", "create", "b", "--kind", "maybe"}).exit_code, 2);
  EXPECT_EQ(Run({"bank", "create", "b", "--review-distance", "99"}).exit_code, 2);
  EXPECT_EQ(Run({"bank", "import", "a", "/nonexistent/list.txt"}).exit_code, 1);
  EXPECT_EQ(Run({"bank", "import", "a", dir_.Write("x", "")  , "--signal", "phash"}).exit_code, 2);
  EXPECT_EQ(Run({"bank"}).exit_code, 2);
  EXPECT_EQ(Run({"match"}).exit_code, 2);
  EXPECT_EQ(Run({"match", "--radius", "65", "--hash", std::string(64, 'a')}).exit_code, 2);
  ProcessResult bad_hex = Run({"match", "--hash", "abc"});
  EXPECT_EQ(bad_hex.exit_code, 1);
  EXPECT_THAT(bad_hex.err, HasSubstr("3 characters"));
  ProcessResult bad_file = Run({"match", dir_.Write("t.txt", "text"), "--hash", std::string(32, 'a')});
  EXPECT_EQ(bad_file.exit_code, 1);
  EXPECT_THAT(bad_file.err, HasSubstr("t.txt"));
  EXPECT_EQ(Run({"match", "--hash", std::string(64, 'a')}).exit_code, 0);  // no match is fine
}

TEST_F(BankCliTest, OnlyCreateMakesADatabaseTheOtherCommandsRefuseAMissingOne) {
  const std::string db = dir_.Sub("db");
  const std::string missing =
      "hashwatch: no database at " + db +
      " (create one with `hashwatch bank create NAME --db " + db +
      "` or `hashwatch serve --db " + db + "`)\n";
  const std::string md5 = std::string(32, 'a');
  const std::string list = dir_.Write("list.txt", md5 + "\n");
  const std::vector<std::vector<std::string>> commands = {
      {"bank", "list"},
      {"bank", "stats", "a"},
      {"bank", "import", "a", list},
      {"bank", "export", "a"},
      {"bank", "remove", "a", list},
      {"bank", "disable", "a", md5},
      {"bank", "delete", "a"},
      {"match", "--hash", md5},
      {"match", PdqTestImage("c.png")}};
  for (const std::vector<std::string>& args : commands) {
    ProcessResult r = Run(args);
    EXPECT_EQ(r.exit_code, 1) << args[0] << " " << args[1];
    EXPECT_EQ(r.err, missing) << args[0] << " " << args[1];
    EXPECT_EQ(r.out, "") << args[0] << " " << args[1];
  }
  EXPECT_FALSE(std::filesystem::exists(db));
  // An empty folder (a `mkdir` ahead of time) holds no database either.
  std::filesystem::create_directories(db);
  EXPECT_EQ(Run({"bank", "list"}).err, missing);
  EXPECT_TRUE(std::filesystem::is_empty(db));

  ProcessResult created = Run({"bank", "create", "a"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  ASSERT_EQ(Run({"bank", "import", "a", list}).exit_code, 0);
  ProcessResult listed = Run({"bank", "list"});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr("\na\tmatch\t1\t"));
  ProcessResult matched = Run({"match", "--hash", md5});
  EXPECT_EQ(matched.exit_code, 0) << matched.err;
  EXPECT_THAT(matched.out, HasSubstr("\ta\t0\t"));
}

}  // namespace
}  // namespace hashwatch
