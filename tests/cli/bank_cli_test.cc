// `hashwatch bank` and `hashwatch match` run as processes against a
// temporary database.
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/bench/pictures.h"
#include "tests/testing/images.h"
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
using ::testing::Not;
using ::testing::SizeIs;

class BankCliTest : public ::testing::Test {
 protected:
  ProcessResult Run(std::vector<std::string> args,
                    const std::string& input = "") {
    args.insert(args.begin(), BinaryPath("hashwatch"));
    args.push_back("--db");
    args.push_back(dir_.Sub("db"));
    return RunProcess(args, input);
  }
  // The compat PDQ of a test vector, via `hashwatch hash`.
  std::string PdqOf(const std::string& name) {
    ProcessResult r = RunProcess(
        {BinaryPath("hashwatch"), "hash", "--compat", PdqTestImage(name)});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return std::vector<std::string>(absl::StrSplit(r.out, '\t')).at(0);
  }

  // The PDQ of a generated picture (any picture will do).
  std::string PdqOfPicture(int seed) {
    const std::string path =
        dir_.Write("picture-" + std::to_string(seed) + ".jpg",
                   testing::MakePicture(seed, 640, 480));
    ProcessResult r = RunProcess({BinaryPath("hashwatch"), "hash", path});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return std::vector<std::string>(absl::StrSplit(r.out, '\t')).at(0);
  }

  TempDir dir_;
};

// Whatever the caller's umask (here 000, the loosest), the database
// hashwatch creates is its user's alone: folders 0700, files 0600.
TEST_F(BankCliTest, TheDatabaseIsReadableByItsOwnerOnly) {
  const mode_t old = umask(0);
  ProcessResult created = Run({"bank", "create", "private"});
  ProcessResult token =
      RunProcess({BinaryPath("hashwatch"), "token", "create", "ops", "--role",
                  "admin", "--db", dir_.Sub("db")});
  umask(old);
  ASSERT_EQ(created.exit_code, 0) << created.err;
  ASSERT_EQ(token.exit_code, 0) << token.err;
  int files = 0;
  EXPECT_EQ(std::filesystem::status(dir_.Sub("db")).permissions() &
                std::filesystem::perms::all,
            std::filesystem::perms::owner_all);
  for (const auto& e :
       std::filesystem::recursive_directory_iterator(dir_.Sub("db"))) {
    const auto perms = e.status().permissions() & std::filesystem::perms::all;
    if (e.is_directory()) {
      EXPECT_EQ(perms, std::filesystem::perms::owner_all) << e.path();
    } else {
      ++files;
      EXPECT_EQ(perms & (std::filesystem::perms::group_all |
                         std::filesystem::perms::others_all),
                std::filesystem::perms::none)
          << e.path();
    }
  }
  EXPECT_GT(files, 5);  // RocksDB's files and tokens.json were all looked at
}

TEST_F(BankCliTest, CreateImportMatchRoundTrip) {
  ASSERT_EQ(
      Run({"bank", "create", "iwf", "--auto-report-distance", "8"}).exit_code,
      0);
  const std::string list = dir_.Write(
      "list.csv", "hash,category,source\n" + PdqOf("q0746.jpg") +
                      ",A,hotline-1\n" + PdqOf("q1050.jpg") + ",B,hotline-1\n");
  ProcessResult imp = Run({"bank", "import", "iwf", list, "--signal", "pdq"});
  ASSERT_EQ(imp.exit_code, 0) << imp.err;
  EXPECT_THAT(imp.out, HasSubstr("2 added"));
  ProcessResult again = Run({"bank", "import", "iwf", list, "--signal", "pdq"});
  EXPECT_THAT(again.out, HasSubstr("0 added, 0 updated, 2 unchanged"));

  ProcessResult m = Run({"match", "--json", "--compat",
                         PdqTestImage("q0746.jpg"), PdqTestImage("c.png")});
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
  ProcessResult rot = Run({"match", "--dihedral", "--compat",
                           PdqTestImage("dih-bridge-2-rotate-90.jpg"), "--hash",
                           PdqOf("q1050.jpg")});
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
  const std::string list =
      dir_.Write("list.csv", "hash,signal_type,category,note,case\n" +
                                 std::string(32, 'a') +
                                 ",md5,A,\"note, with comma\",17\n" +
                                 PdqOf("q0291.jpg") + ",pdq,,,\n");
  ASSERT_EQ(Run({"bank", "import", "a", list}).exit_code, 0);
  ProcessResult exp = Run({"bank", "export", "a"});
  ASSERT_EQ(exp.exit_code, 0) << exp.err;
  const std::string dump = dir_.Write("dump.csv", exp.out);
  ASSERT_EQ(Run({"bank", "import", "b", dump}).exit_code, 0);
  EXPECT_EQ(Run({"bank", "export", "b"}).out, exp.out);
  EXPECT_THAT(exp.out, HasSubstr("\"note, with comma\""));
  EXPECT_THAT(exp.out, HasSubstr("\"{\"\"case\"\":\"\"17\"\"}\""));
}

