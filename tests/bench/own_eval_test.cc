#include "bench/eval/own_eval.h"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "bench/eval/evalset.h"
#include "bench/eval/io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/bench/pictures.h"
#include "tests/testing/images.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch::bench {
namespace {

using ::hashwatch::testing::MakePattern;
using ::hashwatch::testing::MakePicture;
using ::hashwatch::testing::TempDir;
using ::hashwatch::testing::TransformImage;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

void Write(const std::string& dir, const std::string& name,
           const std::string& bytes) {
  ASSERT_OK(
      MakeDirs(std::filesystem::path(dir + "/" + name).parent_path().string()));
  ASSERT_OK(WriteWholeFile(dir + "/" + name, bytes));
}

ManifestRow Row(const std::string& file, Role role, const std::string& source,
                const std::string& transform = "",
                const std::string& family = "") {
  ManifestRow r;
  r.file = file;
  r.role = role;
  r.source = source;
  r.transform = transform;
  r.family = family;
  r.width = 640;
  r.height = 480;
  return r;
}

// A tiny evaluation set of generated pictures: three known, a cropped and
// captioned copy of one (which PDQ misses), a byte-identical copy of
// another, an unrelated distractor; and a benign folder holding a cropped
// copy of a picture the bank does not hold.
class OwnEvalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 3; ++i)
      known_.push_back(MakePicture(100 + i, 640, 480));
    for (int i = 0; i < 3; ++i) {
      Write(set_.path(), "known/k" + std::to_string(i) + ".jpg", known_[i]);
    }
    Write(set_.path(), "copies/k0__crop.jpg",
          TransformImage(known_[0], "crop_caption_jpeg"));
    Write(set_.path(), "copies/k1__original.jpg", known_[1]);
    Write(set_.path(), "distractors/d0.jpg", MakePicture(200, 640, 480));
    Write(
        set_.path(), "manifest.csv",
        ManifestCsv({Row("known/k0.jpg", Role::kKnown, "k0.jpg"),
                     Row("known/k1.jpg", Role::kKnown, "k1.jpg"),
                     Row("known/k2.jpg", Role::kKnown, "k2.jpg"),
                     Row("copies/k0__crop.jpg", Role::kCopy, "k0.jpg",
                         "crop_caption", "crop"),
                     Row("copies/k1__original.jpg", Role::kCopy, "k1.jpg",
                         "original", "identity"),
                     Row("distractors/d0.jpg", Role::kDistractor, "d0.jpg")}));
    Write(benign_.path(), "b0.jpg",
          TransformImage(MakePicture(300, 640, 480), "crop_caption_jpeg"));
  }

  TempDir set_, benign_;
  std::vector<std::string> known_;
};

TEST_F(OwnEvalTest, FindsTheCropByLocalFeaturesAndNothingUnrelated) {
  OwnEvalOptions o;
  o.evalset_dir = set_.path();
  o.benign_dir = benign_.path();
  o.threads = 2;
  ASSERT_OK_AND_ASSIGN(OwnEvalResult r, RunOwnEval(o));
  EXPECT_EQ(r.known, 3);
  EXPECT_THAT(r.not_added, IsEmpty());
  EXPECT_THAT(r.failures, IsEmpty());
  ASSERT_EQ(r.copies.size(), 2u);

  const OwnEvalCopy& crop = r.copies[0];
  EXPECT_EQ(crop.file, "copies/k0__crop.jpg");
  EXPECT_TRUE(crop.has_signature);
  EXPECT_TRUE(crop.found);
  EXPECT_TRUE(crop.by_local_features);
  EXPECT_TRUE(crop.local_only) << crop.path;
  EXPECT_EQ(crop.path, "local features");
  // Local-feature matches go to review, never to an automatic report.
  EXPECT_FALSE(crop.auto_report);

  const OwnEvalCopy& same = r.copies[1];
  EXPECT_TRUE(same.found);
  EXPECT_TRUE(same.auto_report);
  EXPECT_FALSE(same.local_only);

  ASSERT_EQ(r.negatives.size(), 2u);
  for (const OwnEvalNegative& n : r.negatives) {
    EXPECT_THAT(n.paths, IsEmpty()) << n.file;
    EXPECT_THAT(n.matched, IsEmpty()) << n.file;
    EXPECT_FALSE(n.auto_report) << n.file;
    EXPECT_TRUE(n.has_signature) << n.file;
    EXPECT_LT(n.max_shaped_inliers, r.min_inliers) << n.file;
    EXPECT_GT(n.closest_pdq, 31) << n.file;
  }
  EXPECT_EQ(r.negatives[1].file, "benign/b0.jpg");
  EXPECT_TRUE(r.negatives[1].benign);

  const OwnEvalFalse f = OwnEvalFalseFigures(r);
  EXPECT_EQ(f.distractors, 1);
  EXPECT_EQ(f.benign, 1);
  EXPECT_EQ(f.false_matches, 0);
  EXPECT_EQ(f.false_auto_reports, 0);
  EXPECT_EQ(r.min_inliers, 16);

  std::map<std::string, OwnEvalGroup> by_family = OwnEvalGroups(r, "family");
  EXPECT_EQ(by_family["crop"].copies, 1);
  EXPECT_EQ(by_family["crop"].found, 1);
  EXPECT_EQ(by_family["crop"].local_only, 1);
  EXPECT_EQ(by_family["crop"].auto_reported, 0);
  EXPECT_EQ(by_family["all"].found, 2);
  EXPECT_EQ(by_family["all"].auto_reported, 1);

  EXPECT_THAT(OwnEvalCsv(r), HasSubstr("family,crop,1,1,100.0,1,0\n"));
  EXPECT_THAT(OwnEvalCopiesCsv(r),
              HasSubstr("copies/k0__crop.jpg,k0.jpg,crop_caption,crop,1,"
                        "local features,1,1,0,1\n"));
  EXPECT_EQ(OwnEvalNegativeMatchesCsv(r),
            "file,paths,matched,auto_report,max_inliers,max_inliers_known,"
            "max_shaped_inliers,closest_pdq\n");
  EXPECT_THAT(OwnEvalNegativesCsv(r), HasSubstr("false_auto_reports,0,\n"));
  EXPECT_THAT(OwnEvalText(r), HasSubstr("false automatic reports: 0"));
}

