// `hashwatch hash` run as a process: output format, exit codes, stderr lines.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "matcher/hashes.h"
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
using ::testing::HasSubstr;
using ::testing::SizeIs;

ProcessResult Hashwatch(std::vector<std::string> args,
                        const std::string& input = "") {
  args.insert(args.begin(), BinaryPath("hashwatch"));
  return RunProcess(args, input);
}

using ::hashwatch::testing::TempDir;

TEST(HashCliTest, PrintsOneTabSeparatedLinePerFileMatchingTheLibrary) {
  const std::vector<std::string> files = {PdqTestImage("q0746.jpg"),
                                          PdqTestImage("c.png"),
                                          PdqTestImage("wee.jpg")};
  ProcessResult r = Hashwatch({"hash", files[0], files[1], files[2]});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const std::vector<std::string> lines = Lines(r.out);
  ASSERT_THAT(lines, SizeIs(3));
  for (size_t i = 0; i < files.size(); ++i) {
    const std::vector<std::string> f = absl::StrSplit(lines[i], '\t');
    ASSERT_THAT(f, SizeIs(6));
    absl::StatusOr<matcher::ImageHashes> want =
        matcher::HashImage(testing::ReadFileOrDie(files[i]), {});
    ASSERT_TRUE(want.ok());
    EXPECT_EQ(f[0], want->pdq.hash.ToHex());
    EXPECT_EQ(f[1], std::to_string(want->pdq.quality));
    EXPECT_EQ(f[2], want->md5);
    EXPECT_EQ(f[3], want->sha1);
    EXPECT_EQ(f[4], want->sha256);
    EXPECT_EQ(f[5], files[i]);
  }
}

// README.md's `hashwatch hash` example is the default (fast) output. For
// this 1004x1600 JPEG that is also the --compat hash: fast mode shrinks
// only JPEGs it can decode at half size or less.
TEST(HashCliTest, ReadmeExampleIsWhatTheBinaryPrints) {
  const std::string image = PdqTestImage("dih-bridge-1-original.jpg");
  const std::string readme =
      testing::ReadFileOrDie(testing::SourceDir() + "/README.md");
  const std::string command =
      "$ build/bin/hashwatch hash "
      "testdata/pdq/images/dih-bridge-1-original.jpg\n";
  const size_t at = readme.find(command);
  ASSERT_NE(at, std::string::npos) << "README.md lost the example";
  const size_t start = at + command.size();
  const std::vector<std::string> shown = absl::StrSplit(
      readme.substr(start, readme.find('\n', start) - start), '\t');
  ProcessResult r = Hashwatch({"hash", image});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> printed =
      absl::StrSplit(Lines(r.out).at(0), '\t');
  ASSERT_THAT(shown, SizeIs(6));
  ASSERT_THAT(printed, SizeIs(6));
  for (int i = 0; i < 5; ++i) {  // pdq quality md5 sha1 sha256 (not the path)
    EXPECT_EQ(shown[i], printed[i]) << "field " << i;
  }
}

