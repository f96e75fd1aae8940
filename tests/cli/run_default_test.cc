// scripts/run-default.sh (`make run`): the demo bank from the repository's
// testdata/pictures, or from HASHWATCH_CORPUS, which may name a corpus folder
// (holding base/) or base/ itself.
#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/child_process.h"
#include "tests/testing/images.h"
#include "tests/testing/paths.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch {
namespace {

using ::hashwatch::testing::BinaryPath;
using ::hashwatch::testing::ChildProcess;
using ::hashwatch::testing::Lines;
using ::hashwatch::testing::ProcessResult;
using ::hashwatch::testing::RunProcess;
using ::hashwatch::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::SizeIs;

class RunDefaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = dir_.Sub("corpus/base");
    std::filesystem::create_directories(base_);
    // Benign generated pictures; two sizes, as a folder has several.
    dir_.Write("corpus/base/p1.jpg", testing::MakePattern(320, 240, 3, ".jpg"));
    dir_.Write("corpus/base/p2.jpg", testing::MakePattern(200, 300, 3, ".jpg"));
    setenv("HASHWATCH_LISTEN", "127.0.0.1:0", 1);
    // HASHWATCH_BIN (set by CTest) already names the binaries' folder.
    setenv("HASHWATCH_BIN",
           std::filesystem::path(BinaryPath("hashwatch")).parent_path().c_str(),
           1);
  }
  void TearDown() override {
    unsetenv("HASHWATCH_CORPUS");
    unsetenv("HASHWATCH_DB");
    unsetenv("HASHWATCH_LISTEN");
  }

  // Runs the script with HASHWATCH_CORPUS=corpus (unset when empty) until
  // the server serves, stops it, and returns the sample bank's entry count
  // (-1: no bank).
  int SampleEntries(const std::string& corpus, const std::string& db) {
    if (corpus.empty()) {
      unsetenv("HASHWATCH_CORPUS");
    } else {
      setenv("HASHWATCH_CORPUS", corpus.c_str(), 1);
    }
    setenv("HASHWATCH_DB", db.c_str(), 1);
    ChildProcess script(
        {"/bin/bash", testing::SourceDir() + "/scripts/run-default.sh"},
        ChildProcess::Stream::kStderr);
    EXPECT_TRUE(script.started());
    std::string line, log;
    bool serving = false;
    while (!serving && script.ReadLine(&line)) {
      log += line + "\n";
      serving = line.find("serving on") != std::string::npos;
    }
    EXPECT_TRUE(serving) << log;
    script.Kill(SIGTERM);
    while (script.ReadLine(&line)) log += line + "\n";
    EXPECT_EQ(script.Wait(), 0) << log;
    ProcessResult banks = RunProcess(
        {BinaryPath("hashwatch"), "bank", "list", "--json", "--db", db});
    EXPECT_EQ(banks.exit_code, 0) << banks.err;
    for (const std::string& l : Lines(banks.out)) {
      const nlohmann::json bank = nlohmann::json::parse(l);
      if (bank.at("name") == "sample") return bank.at("entries").get<int>();
    }
    return -1;
  }

  TempDir dir_;
  std::string base_;
};

// A clone alone serves its demo: one sample entry per picture in
// testdata/pictures (distinct pictures, so distinct PDQ hashes).
TEST_F(RunDefaultTest, DefaultBankHoldsTheInRepositoryPictures) {
  int pictures = 0;
  for (const auto& e :
       std::filesystem::directory_iterator(testing::DemoPicture(""))) {
    pictures += e.path().extension() == ".jpg";
  }
  ASSERT_GE(pictures, 16);
  EXPECT_EQ(SampleEntries("", dir_.Sub("db0")), pictures);
}

TEST_F(RunDefaultTest, CorpusMayNameTheFolderHoldingBase) {
  EXPECT_GE(SampleEntries(dir_.Sub("corpus"), dir_.Sub("db1")), 1);
}

TEST_F(RunDefaultTest, CorpusMayNameBaseItself) {
  EXPECT_GE(SampleEntries(base_, dir_.Sub("db2")), 1);
}

TEST_F(RunDefaultTest, NoPicturesIsOneClearLine) {
  const std::string empty = dir_.Sub("empty");
  std::filesystem::create_directory(empty);
  setenv("HASHWATCH_CORPUS", empty.c_str(), 1);
  setenv("HASHWATCH_DB", dir_.Sub("db3").c_str(), 1);
  ProcessResult r = RunProcess(
      {"/bin/bash", testing::SourceDir() + "/scripts/run-default.sh"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(Lines(r.err), SizeIs(1));
  EXPECT_THAT(r.err, HasSubstr("no .jpg pictures in " + empty));
  EXPECT_THAT(r.err, HasSubstr("HASHWATCH_CORPUS names the corpus folder"));
}

}  // namespace
}  // namespace hashwatch