// `bank export` carries every field of every entry, its state included, and
// `bank import` of the export restores it exactly: a retracted false
// positive stays retracted.
TEST_F(BankCliTest, ExportCarriesEveryFieldAndImportRestoresIt) {
  ASSERT_EQ(Run({"bank", "create", "a"}).exit_code, 0);
  ASSERT_EQ(Run({"bank", "create", "b"}).exit_code, 0);
  const std::string md5(32, 'a'), sha1(40, 'b'), sha256(64, 'c');
  const std::string pdq = PdqOfPicture(746);
  const std::string list =
      dir_.Write("list.csv",
                 "hash,signal_type,category,source,note,metadata\n" + md5 +
                     ",md5,A,\"hotline, 1\",\"  two\nlines, \"\"quoted\"\" \","
                     "\"{\"\"case\"\": \"\"C-17\"\", \"\"quality\"\": 90}\"\n" +
                     pdq + ",pdq,B,s,,\n" + sha256 + ",sha256,,,ünïcode,\n" +
                     sha1 + ",sha1,C,,,\n");
  ProcessResult imp = Run({"bank", "import", "a", list});
  ASSERT_EQ(imp.exit_code, 0) << imp.err;
  EXPECT_THAT(imp.out, HasSubstr("4 added"));
  // A retracted false positive, one disabled for a while (a time with
  // microseconds) and one whose time has passed.
  ASSERT_EQ(Run({"bank", "disable", "a", pdq}).exit_code, 0);
  ASSERT_EQ(Run({"bank", "disable", "a", sha256, "--signal", "sha256",
                 "--until", "48h"})
                .exit_code,
            0);
  ASSERT_EQ(
      Run({"bank", "disable", "a", sha1, "--until", "2020-01-01T00:00:00Z"})
          .exit_code,
      0);

  ProcessResult exp = Run({"bank", "export", "a"});
  ASSERT_EQ(exp.exit_code, 0) << exp.err;
  EXPECT_THAT(exp.out, ::testing::StartsWith(
                           "hash,signal_type,category,source,note,metadata,"
                           "disabled_until\n"));
  EXPECT_THAT(exp.out, HasSubstr(pdq + ",pdq,B,s,,,indefinitely\n"));
  EXPECT_THAT(exp.out,
              HasSubstr(sha1 + ",sha1,C,,,,2020-01-01T00:00:00+00:00\n"));
  const std::string dump = dir_.Write("dump.csv", exp.out);
  imp = Run({"bank", "import", "b", dump});
  ASSERT_EQ(imp.exit_code, 0) << imp.err;
  EXPECT_THAT(imp.out, HasSubstr("4 added, 0 updated, 0 unchanged"));
  EXPECT_EQ(Run({"bank", "export", "b"}).out, exp.out);

  // Field by field, ids and added times aside.
  const std::vector<std::string> ja =
      Lines(Run({"bank", "export", "a", "--json"}).out);
  const std::vector<std::string> jb =
      Lines(Run({"bank", "export", "b", "--json"}).out);
  ASSERT_THAT(ja, SizeIs(4));
  ASSERT_THAT(jb, SizeIs(4));
  for (size_t i = 0; i < ja.size(); ++i) {
    nlohmann::json ea = nlohmann::json::parse(ja[i]);
    nlohmann::json eb = nlohmann::json::parse(jb[i]);
    for (nlohmann::json* e : {&ea, &eb}) {
      e->erase("id");
      e->erase("added");
    }
    EXPECT_EQ(ea, eb) << i;
  }
  const nlohmann::json first = nlohmann::json::parse(jb[0]);
  EXPECT_EQ(first.at("source"), "hotline, 1");
  EXPECT_EQ(first.at("note"), "  two\nlines, \"quoted\" ");
  EXPECT_EQ(first.at("metadata"), "{\"case\": \"C-17\", \"quality\": 90}");
  EXPECT_EQ(first.at("disabled_until"), "");
  EXPECT_EQ(nlohmann::json::parse(jb[1]).at("disabled_until"), "indefinitely");
  EXPECT_EQ(nlohmann::json::parse(jb[2]).at("note"), "ünïcode");
  EXPECT_NE(nlohmann::json::parse(jb[2]).at("disabled_until"), "");

  // The copy matches as the original does: not the disabled ones.
  EXPECT_EQ(Run({"match", "--hash", pdq}).out, "");
  EXPECT_THAT(Lines(Run({"match", "--hash", sha1}).out), SizeIs(2));
  ProcessResult stats = Run({"bank", "stats", "b", "--json"});
  EXPECT_EQ(nlohmann::json::parse(stats.out).at("disabled"), 2);

  // Re-importing the export changes nothing; an export that differs only in
  // one entry's state updates that entry.
  EXPECT_THAT(Run({"bank", "import", "b", dump}).out,
              HasSubstr("0 added, 0 updated, 4 unchanged"));
  std::string enabled = exp.out;
  enabled.replace(enabled.find(",indefinitely\n"), 14, ",\n");
  imp = Run({"bank", "import", "b", dir_.Write("enabled.csv", enabled)});
  EXPECT_THAT(imp.out, HasSubstr("0 added, 1 updated, 3 unchanged"));
  EXPECT_THAT(Run({"match", "--hash", pdq}).out, HasSubstr("\tb\t0\tB\t"));
  // A list that does not say (no disabled_until column) leaves the state.
  imp = Run({"bank", "import", "a", dir_.Write("plain.txt", pdq + "\n"),
             "--signal", "pdq"});
  EXPECT_THAT(imp.out, HasSubstr("0 added, 1 updated"));  // fields cleared
  EXPECT_THAT(Run({"match", "--hash", pdq}).out, Not(HasSubstr("\ta\t")));
}