TEST_F(OwnEvalTest, ABenignCopyOfAKnownPictureIsAFalseMatchNamingIt) {
  // A benign set that holds, by accident, a cropped copy of a known picture
  // (as wallpapers of other sizes do): it is counted as a false match by
  // local features, goes to review, and says which picture it matched.
  Write(benign_.path(), "b1.jpg",
        TransformImage(known_[2], "crop_caption_jpeg"));
  OwnEvalOptions o;
  o.evalset_dir = set_.path();
  o.benign_dir = benign_.path();
  o.threads = 2;
  ASSERT_OK_AND_ASSIGN(OwnEvalResult r, RunOwnEval(o));
  ASSERT_EQ(r.negatives.size(), 3u);
  const OwnEvalNegative& b1 = r.negatives[2];
  EXPECT_EQ(b1.file, "benign/b1.jpg");
  EXPECT_THAT(b1.paths, ElementsAre("local features"));
  EXPECT_THAT(b1.matched, ElementsAre("k2.jpg"));
  EXPECT_FALSE(b1.auto_report);
  EXPECT_EQ(b1.max_inliers_known, "k2.jpg");
  EXPECT_GE(b1.max_shaped_inliers, r.min_inliers);

  const OwnEvalFalse f = OwnEvalFalseFigures(r);
  EXPECT_EQ(f.false_matches, 1);
  EXPECT_EQ(f.by_path.at("local features"), 1);
  EXPECT_EQ(f.false_auto_reports, 0);
  EXPECT_EQ(f.max_shaped_inliers_file, "benign/b1.jpg");
  EXPECT_NE(f.max_unmatched_shaped_inliers_file, "benign/b1.jpg");
  EXPECT_LT(f.max_unmatched_shaped_inliers, r.min_inliers);
  EXPECT_THAT(OwnEvalNegativeMatchesCsv(r),
              HasSubstr("benign/b1.jpg,local features,k2.jpg,0,"));
  EXPECT_THAT(OwnEvalNegativeMatchesCsv(r), Not(HasSubstr("benign/b0.jpg")));
  EXPECT_THAT(OwnEvalNegativePicturesCsv(r), HasSubstr("\nbenign/b0.jpg,,,0,"));
}

TEST_F(OwnEvalTest, AKnownPictureAddImagesRefusesIsReportedAndItsCopyMissed) {
  // A picture too small for a signature: add-images refuses it, so its
  // copy, even a byte-identical one, is found by nothing.
  const std::string tiny = MakePattern(8, 8, 1, ".png");
  ASSERT_FALSE(tiny.empty());
  Write(set_.path(), "known/tiny.png", tiny);
  Write(set_.path(), "copies/tiny__original.png", tiny);
  Write(set_.path(), "manifest.csv",
        ManifestCsv({Row("known/k0.jpg", Role::kKnown, "k0.jpg"),
                     Row("known/tiny.png", Role::kKnown, "tiny.png"),
                     Row("copies/tiny__original.png", Role::kCopy, "tiny.png",
                         "original", "identity"),
                     Row("distractors/d0.jpg", Role::kDistractor, "d0.jpg")}));
  OwnEvalOptions o;
  o.evalset_dir = set_.path();
  o.threads = 1;
  ASSERT_OK_AND_ASSIGN(OwnEvalResult r, RunOwnEval(o));
  ASSERT_EQ(r.not_added.size(), 1u);
  EXPECT_EQ(r.not_added[0].file, "known/tiny.png");
  ASSERT_EQ(r.copies.size(), 1u);
  EXPECT_FALSE(r.copies[0].found);
  EXPECT_THAT(OwnEvalText(r), HasSubstr("1 refused by add-images"));
}

TEST(OwnEvalOptionsTest, RejectsBadOptions) {
  OwnEvalOptions o;
  EXPECT_FALSE(RunOwnEval(o).ok());  // no evaluation set
  o.evalset_dir = "/nonexistent-hashwatch-own-eval";
  EXPECT_FALSE(RunOwnEval(o).ok());
  o.timing_every = 0;
  EXPECT_FALSE(RunOwnEval(o).ok());
}

}  // namespace
}  // namespace hashwatch::bench
