#include "bench/eval/sweep.h"

#include <filesystem>
#include <set>

#include "bench/eval/capacity.h"
#include "bench/eval/io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/bench/pictures.h"
#include "tests/testing/paths.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch::bench {
namespace {

using ::hashwatch::testing::MakePicture;
using ::hashwatch::testing::StatusIs;
using ::hashwatch::testing::TempDir;
using ::testing::HasSubstr;

std::vector<TransformSpec> Transforms(
    std::initializer_list<absl::string_view> names) {
  std::vector<TransformSpec> out;
  for (absl::string_view n : names) {
    absl::StatusOr<TransformSpec> t = FindTransform(n);
    EXPECT_OK(t);
    out.push_back(*t);
  }
  return out;
}

// Six small distinct pictures.
void FillFolder(const TempDir& dir, int n = 6) {
  for (int i = 0; i < n; ++i) {
    dir.Write("pic" + std::to_string(i) + ".jpg",
              MakePicture(100 + i, 160, 120));
  }
}

SweepOptions Options(const std::string& images, const std::string& out) {
  SweepOptions o;
  o.images_dir = images;
  o.out_dir = out;
  o.plots = false;
  o.evalset.transforms = Transforms(
      {"original", "jpeg_q50", "scale_50", "mirror", "crop_20", "caption"});
  return o;
}

int Group(const SweepResult& r, absl::string_view name) {
  for (size_t g = 0; g < r.groups.size(); ++g) {
    if (r.groups[g].name == name) return static_cast<int>(g);
  }
  return -1;
}

TEST(SweepTest, MeasuresKnownBehaviourAndIsReproducible) {
  TempDir images, out;
  FillFolder(images);
  SweepOptions o = Options(images.path(), out.path());
  o.evalset.threads = 1;
  ASSERT_OK_AND_ASSIGN(SweepResult one, RunSweep(o));
  EXPECT_EQ(one.known, 3);
  EXPECT_EQ(one.distractors, 3);
  EXPECT_EQ(one.copies, 3 * 6);
  EXPECT_EQ(one.bank_entries, 3);
  EXPECT_TRUE(one.failures.empty());

  // The unmodified file matches at distance 0; a mirror image only with
  // the dihedral variants.
  const auto original =
      SweepStats(one, MatchMode::kPlain, "transform", "original", 50);
  EXPECT_DOUBLE_EQ(original[0].tpr, 1.0);
  const auto mirror_plain =
      SweepStats(one, MatchMode::kPlain, "transform", "mirror", 50);
  const auto mirror_dihedral =
      SweepStats(one, MatchMode::kDihedral, "transform", "mirror", 50);
  // (At 160x120 the matcher's top-left-aligned nearest-neighbour resize
  // is not mirror-symmetric, so the mirrored hash is a few bits off.)
  EXPECT_DOUBLE_EQ(mirror_plain[31].tpr, 0.0);
  EXPECT_DOUBLE_EQ(mirror_dihedral[48].tpr, 1.0);
  const auto jpeg =
      SweepStats(one, MatchMode::kPlain, "transform", "jpeg_q50", 50);
  EXPECT_DOUBLE_EQ(jpeg[31].tpr, 1.0);
  // Full distances agree with the thresholded outcome.
  for (size_t i = 0; i < one.queries.size(); ++i) {
    const SweepQuery& q = one.queries[i];
    const QueryOutcome& o0 = one.outcomes[0][i];
    if (q.role == Role::kCopy && q.source_distance[0] <= kMaxThreshold) {
      EXPECT_EQ(o0.true_distance, q.source_distance[0]) << q.file;
    }
    if (q.group == Group(one, "original")) {
      EXPECT_EQ(q.source_distance[0], 0);
    }
  }

  // More threads, same CSVs, byte for byte.
  o.evalset.threads = 3;
  ASSERT_OK_AND_ASSIGN(SweepResult two, RunSweep(o));
  EXPECT_EQ(SweepCsv(one, 50), SweepCsv(two, 50));
  EXPECT_EQ(SplitCsv(one, o), SplitCsv(two, o));
  EXPECT_EQ(QueriesCsv(one), QueriesCsv(two));
  EXPECT_EQ(DistancesCsv(one), DistancesCsv(two));

  // The outputs are written, and the capacity planner reads them back.
  ASSERT_OK(WriteSweepOutputs(o, one));
  for (const char* f : {"sweep.csv", "split.csv", "queries.csv",
                        "distances.csv", "report.html"}) {
    EXPECT_TRUE(std::filesystem::exists(out.Sub(f))) << f;
  }
  ASSERT_OK_AND_ASSIGN(SweepRates rates,
                       ReadSweepRates(out.Sub("sweep.csv"), "plain"));
  const auto all = SweepStats(one, MatchMode::kPlain, "all", "", 50);
  EXPECT_DOUBLE_EQ(rates.tpr[31], all[31].tpr);
  EXPECT_EQ(rates.distractors, 3);
  EXPECT_EQ(rates.bank_entries, 3);
  EXPECT_TRUE(rates.has_model);
}

TEST(SweepTest, EvalSetFolderGivesTheSameSweep) {
  TempDir images, evalset, out;
  FillFolder(images);
  SweepOptions o = Options(images.path(), out.path());
  ASSERT_OK_AND_ASSIGN(SweepResult direct, RunSweep(o));
  ASSERT_OK(WriteEvalSet(images.path(), evalset.path(), o.evalset).status());
  SweepOptions from_set = o;
  from_set.images_dir.clear();
  from_set.evalset_dir = evalset.path();
  ASSERT_OK_AND_ASSIGN(SweepResult read, RunSweep(from_set));
  EXPECT_EQ(SweepCsv(direct, 50), SweepCsv(read, 50));
}

TEST(SweepTest, UndecodableFilesAreListedNotFatal) {
  TempDir images, out;
  FillFolder(images, 4);
  images.Write("zz-truncated.jpg", MakePicture(1, 160, 120).substr(0, 200));
  images.Write("garbage.png", "definitely not a png");
  images.Write("notes.txt", "ignored");
  ASSERT_OK_AND_ASSIGN(SweepResult r,
                       RunSweep(Options(images.path(), out.path())));
  std::vector<std::string> failed;
  for (const Failure& f : r.failures) failed.push_back(f.file);
  EXPECT_THAT(failed, ::testing::Contains("garbage.png"));
  EXPECT_THAT(failed, ::testing::Contains("zz-truncated.jpg"));
  EXPECT_THAT(r.ignored, ::testing::ElementsAre("notes.txt"));
  EXPECT_GE(r.known, 1);
  EXPECT_GE(r.distractors, 1);
}

TEST(SweepTest, RealPicturesFromTheCorpus) {
  TempDir images, out;
  for (const char* name : {"b005.jpg", "b023.jpg", "b030.jpg", "b044.jpg"}) {
    ASSERT_OK_AND_ASSIGN(
        std::string bytes,
        ReadWholeFile(::hashwatch::testing::DemoPicture(name)));
    images.Write(name, bytes);
  }
  SweepOptions o = Options(images.path(), out.path());
  o.evalset.transforms =
      Transforms({"jpeg_q75", "scale_50", "mirror", "crop_33", "grey"});
  ASSERT_OK_AND_ASSIGN(SweepResult r, RunSweep(o));
  ASSERT_EQ(r.known, 2);
  ASSERT_EQ(r.copies, 10);
  auto tpr = [&](MatchMode m, const char* t, int threshold) {
    return SweepStats(r, m, "transform", t, 50)[threshold].tpr;
  };
  // Photographs: re-encodes, resizes and greyscale stay close; a third
  // cropped away does not; a mirror image needs the dihedral variants.
  EXPECT_DOUBLE_EQ(tpr(MatchMode::kPlain, "jpeg_q75", 10), 1.0);
  EXPECT_DOUBLE_EQ(tpr(MatchMode::kPlain, "scale_50", 31), 1.0);
  EXPECT_DOUBLE_EQ(tpr(MatchMode::kPlain, "grey", 31), 1.0);
  EXPECT_DOUBLE_EQ(tpr(MatchMode::kPlain, "crop_33", 31), 0.0);
  EXPECT_DOUBLE_EQ(tpr(MatchMode::kPlain, "mirror", 31), 0.0);
  EXPECT_DOUBLE_EQ(tpr(MatchMode::kDihedral, "mirror", 31), 1.0);
  EXPECT_EQ(SweepStats(r, MatchMode::kDihedral, "all", "", 50)[64].fp_pairs, 0);
}

// Robust matching uses a superset of the dihedral hashes, which use a
// superset of the plain one: no copy is ever farther in a later mode. A
// bordered copy is found by its unbordered picture.
TEST(SweepTest, RobustModeFindsWhatTheOthersFindAndBorderedCopies) {
  TempDir images, out;
  FillFolder(images);
  SweepOptions o = Options(images.path(), out.path());
  o.evalset.transforms =
      Transforms({"jpeg_q75", "mirror", "border_8", "letterbox"});
  ASSERT_OK_AND_ASSIGN(SweepResult r, RunSweep(o));
  for (const SweepQuery& q : r.queries) {
    if (q.role != Role::kCopy) continue;
    EXPECT_LE(q.source_distance[1], q.source_distance[0]) << q.file;
    EXPECT_LE(q.source_distance[2], q.source_distance[1]) << q.file;
    // The mode's distance is the least over its paths.
    int least = 257;
    for (int p = 0; p < kMatchPaths; ++p) {
      if (q.path_source_distance[p] >= 0)
        least = std::min(least, q.path_source_distance[p]);
    }
    EXPECT_EQ(q.source_distance[2], least) << q.file;
    EXPECT_EQ(q.source_distance[0], q.path_source_distance[0]) << q.file;
  }
  EXPECT_THAT(PathsCsv(r, o), HasSubstr("\ntransform,border_8,3,"));

  // Photographs with a white border or black bars: the whole picture's
  // hash is far, the recovered picture's close.
  TempDir photos, photo_out;
  for (const char* name : {"b005.jpg", "b023.jpg", "b030.jpg", "b044.jpg"}) {
    ASSERT_OK_AND_ASSIGN(
        std::string bytes,
        ReadWholeFile(::hashwatch::testing::DemoPicture(name)));
    photos.Write(name, bytes);
  }
  SweepOptions p = Options(photos.path(), photo_out.path());
  p.evalset.transforms = Transforms({"border_8", "letterbox"});
  ASSERT_OK_AND_ASSIGN(SweepResult pr, RunSweep(p));
  ASSERT_EQ(pr.copies, 4);
  for (const char* t : {"border_8", "letterbox"}) {
    EXPECT_DOUBLE_EQ(
        SweepStats(pr, MatchMode::kDihedral, "transform", t, 50)[31].tpr, 0.0)
        << t;
    EXPECT_DOUBLE_EQ(
        SweepStats(pr, MatchMode::kRobust, "transform", t, 50)[31].tpr, 1.0)
        << t;
  }
  EXPECT_THAT(QueriesCsv(pr), HasSubstr(",unbordered\n"));
}

// The benign set's pictures are distractors: one that is in fact a copy of
// a known picture is a false match, in every mode and on the whole path;
// one that is a copy of a distractor, or unrelated, is not.
TEST(SweepTest, BenignSetCountsFalseMatchesPerModeAndPath) {
  TempDir images, benign, out;
  FillFolder(images);
  SweepOptions o = Options(images.path(), out.path());
  o.evalset.transforms = Transforms({"jpeg_q75"});
  ASSERT_OK_AND_ASSIGN(SweepResult plain_run, RunSweep(o));
  std::set<std::string> known;
  for (const SweepQuery& q : plain_run.queries) {
    if (q.role == Role::kCopy) known.insert(q.source);
  }
  ASSERT_EQ(known.size(), 3u);
  for (int i = 0; i < 6; ++i) {
    const std::string name = "pic" + std::to_string(i) + ".jpg";
    benign.Write("copy_" + name, MakePicture(100 + i, 160, 120));
  }
  benign.Write("other_a.jpg", MakePicture(900, 200, 150));
  benign.Write("other_b.png", MakePicture(901, 180, 180, ".png"));
  benign.Write("manifest.csv", "file,family,how,width,height\n");  // ignored
  o.benign_dir = benign.path();
  ASSERT_OK_AND_ASSIGN(SweepResult r, RunSweep(o));
  EXPECT_EQ(r.benign, 8);
  EXPECT_EQ(r.distractors, 3 + 8);
  for (const SweepQuery& q : r.queries) {
    if (!q.benign) continue;
    const bool is_known = known.count(q.file.substr(5)) > 0;
    for (int m = 0; m < kMatchModes; ++m) {
      if (is_known) {
        EXPECT_EQ(q.nearest_other[m], 0) << q.file << " mode " << m;
      } else {
        EXPECT_GT(q.nearest_other[m], o.review_threshold) << q.file;
      }
    }
  }
  for (MatchMode m :
       {MatchMode::kPlain, MatchMode::kDihedral, MatchMode::kRobust}) {
    const FalseMatchStats s = DistractorFalseMatches(r, o, m, -1, true);
    EXPECT_EQ(s.distractors, 8);
    EXPECT_EQ(s.matched_review, 3) << MatchModeName(m);
    EXPECT_EQ(s.matched_auto, 3) << MatchModeName(m);
    EXPECT_EQ(s.pairs_review, 3);
    EXPECT_EQ(s.closest, 0);
    EXPECT_EQ(known.count(s.closest_file.substr(5)), 1u) << s.closest_file;
  }
  const FalseMatchStats whole = DistractorFalseMatches(
      r, o, MatchMode::kRobust, static_cast<int>(MatchPath::kWhole), true);
  EXPECT_EQ(whole.matched_review, 3);
  EXPECT_EQ(whole.closest, 0);
  // The folder's own distractors alone are no false match.
  const FalseMatchStats all =
      DistractorFalseMatches(r, o, MatchMode::kPlain, -1, false);
  EXPECT_EQ(all.distractors, 11);
  EXPECT_EQ(all.matched_review, 3);
  EXPECT_THAT(BenignCsv(r, o),
              HasSubstr("\nbenign,mode,plain,8,3,3,3,0,-31,-10,"));
  EXPECT_THAT(QueriesCsv(r), HasSubstr("\nother_a.jpg,benign,"));
  // Benign rows in the sweep's CSV.
  EXPECT_THAT(SweepCsv(r, 50), HasSubstr("\nplain,benign,,31,8,"));
}

TEST(SweepTest, BadInputsGiveClearErrors) {
  TempDir images, out;
  EXPECT_THAT(RunSweep(Options(images.Sub("nope"), out.path())),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("nope")));
  EXPECT_THAT(
      RunSweep(Options(images.path(), out.path())),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no pictures")));
  images.Write("a.jpg", "broken");
  images.Write("b.jpg", "broken too");
  EXPECT_THAT(RunSweep(Options(images.path(), out.path())),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("want at least one")));
  SweepOptions o = Options(images.path(), out.path());
  o.auto_threshold = 40;
  EXPECT_THAT(RunSweep(o), StatusIs(absl::StatusCode::kInvalidArgument,
                                    HasSubstr("above the review threshold")));
  o = Options(images.path(), out.path());
  o.evalset_dir = out.path();
  EXPECT_THAT(RunSweep(o), StatusIs(absl::StatusCode::kInvalidArgument,
                                    HasSubstr("exactly one")));
  o.images_dir.clear();
  EXPECT_THAT(RunSweep(o),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("manifest.csv")));
}

}  // namespace
}  // namespace hashwatch::bench
