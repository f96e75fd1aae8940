// The client commands end to end: `hashwatch serve` runs as a child process
// on a temporary database (plaintext, 127.0.0.1:0), tokens come from
// `hashwatch token create`, and every step goes through the `hashwatch`
// binary: banks, scans, the review queue and reports. The bank commands
// must print through --server exactly what they print on the database.
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "matcher/hashes.h"
#include "nlohmann/json.hpp"
#include "tests/bench/pictures.h"
#include "tests/cli/server_process.h"
#include "tests/testing/paths.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch {
namespace {

using ::hashwatch::testing::BinaryPath;
using ::hashwatch::testing::Lines;
using ::hashwatch::testing::ProcessResult;
using ::hashwatch::testing::RunProcess;
using ::hashwatch::testing::ServerProcess;
using ::hashwatch::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;

// One of the benign demo pictures in testdata/pictures.
std::string Corpus(const std::string& name) {
  return testing::DemoPicture(name);
}

class ClientServerE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_.Sub("db");
    std::filesystem::create_directories(db_);
    admin_ = Token("root", "admin");
    pipeline_ = Token("uploads", "pipeline");
    moderator_ = Token("mod1", "moderator");
    lead_ = Token("lead1", "lead");
  }
  void TearDown() override { unsetenv("HASHWATCH_TOKEN"); }

  std::string Token(const std::string& name, const std::string& role) {
    ProcessResult r = RunProcess({BinaryPath("hashwatch"), "token", "create",
                                  name, "--role", role, "--db", db_});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return std::string(absl::StripAsciiWhitespace(r.out));
  }

  // Runs a client command as `token` against the server.
  ProcessResult As(const std::string& token, std::vector<std::string> args) {
    setenv("HASHWATCH_TOKEN", token.c_str(), 1);
    args.insert(args.begin(), BinaryPath("hashwatch"));
    args.insert(args.end(), {"--plaintext", "--server", server_->address()});
    return RunProcess(args);
  }
  ProcessResult Direct(std::vector<std::string> args) {
    args.insert(args.begin(), BinaryPath("hashwatch"));
    args.insert(args.end(), {"--db", db_});
    return RunProcess(args);
  }

  // The PDQ hash `hashwatch hash` computes (the server's default decoding).
  std::string PdqOf(const std::string& path) {
    ProcessResult r = RunProcess({BinaryPath("hashwatch"), "hash", path});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return std::vector<std::string>(absl::StrSplit(r.out, '\t')).at(0);
  }

  TempDir dir_;
  std::string db_;
  std::string admin_, pipeline_, moderator_, lead_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ClientServerE2eTest, BanksScansReviewAndReportsThroughTheServer) {
  server_ = std::make_unique<ServerProcess>(db_);
  ASSERT_FALSE(server_->address().empty()) << server_->Stop() << "\n"
                                           << server_->Log();

  // Banks: "hotline" auto-reports b011; "watch" sends b012 to review.
  const std::string known = Corpus("b011.jpg"), watched = Corpus("b012.jpg"),
                    unknown = Corpus("b001.jpg");
  ProcessResult created =
      As(admin_, {"bank", "create", "hotline", "--auto-report-distance", "8"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_EQ(created.out, "created bank hotline (match)\n");
  ASSERT_EQ(
      As(admin_, {"bank", "create", "watch", "--no-auto-report"}).exit_code, 0);
  const std::string hotline_list = dir_.Write(
      "hotline.csv",
      "hash,signal_type,category,source\n" + PdqOf(known) + ",pdq,A,list-1\n" +
          matcher::Sha256Hex(std::string(3, 'x')) + ",sha256,B,list-1\n");
  ProcessResult imported =
      As(admin_, {"bank", "import", "hotline", hotline_list});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_EQ(imported.out,
            "imported " + hotline_list +
                " into hotline (csv): 2 added, 0 updated, 0 unchanged, 0 bad "
                "lines skipped\n");
  const std::string watch_list = dir_.Write("watch.txt", PdqOf(watched) + "\n");
  ASSERT_EQ(
      As(admin_, {"bank", "import", "watch", watch_list, "--signal", "pdq"})
          .exit_code,
      0);

  // The database is the server's now.
  ProcessResult locked = Direct({"bank", "list"});
  EXPECT_EQ(locked.exit_code, 1);
  EXPECT_EQ(locked.err,
            "hashwatch: the database " + db_ +
                " is in use by another hashwatch process; if it is a running "
                "server, pass --server HOST:PORT\n");

  // Scans: one stream, one answer per file in order.
  ProcessResult scan =
      As(pipeline_, {"scan", "--json", known, unknown, watched, "--uploader",
                     "acct-1", "--ip", "192.0.2.7"});
  ASSERT_EQ(scan.exit_code, 0) << scan.err;
  const std::vector<std::string> lines = Lines(scan.out);
  ASSERT_THAT(lines, SizeIs(3));
  const nlohmann::json hit = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(hit.at("file"), known);
  EXPECT_EQ(hit.at("content_id"),
            matcher::Sha256Hex(testing::ReadFileOrDie(known)));
  EXPECT_EQ(hit.at("verdict"), "AUTO_REPORTED");
  EXPECT_THAT(hit.at("report_id").get<std::string>(), StartsWith("r-"));
  ASSERT_GE(hit.at("matches").size(), 1u);
  EXPECT_EQ(hit.at("matches")[0].at("bank"), "hotline");
  EXPECT_EQ(hit.at("matches")[0].at("distance"), 0);
  EXPECT_EQ(hit.at("matches")[0].at("category"), "A");
  EXPECT_EQ(hit.at("matches")[0].at("signal"), "pdq");
  EXPECT_EQ(hit.at("replayed"), false);
  const nlohmann::json miss = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(miss.at("verdict"), "NO_MATCH");
  EXPECT_THAT(miss.at("matches"), IsEmpty());
  const nlohmann::json queued = nlohmann::json::parse(lines[2]);
  EXPECT_EQ(queued.at("verdict"), "QUEUED_FOR_REVIEW");
  EXPECT_EQ(queued.at("matches")[0].at("bank"), "watch");
  const uint64_t item_id = queued.at("item_id").get<uint64_t>();
  EXPECT_GT(item_id, 0u);

  // A repeated scan replays the first answer; text output.
  ProcessResult again = As(pipeline_, {"scan", known, unknown});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(Lines(again.out),
              ElementsAre(known + "\tAUTO_REPORTED\thotline\t0\treport " +
                              hit.at("report_id").get<std::string>(),
                          unknown + "\tNO_MATCH\t-\t-\t-"));
  // Scanning needs the pipeline role.
  ProcessResult denied = As(moderator_, {"scan", unknown});
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_THAT(denied.err, StartsWith("hashwatch: scan: PERMISSION_DENIED: "));

  // Review: lease, preview, decide.
  const std::string preview = dir_.Sub("preview.jpg");
  ProcessResult next = As(moderator_, {"review", "next", "--preview", preview});
  ASSERT_EQ(next.exit_code, 0) << next.err;
  const nlohmann::json leased = nlohmann::json::parse(next.out);
  EXPECT_EQ(leased.at("item_id"), item_id);
  EXPECT_EQ(leased.at("content_id"),
            matcher::Sha256Hex(testing::ReadFileOrDie(watched)));
  EXPECT_EQ(leased.at("kind"), "hash_match");
  EXPECT_EQ(leased.at("lane"), "proactive");
  EXPECT_EQ(leased.at("matches")[0].at("bank"), "watch");
  EXPECT_FALSE(leased.at("expires").get<std::string>().empty());
  ASSERT_EQ(leased.at("preview"), preview);
  EXPECT_THAT(testing::ReadFileOrDie(preview),
              StartsWith("\xff\xd8"));  // a JPEG

  ProcessResult empty = As(moderator_, {"review", "next"});
  EXPECT_EQ(empty.exit_code, 0);
  EXPECT_THAT(empty.out, IsEmpty());
  EXPECT_EQ(empty.err, "no items waiting\n");

  ProcessResult decided =
      As(moderator_, {"review", "decide", std::to_string(item_id),
                      std::to_string(leased.at("lease_id").get<uint64_t>()),
                      "confirm", "--category", "B", "--note", "checked"});
  ASSERT_EQ(decided.exit_code, 0) << decided.err;
  const nlohmann::json decision = nlohmann::json::parse(decided.out);
  EXPECT_EQ(decision.at("decision"), "confirm");
  EXPECT_EQ(decision.at("category"), "B");
  EXPECT_EQ(decision.at("moderator"), "mod1");
  EXPECT_THAT(decision.at("report_id").get<std::string>(), StartsWith("r-"));

  ProcessResult stats = As(lead_, {"review", "stats"});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_EQ(nlohmann::json::parse(stats.out).at("waiting"), 0);
  EXPECT_EQ(nlohmann::json::parse(stats.out).at("decided"), 1);

  // Reports: the automatic one and the confirmed one.
  ProcessResult list = As(lead_, {"report", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  const std::vector<std::string> rows = Lines(list.out);
  ASSERT_THAT(rows, SizeIs(3));
  EXPECT_EQ(rows[0],
            "id\tcreated\tstate\torigin\tcategory\tcontent_id\tbank\tdistance");
  EXPECT_THAT(rows[1],
              StartsWith(hit.at("report_id").get<std::string>() + "\t"));
  EXPECT_THAT(rows[1], HasSubstr("\tpending\tautomatic\tA\t" +
                                 hit.at("content_id").get<std::string>() +
                                 "\thotline\t0"));
  EXPECT_THAT(rows[2],
              StartsWith(decision.at("report_id").get<std::string>() + "\t"));
  EXPECT_THAT(rows[2], HasSubstr("\tpending\tmoderator_confirm\tB\t"));
  ProcessResult only_hotline =
      As(lead_, {"report", "list", "--bank", "hotline"});
  EXPECT_THAT(Lines(only_hotline.out), SizeIs(2));
  ProcessResult exported = As(lead_, {"report", "export"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  ASSERT_THAT(Lines(exported.out), SizeIs(2));
  for (const std::string& line : Lines(exported.out)) {
    EXPECT_TRUE(nlohmann::json::accept(line)) << line;
  }
  EXPECT_THAT(exported.out, HasSubstr(hit.at("report_id").get<std::string>()));
  ProcessResult not_lead = As(moderator_, {"report", "list"});
  EXPECT_EQ(not_lead.exit_code, 1);
  EXPECT_THAT(not_lead.err,
              StartsWith("hashwatch: report list: PERMISSION_DENIED: "));

  // Bank changes through the server, then the same reads both ways.
  ProcessResult disabled =
      As(admin_, {"bank", "disable", "hotline", PdqOf(known), "--until",
                  "2030-01-01T00:00:00Z"});
  ASSERT_EQ(disabled.exit_code, 0) << disabled.err;
  EXPECT_EQ(disabled.out, "disabled pdq " + PdqOf(known) +
                              " in hotline until 2030-01-01T00:00:00+00:00\n");
  ProcessResult removed =
      As(admin_, {"bank", "remove", "watch", watch_list, "--signal", "pdq"});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_EQ(removed.out, "removed 1 from watch; 0 not in the bank\n");
  ProcessResult missing = As(admin_, {"bank", "stats", "nope"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err,
              StartsWith("hashwatch: bank stats nope: NOT_FOUND: "));

  const std::vector<std::vector<std::string>> reads = {
      {"bank", "list"},
      {"bank", "list", "--json"},
      {"bank", "stats", "hotline"},
      {"bank", "stats", "hotline", "--json"},
      {"bank", "export", "hotline"},
      {"bank", "export", "hotline", "--json"},
      {"bank", "export", "watch"}};
  std::vector<ProcessResult> remote;
  for (const std::vector<std::string>& args : reads) {
    remote.push_back(As(admin_, args));
    EXPECT_EQ(remote.back().exit_code, 0)
        << args[1] << ": " << remote.back().err;
  }
  EXPECT_THAT(
      remote[1].out,
      HasSubstr("\"name\":\"internal-confirmed\""));  // banked by confirm

  ASSERT_EQ(server_->Stop(), 0) << server_->Log();
  EXPECT_THAT(server_->Log(), HasSubstr("serving on"));
  for (size_t i = 0; i < reads.size(); ++i) {
    ProcessResult direct = Direct(reads[i]);
    EXPECT_EQ(direct.exit_code, 0) << direct.err;
    EXPECT_EQ(remote[i].out, direct.out) << absl::StrJoin(reads[i], " ");
  }
}

// The bank writes print the same JSON through the server as directly, an
// export's state survives an import through the server, and `bank remove`
// reads the worked example's list with --signal and speaks of removing.
TEST_F(ClientServerE2eTest,
       BankWritesPrintTheSameJsonAndCarryTheStateThroughTheServer) {
  const std::string picture =
      dir_.Write("picture.jpg", testing::MakePicture(11, 640, 480));
  const std::string pdq = PdqOf(picture);
  const std::string list =
      dir_.Write("list.csv", "hash,category,source\n" + pdq + ",A,hotline-1\n");
  // Each write with --json; what differs between two runs (ids, times) is
  // dropped.
  auto writes =
      [&](const std::function<ProcessResult(std::vector<std::string>)>& run) {
        const std::vector<std::vector<std::string>> commands = {
            {"bank", "create", "demo", "--json"},
            {"bank", "import", "demo", list, "--signal", "pdq", "--json"},
            {"bank", "disable", "demo", pdq, "--json"},
            {"bank", "disable", "demo", pdq, "--until", "2030-01-01T00:00:00Z",
             "--json"},
            {"bank", "remove", "demo", list, "--signal", "pdq", "--json"},
            {"bank", "delete", "demo", "--json"}};
        std::vector<nlohmann::json> out;
        for (const std::vector<std::string>& args : commands) {
          ProcessResult r = run(args);
          EXPECT_EQ(r.exit_code, 0)
              << absl::StrJoin(args, " ") << ": " << r.err;
          EXPECT_THAT(Lines(r.out), SizeIs(1)) << absl::StrJoin(args, " ");
          nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
          for (const char* key : {"id", "created", "last_change"}) j.erase(key);
          if (j.contains("added") && j.at("added").is_string())
            j.erase("added");  // a time
          out.push_back(std::move(j));
        }
        return out;
      };

  server_ = std::make_unique<ServerProcess>(db_);
  ASSERT_FALSE(server_->address().empty()) << server_->Stop() << "\n"
                                           << server_->Log();
  auto remote = [&](std::vector<std::string> args) {
    return As(admin_, std::move(args));
  };
  const std::vector<nlohmann::json> through_server = writes(remote);
  ASSERT_THAT(through_server, SizeIs(6));
  EXPECT_EQ(through_server[1].at("added"), 1);
  EXPECT_EQ(through_server[2].at("disabled_until"), "indefinitely");
  EXPECT_EQ(through_server[3].at("disabled_until"),
            "2030-01-01T00:00:00+00:00");
  EXPECT_EQ(through_server[4].at("removed"), 1);
  EXPECT_EQ(through_server[5].at("deleted"), true);

  // Without --signal the 64-digit hashes are refused, in words of removing.
  ASSERT_EQ(remote({"bank", "create", "src"}).exit_code, 0);
  ASSERT_EQ(
      remote({"bank", "import", "src", list, "--signal", "pdq"}).exit_code, 0);
  ProcessResult unsure = remote({"bank", "remove", "src", list});
  EXPECT_EQ(unsure.exit_code, 1);
  EXPECT_THAT(unsure.err, HasSubstr("--signal pdq or --signal sha256"));
  EXPECT_THAT(unsure.err, HasSubstr("nothing removed"));

  // A retracted false positive, exported and imported through the server,
  // stays retracted.
  ASSERT_EQ(remote({"bank", "disable", "src", pdq}).exit_code, 0);
  ProcessResult exported = remote({"bank", "export", "src"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_THAT(exported.out,
              HasSubstr(pdq + ",pdq,A,hotline-1,,,indefinitely\n"));
  ASSERT_EQ(remote({"bank", "create", "copy"}).exit_code, 0);
  ProcessResult imported =
      remote({"bank", "import", "copy", dir_.Write("src.csv", exported.out)});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_EQ(remote({"bank", "export", "copy"}).out, exported.out);
  ProcessResult scan = As(pipeline_, {"scan", picture});
  ASSERT_EQ(scan.exit_code, 0) << scan.err;
  EXPECT_THAT(scan.out, HasSubstr("\tNO_MATCH\t"));
  ASSERT_EQ(server_->Stop(), 0) << server_->Log();

  const std::vector<nlohmann::json> direct = writes(
      [&](std::vector<std::string> args) { return Direct(std::move(args)); });
  EXPECT_EQ(through_server, direct);
  EXPECT_EQ(Direct({"bank", "export", "copy"}).out, exported.out);
}

TEST_F(ClientServerE2eTest, BadListsAndDeletesThroughTheServer) {
  server_ = std::make_unique<ServerProcess>(db_);
  ASSERT_FALSE(server_->address().empty()) << server_->Stop() << "\n"
                                           << server_->Log();
  ASSERT_EQ(As(admin_, {"bank", "create", "iwf"}).exit_code, 0);
  ProcessResult dup = As(admin_, {"bank", "create", "iwf"});
  EXPECT_EQ(dup.exit_code, 1);
  EXPECT_THAT(dup.err,
              StartsWith("hashwatch: bank create iwf: ALREADY_EXISTS: "));

  // Bad lines are reported as the direct path does, and nothing is sent.
  const std::string list =
      dir_.Write("mixed.txt", std::string(32, 'a') + "\nnot-a-hash\n" +
                                  std::string(32, 'b') + "\n");
  ProcessResult bad = As(admin_, {"bank", "import", "iwf", list});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(Lines(bad.err), SizeIs(2));
  EXPECT_THAT(bad.err, HasSubstr(list + ":2: "));
  ProcessResult skipped =
      As(admin_, {"bank", "import", "iwf", list, "--skip-invalid"});
  ASSERT_EQ(skipped.exit_code, 0) << skipped.err;
  EXPECT_EQ(
      skipped.out,
      "imported " + list +
          " into iwf (plain): 2 added, 0 updated, 0 unchanged, 1 bad lines "
          "skipped\n");

  ProcessResult deleted = As(admin_, {"bank", "delete", "iwf"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_EQ(deleted.out, "deleted bank iwf\n");
  ProcessResult listed = As(admin_, {"bank", "list"});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, StartsWith("name\tkind\tentries\t"));
  EXPECT_THAT(listed.out, Not(HasSubstr("\niwf\t")));
  // An item the server cannot decode fails alone; the stream goes on.
  const std::string text = dir_.Write("notes.jpg", "not an image");
  ProcessResult scan =
      As(pipeline_, {"scan", "--json", text, Corpus("b001.jpg")});
  EXPECT_EQ(scan.exit_code, 1);
  EXPECT_THAT(scan.err,
              StartsWith("hashwatch: scan " + text + ": INVALID_ARGUMENT: "));
  EXPECT_THAT(Lines(scan.err), SizeIs(1));
  const std::vector<std::string> lines = Lines(scan.out);
  ASSERT_THAT(lines, SizeIs(2));
  EXPECT_EQ(nlohmann::json::parse(lines[0]).at("error").at("code"),
            "INVALID_ARGUMENT");
  EXPECT_EQ(nlohmann::json::parse(lines[1]).at("verdict"), "NO_MATCH");

  // A pipeline token may not touch banks.
  ProcessResult denied = As(pipeline_, {"bank", "list"});
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_THAT(denied.err,
              StartsWith("hashwatch: bank list: PERMISSION_DENIED: "));
  EXPECT_EQ(server_->Stop(), 0) << server_->Log();
}

}  // namespace
}  // namespace hashwatch