TEST_F(BankCliTest, ListFormatsAreDetectedAsDocumentedAndNeverGuessed) {
  ASSERT_EQ(Run({"bank", "create", "a"}).exit_code, 0);
  const std::string pdq = PdqOfPicture(746);
  // A hotline's CSV without its header: refused, with the fix, whatever
  // --signal says; nothing is imported.
  const std::string headerless = dir_.Write("h.csv", pdq + ",A,hotline\n");
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{}, {"--signal", "pdq"}}) {
    std::vector<std::string> args = {"bank", "import", "a", headerless};
    args.insert(args.end(), extra.begin(), extra.end());
    ProcessResult r = Run(args);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.err, HasSubstr(headerless +
                                 ":1: 3 comma-separated fields and no header; "
                                 "add a first line naming the columns, e.g. "
                                 "\"hash,category,source\""));
    EXPECT_THAT(r.err, HasSubstr("nothing imported"));
  }
  // Skipping bad lines does not make an unreadable file a success.
  ProcessResult skipped =
      Run({"bank", "import", "a", headerless, "--skip-invalid"});
  EXPECT_EQ(skipped.exit_code, 1);
  EXPECT_THAT(skipped.err, HasSubstr("h.csv: 1 bad lines, nothing imported\n"));
  // 64 hex digits alone: PDQ or SHA-256 is not guessed.
  ProcessResult plain =
      Run({"bank", "import", "a", dir_.Write("p.txt", pdq + "\n")});
  EXPECT_EQ(plain.exit_code, 1);
  EXPECT_THAT(plain.err,
              HasSubstr("p.txt:1: 64 hex digits are PDQ or SHA-256; pass "
                        "--signal pdq or --signal sha256\n"));
  EXPECT_THAT(Run({"bank", "stats", "a"}).out, HasSubstr("entries\t0"));

  // hash,quality, with the header line or without: PDQ, quality a number.
  for (const std::string& header :
       {std::string("hash,quality\n"), std::string()}) {
    ProcessResult r = Run(
        {"bank", "import", "a", dir_.Write("q.csv", header + pdq + ",90\n")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("(threatexchange-pdq): "));
    ProcessResult e = Run({"bank", "export", "a", "--json"});
    ASSERT_THAT(Lines(e.out), SizeIs(1));
    const nlohmann::json entry = nlohmann::json::parse(Lines(e.out)[0]);
    EXPECT_EQ(entry.at("signal_type"), "pdq");
    EXPECT_EQ(nlohmann::json::parse(entry.at("metadata").get<std::string>()),
              nlohmann::json::parse("{\"quality\":90}"));
  }
}

