// `hashwatch match`: copies framed by a border match the listed picture
// through the recovered picture, as a scan would, and say so;
// `--max-regions 0` matches the whole picture only.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/images.h"
#include "tests/testing/paths.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch {
namespace {

using ::hashwatch::testing::BinaryPath;
using ::hashwatch::testing::ProcessResult;
using ::hashwatch::testing::RunProcess;
using ::hashwatch::testing::TempDir;
using ::testing::HasSubstr;

class MatchCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    original_ =
        dir_.Write("original.jpg",
                   testing::ReadFileOrDie(testing::DemoPicture("b011.jpg")));
    bordered_ = dir_.Write(
        "bordered.jpg", testing::TransformImage(
                            testing::ReadFileOrDie(original_), "border_jpeg"));
    ProcessResult h = RunProcess({BinaryPath("hashwatch"), "hash", original_});
    ASSERT_EQ(h.exit_code, 0) << h.err;
    const std::string pdq =
        std::vector<std::string>(absl::StrSplit(h.out, '\t')).at(0);
    ASSERT_EQ(Run({"bank", "create", "listed"}).exit_code, 0);
    ProcessResult imported =
        Run({"bank", "import", "listed", "-", "--signal", "pdq"}, pdq + "\n");
    ASSERT_EQ(imported.exit_code, 0) << imported.err;
  }

  ProcessResult Run(std::vector<std::string> args,
                    const std::string& input = "") {
    args.insert(args.begin(), BinaryPath("hashwatch"));
    args.push_back("--db");
    args.push_back(dir_.Sub("db"));
    return RunProcess(args, input);
  }

  TempDir dir_;
  std::string original_, bordered_;
};

TEST_F(MatchCliTest, BorderedCopyMatchesOnlyThroughTheRecoveredPicture) {
  ProcessResult plain =
      Run({"match", "--max-regions", "0", "--json", bordered_});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_TRUE(nlohmann::json::parse(plain.out)["matches"].empty()) << plain.out;

  ProcessResult recovered = Run({"match", "--json", bordered_});
  ASSERT_EQ(recovered.exit_code, 0) << recovered.err;
  const nlohmann::json j = nlohmann::json::parse(recovered.out);
  ASSERT_EQ(j["matches"].size(), 1u) << recovered.out;
  EXPECT_EQ(j["matches"][0]["bank"], "listed");
  EXPECT_EQ(j["matches"][0]["path"], "unbordered");
  EXPECT_LE(j["matches"][0]["distance"].get<int>(), 16);

  // The text form ends each line with the path.
  ProcessResult text = Run({"match", bordered_});
  EXPECT_THAT(text.out, HasSubstr("\tunbordered\n"));
}

TEST_F(MatchCliTest, WholePictureStillMatchesAsWhole) {
  ProcessResult r = Run({"match", "--json", original_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["matches"].size(), 1u) << r.out;
  EXPECT_EQ(j["matches"][0]["path"], "whole");
  EXPECT_EQ(j["matches"][0]["distance"], 0);
}

TEST_F(MatchCliTest, UnreadableFileIsOneLineOnStderr) {
  ProcessResult r = Run({"match", dir_.Sub("missing.jpg")});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("missing.jpg"));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
}

TEST_F(MatchCliTest, BadRegionCountIsOneLineOnStderr) {
  ProcessResult r = Run({"match", "--max-regions", "17", original_});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("max-regions"));
}

}  // namespace
}  // namespace hashwatch