TEST(HashCliTest, CompatAndDihedralAddTheEightVariants) {
  ProcessResult r = Hashwatch({"hash", "--compat", "--dihedral",
                               PdqTestImage("dih-bridge-1-original.jpg")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> f = absl::StrSplit(Lines(r.out).at(0), '\t');
  ASSERT_THAT(f, SizeIs(14));
  // The reference's eight variants, in the same order (docs/pdq.md's table).
  const std::string csv = testing::ReadFileOrDie(testing::TestDataDir() +
                                                 "/pdq/reference_dihedral.csv");
  std::vector<std::string> want;
  for (const std::string& line : Lines(csv)) {
    if (line.rfind("dih-bridge-1-original.jpg,", 0) == 0) {
      want = absl::StrSplit(line, ',');
    }
  }
  ASSERT_THAT(want, SizeIs(10));
  EXPECT_EQ(f[0], want[1]);
  for (int v = 0; v < 8; ++v) EXPECT_EQ(f[5 + v], want[1 + v]) << v;
  EXPECT_EQ(f[13], PdqTestImage("dih-bridge-1-original.jpg"));
}

TEST(HashCliTest, JsonPrintsOneObjectPerLine) {
  ProcessResult r =
      Hashwatch({"hash", "--json", "--dihedral", PdqTestImage("q0746.jpg"),
                 PdqTestImage("c.png")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = Lines(r.out);
  ASSERT_THAT(lines, SizeIs(2));
  const nlohmann::json j = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(j.at("path"), PdqTestImage("c.png"));
  EXPECT_EQ(j.at("pdq").get<std::string>().size(), 64u);
  EXPECT_EQ(j.at("quality"), 100);
  EXPECT_EQ(j.at("md5").get<std::string>().size(), 32u);
  EXPECT_EQ(j.at("dihedral").at("original"), j.at("pdq"));
  EXPECT_EQ(j.at("dihedral").size(), 8u);
}

TEST(HashCliTest, ReadsStandardInput) {
  const std::string bytes = testing::ReadFileOrDie(PdqTestImage("q0746.jpg"));
  ProcessResult from_stdin = Hashwatch({"hash", "-"}, bytes);
  ProcessResult from_file = Hashwatch({"hash", PdqTestImage("q0746.jpg")});
  ASSERT_EQ(from_stdin.exit_code, 0) << from_stdin.err;
  const std::vector<std::string> a = absl::StrSplit(from_stdin.out, '\t');
  const std::vector<std::string> b = absl::StrSplit(from_file.out, '\t');
  EXPECT_EQ(a[0], b[0]);
  EXPECT_EQ(a[4], b[4]);
  EXPECT_EQ(a[5], "-\n");
}

TEST(HashCliTest, FailedFilesExitOneWithOneStderrLineEachAndOthersStillHash) {
  TempDir dir;
  const std::string text = dir.Write("notes.txt", "not an image\n");
  const std::string empty = dir.Write("empty.jpg", "");
  const std::string missing = "/nonexistent/hashwatch/none.jpg";
  ProcessResult r =
      Hashwatch({"hash", "--threads", "2", text, PdqTestImage("q0746.jpg"),
                 missing, empty, PdqTestImage("c.png")});
  EXPECT_EQ(r.exit_code, 1);
  const std::vector<std::string> out = Lines(r.out);
  ASSERT_THAT(out, SizeIs(2));
  EXPECT_THAT(out[0], HasSubstr("q0746.jpg"));  // input order kept
  EXPECT_THAT(out[1], HasSubstr("c.png"));
  const std::vector<std::string> err = Lines(r.err);
  ASSERT_THAT(err, SizeIs(3));
  EXPECT_THAT(err[0], HasSubstr(text));
  EXPECT_THAT(err[0], HasSubstr("not an image"));
  EXPECT_THAT(err[1], HasSubstr(missing));
  EXPECT_THAT(err[1], HasSubstr("No such file"));
  EXPECT_THAT(err[2], HasSubstr(empty));
  EXPECT_THAT(err[2], HasSubstr("empty"));
}

TEST(HashCliTest, OverThePixelLimitFails) {
  ProcessResult r =
      Hashwatch({"hash", "--max-pixels", "1000", PdqTestImage("q0746.jpg")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("over the limit of 1000 pixels"));
}

TEST(HashCliTest, ThreadsKeepInputOrder) {
  std::vector<std::string> args = {"hash", "--threads", "2"};
  std::vector<std::string> files;
  for (const char* name : {"q0003.jpg", "q0004.jpg", "q0122.jpg", "q0291.jpg",
                           "q0746.jpg", "q1050.jpg", "q2821.jpg", "c.png"}) {
    files.push_back(PdqTestImage(name));
    args.push_back(files.back());
  }
  ProcessResult two = Hashwatch(args);
  args[2] = "1";
  ProcessResult one = Hashwatch(args);
  ASSERT_EQ(two.exit_code, 0);
  EXPECT_EQ(two.out, one.out);
  const std::vector<std::string> lines = Lines(two.out);
  ASSERT_THAT(lines, SizeIs(files.size()));
  for (size_t i = 0; i < files.size(); ++i)
    EXPECT_THAT(lines[i], HasSubstr(files[i]));
}

TEST(HashCliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Hashwatch({}).exit_code, 2);
  EXPECT_EQ(Hashwatch({"hash"}).exit_code, 2);
  ProcessResult bad_flag =
      Hashwatch({"hash", "--no-such-flag", PdqTestImage("c.png")});
  EXPECT_EQ(bad_flag.exit_code, 2);
  EXPECT_THAT(Lines(bad_flag.err), SizeIs(1));
  EXPECT_EQ(
      Hashwatch({"hash", "--threads", "-3", PdqTestImage("c.png")}).exit_code,
      2);
  EXPECT_EQ(Hashwatch({"frobnicate"}).exit_code, 2);
}

TEST(HashCliTest, HelpExitsZero) {
  ProcessResult r = Hashwatch({"hash", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("--compat"));
}

}  // namespace
}  // namespace hashwatch