TEST_F(BankCliTest, RemoveReadsTheImportFormatsAndSpeaksOfRemoving) {
  ASSERT_EQ(Run({"bank", "create", "a"}).exit_code, 0);
  // The worked example's list: hash,category,source with PDQ hashes.
  const std::string list =
      dir_.Write("list.csv", "hash,category,source\n" + PdqOfPicture(746) +
                                 ",A,hotline-1\n");
  ASSERT_EQ(Run({"bank", "import", "a", list, "--signal", "pdq"}).exit_code, 0);
  ProcessResult unsure = Run({"bank", "remove", "a", list});
  EXPECT_EQ(unsure.exit_code, 1);
  EXPECT_THAT(unsure.err,
              HasSubstr("list.csv:2: 64 hex digits are PDQ or SHA-256; "
                        "pass --signal pdq or --signal sha256"));
  EXPECT_THAT(
      unsure.err,
      HasSubstr("list.csv: 1 bad lines, nothing removed (--skip-invalid "
                "removes the good ones)\n"));
  EXPECT_THAT(unsure.err, Not(HasSubstr("import")));
  EXPECT_THAT(Run({"bank", "stats", "a"}).out, HasSubstr("entries\t1"));
  ProcessResult rm = Run({"bank", "remove", "a", list, "--signal", "pdq"});
  ASSERT_EQ(rm.exit_code, 0) << rm.err;
  EXPECT_EQ(rm.out, "removed 1 from a; 0 not in the bank\n");
  EXPECT_THAT(Run({"bank", "stats", "a"}).out, HasSubstr("entries\t0"));
}

