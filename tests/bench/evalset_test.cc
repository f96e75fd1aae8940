#include "bench/eval/evalset.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "bench/eval/io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/bench/pictures.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch::bench {
namespace {

using ::hashwatch::testing::MakePicture;
using ::hashwatch::testing::StatusIs;
using ::hashwatch::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ListFolderTest, ListsPicturesSortedAndIgnoresOthers) {
  TempDir dir;
  dir.Write("b.JPG", "x");
  dir.Write("a.png", "x");
  dir.Write("notes.txt", "x");
  dir.Write(".hidden.jpg", "x");
  std::filesystem::create_directory(
      dir.Sub("sub.jpg"));  // a folder, not a file
  ASSERT_OK_AND_ASSIGN(FolderListing l, ListFolder(dir.path()));
  EXPECT_THAT(l.images, ElementsAre("a.png", "b.JPG"));
  EXPECT_THAT(l.ignored, ElementsAre("notes.txt"));
}

TEST(ListFolderTest, ClearErrors) {
  TempDir dir;
  EXPECT_THAT(ListFolder(dir.Sub("missing")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing")));
  EXPECT_THAT(
      ListFolder(dir.Write("file.jpg", "x")),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a folder")));
  TempDir empty;
  EXPECT_THAT(
      ListFolder(empty.path()),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no pictures")));
  empty.Write("readme.txt", "x");
  EXPECT_THAT(
      ListFolder(empty.path()),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1 other files")));
}

TEST(ListFolderTest, UnreadableFolder) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads every folder";
  TempDir dir;
  const std::string locked = dir.Sub("locked");
  ASSERT_EQ(mkdir(locked.c_str(), 0), 0);
  EXPECT_THAT(ListFolder(locked),
              StatusIs(absl::StatusCode::kPermissionDenied));
  chmod(locked.c_str(), 0700);
}

TEST(SplitKnownTest, DeterministicAndIndependentOfOrder) {
  std::vector<std::string> names;
  for (int i = 0; i < 20; ++i)
    names.push_back("p" + std::to_string(i) + ".jpg");
  ASSERT_OK_AND_ASSIGN(std::vector<Role> a, SplitKnown(names, 0.5, 1));
  EXPECT_EQ(std::count(a.begin(), a.end(), Role::kKnown), 10);
  std::vector<std::string> reversed(names.rbegin(), names.rend());
  ASSERT_OK_AND_ASSIGN(std::vector<Role> b, SplitKnown(reversed, 0.5, 1));
  for (size_t i = 0; i < names.size(); ++i)
    EXPECT_EQ(a[i], b[names.size() - 1 - i]);
  ASSERT_OK_AND_ASSIGN(std::vector<Role> other_seed, SplitKnown(names, 0.5, 2));
  EXPECT_NE(a, other_seed);
  ASSERT_OK_AND_ASSIGN(std::vector<Role> few, SplitKnown({"a", "b"}, 0.01, 1));
  EXPECT_EQ(std::count(few.begin(), few.end(), Role::kKnown),
            1);  // at least one each
}

TEST(SplitKnownTest, BadInputs) {
  EXPECT_THAT(
      SplitKnown({"only.jpg"}, 0.5, 1),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at least 2")));
  EXPECT_THAT(SplitKnown({"a", "b"}, 1.0, 1),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      SplitKnown({"a", "a"}, 0.5, 1),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate")));
}

TEST(ManifestTest, RoundTripsWithQuoting) {
  std::vector<ManifestRow> rows = {
      {"known/a,b.jpg", Role::kKnown, "a,b.jpg", "", "", 10, 20},
      {"copies/a,b__mirror.jpg", Role::kCopy, "a,b.jpg", "mirror", "dihedral",
       10, 20},
      {"distractors/\"q\".png", Role::kDistractor, "\"q\".png", "", "", 5, 6},
  };
  ASSERT_OK_AND_ASSIGN(std::vector<ManifestRow> back,
                       ParseManifest(ManifestCsv(rows)));
  ASSERT_EQ(back.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(back[i].file, rows[i].file);
    EXPECT_EQ(back[i].role, rows[i].role);
    EXPECT_EQ(back[i].source, rows[i].source);
    EXPECT_EQ(back[i].transform, rows[i].transform);
    EXPECT_EQ(back[i].width, rows[i].width);
  }
}

TEST(ManifestTest, ErrorsNameTheLine) {
  const std::string header = "file,role,source,transform,family,width,height\n";
  EXPECT_THAT(
      ParseManifest("file,role\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 1")));
  EXPECT_THAT(
      ParseManifest(header +
                    "a.jpg,known,a.jpg,,,1,1\nb.jpg,nope,b.jpg,,,1,1\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 3")));
  EXPECT_THAT(ParseManifest(header + "c.jpg,copy,,,,1,1\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("source and transform")));
  EXPECT_THAT(ParseManifest(header + "c.jpg,known,c.jpg,,,x,1\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("width")));
  EXPECT_THAT(
      ParseManifest(header + "\"c.jpg,known\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unterminated")));
}

TEST(WriteEvalSetTest, WritesFilesAndManifestAndListsFailures) {
  TempDir in, out;
  for (int i = 0; i < 4; ++i) {
    in.Write("p" + std::to_string(i) + ".jpg", MakePicture(i, 96, 64));
  }
  in.Write("broken.jpg", "this is not a jpeg");
  in.Write("readme.txt", "not a picture");
  EvalSetOptions o;
  o.threads = 2;
  for (absl::string_view name : {"jpeg_q50", "mirror", "caption"}) {
    ASSERT_OK_AND_ASSIGN(TransformSpec t, FindTransform(name));
    o.transforms.push_back(t);
  }
  ASSERT_OK_AND_ASSIGN(EvalSetSummary s,
                       WriteEvalSet(in.path(), out.path(), o));
  // 5 files with a picture extension: split 3 known (one of them may be
  // the broken file) / 2 distractors; the broken one is listed.
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_EQ(s.failures[0].file, "broken.jpg");
  EXPECT_THAT(s.failures[0].reason, HasSubstr("decode"));
  EXPECT_THAT(s.ignored, ElementsAre("readme.txt"));
  EXPECT_EQ(s.known + s.distractors, 4);
  EXPECT_EQ(s.copies, 3 * s.known);
  ASSERT_OK_AND_ASSIGN(std::string csv, ReadWholeFile(out.Sub("manifest.csv")));
  ASSERT_OK_AND_ASSIGN(std::vector<ManifestRow> rows, ParseManifest(csv));
  EXPECT_EQ(rows.size(),
            static_cast<size_t>(s.known + s.distractors + s.copies));
  for (const ManifestRow& r : rows) {
    EXPECT_TRUE(std::filesystem::exists(out.Sub(r.file))) << r.file;
    if (r.role == Role::kCopy) {
      EXPECT_EQ(r.file.rfind("copies/", 0), 0u);
    }
  }
  // Same input, same set: byte-identical manifest.
  TempDir again;
  ASSERT_OK(WriteEvalSet(in.path(), again.path(), o).status());
  ASSERT_OK_AND_ASSIGN(std::string csv2,
                       ReadWholeFile(again.Sub("manifest.csv")));
  EXPECT_EQ(csv, csv2);
}

// libvips, which the transforms start from, decodes a truncated JPEG (grey
// rows to the end); the sweep's decoder refuses it. evalset used to check
// only the first, so it reported "0 failed", wrote the file and its copies,
// and the sweep then rejected the file and every copy of it.
TEST(WriteEvalSetTest, TruncatedJpegIsNamedAndLeftOutWithItsCopies) {
  TempDir in, out;
  std::vector<std::string> names;
  for (int i = 0; i < 4; ++i) {
    names.push_back("p" + std::to_string(i) + ".jpg");
    in.Write(names.back(), MakePicture(i, 96, 64));
  }
  const std::string whole = MakePicture(9, 96, 64);
  const std::string cut = whole.substr(0, whole.size() * 2 / 3);
  ASSERT_OK(SourcePicture::Decode(cut).status());  // libvips takes it
  in.Write("cut.jpg", cut);
  names.push_back("cut.jpg");
  std::sort(names.begin(), names.end());
  EvalSetOptions o;
  o.threads = 2;
  for (absl::string_view name : {"jpeg_q75", "mirror"}) {
    ASSERT_OK_AND_ASSIGN(TransformSpec t, FindTransform(name));
    o.transforms.push_back(t);
  }
  // A seed that makes the truncated file a known picture, the case with
  // copies.
  const size_t cut_index =
      std::find(names.begin(), names.end(), "cut.jpg") - names.begin();
  for (o.seed = 1; o.seed < 100; ++o.seed) {
    ASSERT_OK_AND_ASSIGN(std::vector<Role> roles,
                         SplitKnown(names, o.known_fraction, o.seed));
    if (roles[cut_index] == Role::kKnown) break;
  }
  ASSERT_LT(o.seed, 100u);

  for (const auto& modes : std::vector<std::vector<matcher::DecodeMode>>{
           {matcher::DecodeMode::kFast, matcher::DecodeMode::kCompat},
           {matcher::DecodeMode::kFast},
           {matcher::DecodeMode::kCompat}}) {
    SCOPED_TRACE(modes.size() == 2 ? "both modes" : "one mode");
    o.decode_modes = modes;
    TempDir set;
    ASSERT_OK_AND_ASSIGN(EvalSetSummary s,
                         WriteEvalSet(in.path(), set.path(), o));
    ASSERT_EQ(s.failures.size(), 1u);
    EXPECT_EQ(s.failures[0].file, "cut.jpg");
    EXPECT_THAT(s.failures[0].reason, HasSubstr("truncated"));
    EXPECT_EQ(s.known + s.distractors, 4);
    EXPECT_EQ(s.copies, 2 * s.known);
    ASSERT_OK_AND_ASSIGN(std::string csv,
                         ReadWholeFile(set.Sub("manifest.csv")));
    ASSERT_OK_AND_ASSIGN(std::vector<ManifestRow> rows, ParseManifest(csv));
    for (const ManifestRow& r : rows) {
      EXPECT_NE(r.source, "cut.jpg") << r.file;
    }
    for (const auto& e :
         std::filesystem::recursive_directory_iterator(set.path())) {
      EXPECT_EQ(e.path().filename().string().find("cut"), std::string::npos)
          << e.path();
    }
  }
}

}  // namespace
}  // namespace hashwatch::bench
