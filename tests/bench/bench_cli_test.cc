// The hashwatch-bench command line: exit codes and one-line errors.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/bench/pictures.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch::bench {
namespace {

using ::hashwatch::testing::BinaryPath;
using ::hashwatch::testing::MakePicture;
using ::hashwatch::testing::ProcessResult;
using ::hashwatch::testing::RunProcess;
using ::hashwatch::testing::TempDir;
using ::testing::HasSubstr;

// A folder `dir`/images of `n` unrelated pictures p0.jpg.. (seeds
// first_seed..), width x height; returns its path.
std::string PictureFolder(TempDir& dir, int n, int first_seed, int width,
                          int height) {
  const std::string images = dir.Sub("images");
  std::filesystem::create_directory(images);
  for (int i = 0; i < n; ++i) {
    std::ofstream(images + "/p" + std::to_string(i) + ".jpg", std::ios::binary)
        << MakePicture(first_seed + i, width, height);
  }
  return images;
}

ProcessResult Bench(std::vector<std::string> args) {
  args.insert(args.begin(), BinaryPath("hashwatch-bench"));
  return RunProcess(args);
}

int Lines(const std::string& s) {
  int n = 0;
  for (absl::string_view l : absl::StrSplit(s, '\n', absl::SkipEmpty()))
    n += !l.empty();
  return n;
}

TEST(BenchCliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Bench({}).exit_code, 2);
  EXPECT_EQ(Bench({"sweep"}).exit_code, 2);                     // --out missing
  EXPECT_EQ(Bench({"sweep", "--out", "/tmp/x"}).exit_code, 2);  // no input
  EXPECT_EQ(Bench({"capacity", "--out", "/tmp/x", "--search"}).exit_code,
            2);  // no sweep
  ProcessResult bad_range =
      Bench({"sweep", "--images", ".", "--out", "o", "--auto-threshold", "70"});
  EXPECT_EQ(bad_range.exit_code, 2);
  EXPECT_EQ(
      Bench({"capacity", "--out", "/tmp/x", "--shifts", "9-17"}).exit_code, 2);
}