// Every bank command takes --json and prints one JSON object per line.
TEST_F(BankCliTest, EveryBankCommandHonoursJson) {
  const std::string md5(32, 'a');
  const std::string list =
      dir_.Write("l.csv", "hash,category\n" + md5 + ",A\n" +
                              std::string(32, 'b') + ",B\n");
  auto json = [&](std::vector<std::string> args) {
    args.push_back("--json");
    ProcessResult r = Run(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<nlohmann::json> out;
    for (const std::string& line : Lines(r.out)) {
      out.push_back(nlohmann::json::parse(line, nullptr, false));
      EXPECT_TRUE(out.back().is_object()) << line;
    }
    return out;
  };
  std::vector<nlohmann::json> j = json({"bank", "create", "a"});
  ASSERT_THAT(j, SizeIs(1));
  EXPECT_EQ(j[0].at("name"), "a");
  j = json({"bank", "import", "a", list});
  ASSERT_THAT(j, SizeIs(1));
  EXPECT_EQ(j[0], nlohmann::json::parse(
                      "{\"bank\":\"a\",\"file\":\"" + list +
                      "\",\"format\":\"csv\",\"added\":2,\"updated\":0,"
                      "\"unchanged\":0,\"bad_lines\":0}"));
  j = json({"bank", "list"});
  ASSERT_THAT(j, SizeIs(1));
  EXPECT_EQ(j[0].at("entries"), 2);
  j = json({"bank", "stats", "a"});
  ASSERT_THAT(j, SizeIs(1));
  EXPECT_EQ(j[0].at("entries"), 2);
  j = json({"bank", "disable", "a", md5});
  ASSERT_THAT(j, SizeIs(1));
  EXPECT_EQ(j[0].at("bank"), "a");
  EXPECT_EQ(j[0].at("hash"), md5);
  EXPECT_EQ(j[0].at("signal_type"), "md5");
  EXPECT_EQ(j[0].at("category"), "A");
  EXPECT_EQ(j[0].at("disabled_until"), "indefinitely");
  j = json({"bank", "disable", "a", md5, "--until", "2030-01-01T00:00:00Z"});
  ASSERT_THAT(j, SizeIs(1));
  EXPECT_EQ(j[0].at("disabled_until"), "2030-01-01T00:00:00+00:00");
  j = json({"bank", "export", "a"});
  ASSERT_THAT(j, SizeIs(2));
  EXPECT_EQ(j[0].at("disabled_until"), "2030-01-01T00:00:00+00:00");
  j = json({"bank", "remove", "a",
            dir_.Write("r.txt", md5 + "\n" + std::string(32, 'e') + "\n")});
  ASSERT_THAT(j, SizeIs(1));
  EXPECT_EQ(j[0], nlohmann::json::parse("{\"bank\":\"a\",\"file\":\"" +
                                        dir_.Sub("r.txt") +
                                        "\",\"format\":\"plain\",\"removed\":1,"
                                        "\"not_found\":1,\"bad_lines\":0}"));
  j = json({"bank", "delete", "a"});
  ASSERT_THAT(j, SizeIs(1));
  EXPECT_EQ(j[0], nlohmann::json::parse("{\"bank\":\"a\",\"deleted\":true}"));
}

TEST_F(BankCliTest, BadListsWriteNothingUnlessSkipping) {
  ASSERT_EQ(Run({"bank", "create", "a"}).exit_code, 0);
  const std::string list =
      dir_.Write("list.txt", std::string(32, 'a') + "\nnot-a-hash\n" +
                                 std::string(40, 'b') + "\n");
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
  ASSERT_EQ(Run({"bank", "import", "a",
                 dir_.Write("l.csv", "hash,signal_type\n" + md5 + ",md5\n" +
                                         pdq + ",pdq\n")})
                .exit_code,
            0);
  ASSERT_THAT(Run({"match", "--hash", md5}).out, HasSubstr("\ta\t0\t"));
  ProcessResult dis = Run({"bank", "disable", "a", pdq, "--until", "48h"});
  ASSERT_EQ(dis.exit_code, 0) << dis.err;
  EXPECT_THAT(dis.out,
              ::testing::StartsWith("disabled pdq " + pdq + " in a until "));
  // With no end: "indefinitely", not "until never".
  dis = Run({"bank", "disable", "a", pdq});
  ASSERT_EQ(dis.exit_code, 0) << dis.err;
  EXPECT_EQ(dis.out, "disabled pdq " + pdq + " in a indefinitely\n");
  EXPECT_EQ(Run({"match", "--hash", pdq}).out, "");
  ProcessResult rm =
      Run({"bank", "remove", "a",
           dir_.Write("r.txt", md5 + "\n" + std::string(32, 'e') + "\n")});
  ASSERT_EQ(rm.exit_code, 0) << rm.err;
  EXPECT_THAT(rm.out, HasSubstr("removed 1 from a; 1 not in the bank"));
  EXPECT_EQ(Run({"match", "--hash", md5}).out, "");
  EXPECT_EQ(Run({"bank", "disable", "a", std::string(32, 'f')}).exit_code, 1);
}

// `bank add-images`: each good file banked with its signature, each bad
// one named on stderr with nothing of it written, exit 1; adding again
// changes nothing; `hashwatch match` then finds a cropped, captioned copy by
// its local features, and nothing for another picture under the caption.
TEST_F(BankCliTest, AddImagesBanksGoodFilesAndNamesTheBadOnes) {
  ASSERT_EQ(Run({"bank", "create", "own"}).exit_code, 0);
  const std::string picture =
      testing::ReadFileOrDie(testing::DemoPicture("b011.jpg"));
  const std::string good = dir_.Write("good.jpg", picture);
  const std::string text = dir_.Write("notes.txt", "not a picture\n");
  const std::string tiny =
      dir_.Write("tiny.png", testing::MakePattern(32, 32, 3, ".png"));
  const std::string missing = dir_.Sub("missing.jpg");

  const std::string flat =
      dir_.Write("flat.png", testing::MakeFlat(300, 200, 128, ".png"));

  ProcessResult r = Run({"bank", "add-images", "own", good, text, tiny, missing,
                         flat, "--category", "A", "--source", "case-7"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr("added " + good + " to own"));
  // A picture with no detail is banked by its hashes alone, and says so.
  EXPECT_THAT(r.out, HasSubstr("added " + flat + " to own"));
  EXPECT_THAT(r.out, HasSubstr("no signature: "));
  EXPECT_THAT(r.out, HasSubstr("2 pictures added, 0 already held, 3 failed"));
  const std::vector<std::string> errors = Lines(r.err);
  ASSERT_THAT(errors, SizeIs(3)) << r.err;
  EXPECT_THAT(errors[0], HasSubstr(text));
  EXPECT_THAT(errors[1], HasSubstr(tiny));
  EXPECT_THAT(errors[1], HasSubstr("64"));
  EXPECT_THAT(errors[2], HasSubstr(missing));
  for (const std::string& e : errors)
    EXPECT_THAT(e, HasSubstr("nothing of it was added"));

  ProcessResult stats = Run({"bank", "stats", "own", "--json"});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  nlohmann::json j = nlohmann::json::parse(stats.out);
  EXPECT_EQ(j["entries"], 8) << stats.out;  // pdq, md5, sha1, sha256 each
  EXPECT_EQ(j["own_signatures"], 1) << stats.out;

  ProcessResult again = Run({"bank", "add-images", "own", good, "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  nlohmann::json a = nlohmann::json::parse(again.out);
  EXPECT_EQ(a["added"], false);
  EXPECT_EQ(a["signature"], true);
  EXPECT_EQ(a["sha256"].get<std::string>().size(), 64u);
  ProcessResult flat_again = Run({"bank", "add-images", "own", flat});
  ASSERT_EQ(flat_again.exit_code, 0) << flat_again.err;
  EXPECT_THAT(flat_again.out, HasSubstr("already in own"));
  stats = Run({"bank", "stats", "own", "--json"});
  EXPECT_EQ(nlohmann::json::parse(stats.out)["entries"], 8);

  const std::string copy = dir_.Write(
      "copy.jpg", testing::TransformImage(picture, "crop_caption_jpeg"));
  const std::string other = dir_.Write(
      "other.jpg", testing::TransformImage(
                       testing::ReadFileOrDie(testing::DemoPicture("b020.jpg")),
                       "crop_caption_jpeg"));
  ProcessResult m = Run({"match", copy, other, "--json"});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  const std::vector<std::string> found = Lines(m.out);
  ASSERT_THAT(found, SizeIs(2)) << m.out;
  nlohmann::json c = nlohmann::json::parse(found[0]);
  ASSERT_FALSE(c["matches"].empty()) << found[0];
  EXPECT_THAT(c["matches"][0]["path"].get<std::string>(),
              HasSubstr("local features"));
  EXPECT_TRUE(nlohmann::json::parse(found[1])["matches"].empty()) << found[1];
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
  EXPECT_EQ(Run({"bank", "create", "b", "--review-distance", "99"}).exit_code,
            2);
  EXPECT_EQ(Run({"bank", "import", "a", "/nonexistent/list.txt"}).exit_code, 1);
  EXPECT_EQ(
      Run({"bank", "import", "a", dir_.Write("x", ""), "--signal", "phash"})
          .exit_code,
      2);
  EXPECT_EQ(Run({"bank"}).exit_code, 2);
  EXPECT_EQ(Run({"match"}).exit_code, 2);
  EXPECT_EQ(Run({"match", "--radius", "65", "--hash", std::string(64, 'a')})
                .exit_code,
            2);
  ProcessResult bad_hex = Run({"match", "--hash", "abc"});
  EXPECT_EQ(bad_hex.exit_code, 1);
  EXPECT_THAT(bad_hex.err, HasSubstr("3 characters"));
  ProcessResult bad_file = Run(
      {"match", dir_.Write("t.txt", "text"), "--hash", std::string(32, 'a')});
  EXPECT_EQ(bad_file.exit_code, 1);
  EXPECT_THAT(bad_file.err, HasSubstr("t.txt"));
  EXPECT_EQ(Run({"match", "--hash", std::string(64, 'a')}).exit_code,
            0);  // no match is fine
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

// Stored text need not be UTF-8 (a category typed on a command line, a
// list's source): --json replaces what is not, and never throws on it.
TEST_F(BankCliTest, JsonOfTextThatIsNotUtf8IsPrintedNotThrownOn) {
  ProcessResult created = Run(
      {"bank", "create", "latin1", "--default-category", "caf\xe9", "--json"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const nlohmann::json bank = nlohmann::json::parse(created.out);
  EXPECT_EQ(bank["default_category"], "caf\xef\xbf\xbd");  // U+FFFD
  ProcessResult listed = Run({"bank", "list", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr("caf\xef\xbf\xbd"));
}

}  // namespace
}  // namespace hashwatch