TEST(BenchCliTest, FailuresExitOneWithOneLine) {
  TempDir dir;
  ProcessResult missing = Bench({"sweep", "--images", dir.Sub("missing"),
                                 "--out", dir.Sub("out"), "--no-plots"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(Lines(missing.err), 1) << missing.err;
  EXPECT_THAT(missing.err, HasSubstr("no such folder"));

  ProcessResult empty = Bench(
      {"sweep", "--images", dir.path(), "--out", dir.Sub("out"), "--no-plots"});
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_THAT(empty.err, HasSubstr("no pictures"));

  ProcessResult nobody =
      Bench({"capacity", "--out", dir.Sub("cap"), "--moderators", "0"});
  EXPECT_EQ(nobody.exit_code, 1);
  EXPECT_EQ(Lines(nobody.err), 1) << nobody.err;
  EXPECT_THAT(nobody.err, HasSubstr("no moderators"));

  ProcessResult negative =
      Bench({"capacity", "--out", dir.Sub("cap"), "--novel-per-hour", "-3"});
  EXPECT_EQ(negative.exit_code, 1);
  EXPECT_THAT(negative.err, HasSubstr("novel items per hour"));
}

TEST(BenchCliTest, EvalSetSweepAndCapacityRun) {
  TempDir dir;
  const std::string images = PictureFolder(dir, 4, 200, 128, 96);
  std::ofstream(images + "/bad.jpg") << "not a jpeg";
  ProcessResult list = Bench({"evalset", "--list"});
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_THAT(list.out, HasSubstr("jpeg_q50\tjpeg\t"));

  ProcessResult es = Bench({"evalset", "--images", images, "--out",
                            dir.Sub("set"), "--transforms", "jpeg_q75,mirror"});
  EXPECT_EQ(es.exit_code, 0) << es.err;
  EXPECT_THAT(es.err, HasSubstr("warning: bad.jpg"));
  EXPECT_TRUE(std::filesystem::exists(dir.Sub("set/manifest.csv")));

  ProcessResult sweep = Bench({"sweep", "--evalset", dir.Sub("set"), "--out",
                               dir.Sub("sweep"), "--no-plots", "--dihedral"});
  EXPECT_EQ(sweep.exit_code, 0) << sweep.err;
  EXPECT_THAT(sweep.out, HasSubstr("pictures/s"));
  EXPECT_THAT(sweep.out, HasSubstr("| 31 |"));

  ProcessResult cap = Bench({"capacity", "--out", dir.Sub("cap"), "--sweep",
                             dir.Sub("sweep/sweep.csv"), "--days", "1",
                             "--no-plots", "--search"});
  EXPECT_EQ(cap.exit_code, 0) << cap.err;
  EXPECT_THAT(cap.out, HasSubstr("search:"));
  EXPECT_TRUE(std::filesystem::exists(dir.Sub("cap/capacity.csv")));
  EXPECT_TRUE(std::filesystem::exists(dir.Sub("cap/search.csv")));
}

// evalset decodes every input as the sweep will: a truncated JPEG is
// counted, named and left out, so the sweep of the set rejects nothing.
TEST(BenchCliTest, EvalSetNamesATruncatedJpegAndTheSweepGetsNoneOfIt) {
  TempDir dir;
  const std::string images = PictureFolder(dir, 4, 200, 128, 96);
  const std::string whole = MakePicture(210, 128, 96);
  std::ofstream(images + "/cut.jpg", std::ios::binary)
      << whole.substr(0, whole.size() / 2);
  ProcessResult es =
      Bench({"evalset", "--images", images, "--out", dir.Sub("set"),
             "--transforms", "jpeg_q75,mirror", "--threads", "1"});
  ASSERT_EQ(es.exit_code, 0) << es.err;
  EXPECT_THAT(es.out, HasSubstr("; 1 failed,"));
  EXPECT_THAT(es.err, HasSubstr("warning: cut.jpg: decode: "));
  EXPECT_THAT(es.err, HasSubstr("truncated"));
  EXPECT_EQ(Lines(es.err), 1) << es.err;

  ProcessResult sweep = Bench({"sweep", "--evalset", dir.Sub("set"), "--out",
                               dir.Sub("sweep"), "--no-plots"});
  ASSERT_EQ(sweep.exit_code, 0) << sweep.err;
  EXPECT_THAT(sweep.out, HasSubstr("; 0 file(s) failed"));
  EXPECT_EQ(sweep.err, "");

  // Straight from the folder, the file is one failure, not one per copy.
  ProcessResult direct =
      Bench({"sweep", "--images", images, "--out", dir.Sub("direct"),
             "--no-plots", "--transforms", "jpeg_q75,mirror"});
  ASSERT_EQ(direct.exit_code, 0) << direct.err;
  EXPECT_THAT(direct.out, HasSubstr("; 1 file(s) failed"));
  EXPECT_EQ(Lines(direct.err), 1) << direct.err;
}

// `sweep --threads 1` used to die with SIGFPE in about 3 runs of 11,
// writing nothing: the caption transforms drew text with vips_text, and
// Pango's own font-matching threads raced with it
// (bench/eval/internal/text_mask.h). Twenty runs in a row must all finish,
// write their outputs, and write the same CSV.
TEST(BenchCliTest, SingleThreadedSweepFinishesTwentyRunsInARow) {
  TempDir dir;
  const std::string images = PictureFolder(dir, 8, 300, 96, 72);
  std::string first_csv;
  for (int run = 0; run < 20; ++run) {
    const std::string out = dir.Sub("out" + std::to_string(run));
    // Every transform that draws text (where the crash was), and two that
    // do not; the other 34 only add time.
    ProcessResult r =
        Bench({"sweep", "--images", images, "--out", out, "--threads", "1",
               "--no-plots", "--transforms",
               "jpeg_q75,mirror,caption,watermark,combo_caption_q60,"
               "combo_screenshot,combo_border_watermark_q75"});
    ASSERT_EQ(r.exit_code, 0) << "run " << run << " (-1: killed by a signal)\n"
                              << r.err;
    for (const char* file :
         {"sweep.csv", "split.csv", "queries.csv", "report.html"}) {
      EXPECT_TRUE(std::filesystem::exists(out + "/" + file))
          << "run " << run << ": " << file;
    }
    std::ifstream csv(out + "/sweep.csv", std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(csv)),
                           std::istreambuf_iterator<char>());
    ASSERT_FALSE(text.empty()) << "run " << run;
    if (run == 0) first_csv = text;
    EXPECT_TRUE(text == first_csv) << "run " << run << " wrote another sweep";
  }
}

TEST(BenchCliTest, UnknownTransformIsAFailure) {
  TempDir dir;
  dir.Write("a.jpg", MakePicture(1, 64, 64));
  dir.Write("b.jpg", MakePicture(2, 64, 64));
  ProcessResult r =
      Bench({"sweep", "--images", dir.path(), "--out", dir.Sub("o"),
             "--transforms", "jpeg_q50,sepia", "--no-plots"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("sepia"));
}

TEST(BenchCliTest, BenignArgumentsAndARun) {
  TempDir dir;
  ProcessResult no_out = Bench({"benign", "--count", "3"});
  EXPECT_EQ(no_out.exit_code, 2);
  EXPECT_EQ(Lines(no_out.err), 1) << no_out.err;
  EXPECT_THAT(no_out.err, HasSubstr("--out"));

  ProcessResult zero = Bench({"benign", "--out", dir.Sub("b"), "--count", "0"});
  EXPECT_EQ(zero.exit_code, 2);
  EXPECT_EQ(Lines(zero.err), 1) << zero.err;
  EXPECT_THAT(zero.err, HasSubstr("count is 0"));

  std::ofstream(dir.Sub("a-file")) << "x";
  ProcessResult blocked = Bench({"benign", "--out", dir.Sub("a-file/set"),
                                 "--count", "3", "--no-chromium"});
  EXPECT_EQ(blocked.exit_code, 1);
  EXPECT_EQ(Lines(blocked.err), 1) << blocked.err;

  const std::string images = PictureFolder(dir, 4, 400, 128, 96);
  ProcessResult run =
      Bench({"benign", "--out", dir.Sub("set"), "--count", "15", "--wallpapers",
             images, "--no-chromium", "--threads", "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr(": 15 pictures from 0 wallpapers"));
  EXPECT_THAT(run.err, HasSubstr("note: chromium not found (off)"));
  EXPECT_TRUE(std::filesystem::exists(dir.Sub("set/manifest.csv")));

  ProcessResult sweep =
      Bench({"sweep", "--images", images, "--benign", dir.Sub("set"), "--out",
             dir.Sub("sweep"), "--no-plots", "--robust", "--transforms",
             "jpeg_q75,border_8"});
  ASSERT_EQ(sweep.exit_code, 0) << sweep.err;
  EXPECT_THAT(sweep.out, HasSubstr("(15 from the benign set)"));
  EXPECT_THAT(sweep.out, HasSubstr("| benign | mode robust | 15 |"));
  EXPECT_TRUE(std::filesystem::exists(dir.Sub("sweep/benign.csv")));
  EXPECT_TRUE(std::filesystem::exists(dir.Sub("sweep/paths.csv")));
}

}  // namespace
}  // namespace hashwatch::bench
