// Scans of pictures recovered from inside an upload and of rotated copies:
// which path found a match, how each bank's policy routes it, and that the
// path reaches the answer, the report and the review item. Real pictures
// (testdata/pictures) under generated edits; a fake clock.
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "matcher/hashes.h"
#include "review_api/engine.h"
#include "tests/testing/images.h"
#include "tests/testing/paths.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch::review_api {
namespace {

using ::hashwatch::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::testing::StartsWith;

std::string Picture(const std::string& name) {
  return testing::ReadFileOrDie(testing::DemoPicture(name));
}

std::string PdqOf(const std::string& bytes) {
  auto h = matcher::HashImage(bytes, {});
  EXPECT_OK(h.status());
  return h.ok() ? h->pdq.hash.ToHex() : "";
}

class EnginePathsTest : public ::testing::Test {
 protected:
  void SetUp() override { config_.db = dir_.Sub("db"); }

  void Open() {
    auto engine = Engine::Open(config_, &clock_);
    ASSERT_OK(engine.status());
    engine_ = *std::move(engine);
  }

  // A bank holding the whole-picture PDQ hash of each named picture.
  void AddBank(const std::string& name, const v1::BankPolicy& policy,
               const std::vector<std::string>& pictures) {
    v1::CreateBankRequest create;
    create.set_name(name);
    *create.mutable_policy() = policy;
    ASSERT_OK(engine_->CreateBank("admin", create).status());
    v1::AddEntriesRequest add;
    add.set_bank(name);
    for (const std::string& p : pictures) {
      v1::NewEntry* e = add.add_entries();
      e->set_signal(v1::SIGNAL_TYPE_PDQ);
      e->set_value(PdqOf(Picture(p)));
      e->set_category("A");
    }
    bool sent = false;
    ASSERT_OK(engine_
                  ->AddEntries(
                      "admin",
                      [&](v1::AddEntriesRequest* m) {
                        if (sent) return false;
                        *m = add;
                        sent = true;
                        return true;
                      },
                      [] { return false; })
                  .status());
  }

  static v1::BankPolicy DefaultPolicy() {
    v1::BankPolicy p;
    p.set_auto_report_distance(10);
    p.set_review_distance(31);
    p.set_min_quality(50);
    p.set_auto_report_enabled(true);
    return p;
  }

  absl::StatusOr<v1::ScanResponse> ScanImage(const std::string& id,
                                             const std::string& bytes) {
    v1::ScanRequest request;
    request.set_content_id(id);
    request.set_image(bytes);
    return engine_->Scan(request);
  }

  testing::TempDir dir_;
  FakeClock clock_;
  ServerConfig config_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EnginePathsTest, ABorderedCopyIsFoundUnborderedAndAutoReported) {
  Open();
  AddBank("hotline", DefaultPolicy(), {"b011.jpg"});
  const std::string bordered =
      testing::TransformImage(Picture("b011.jpg"), "border_jpeg");
  ASSERT_OK_AND_ASSIGN(v1::ScanResponse r, ScanImage("c-1", bordered));
  EXPECT_EQ(r.verdict(), v1::AUTO_REPORTED) << r.reason();
  ASSERT_THAT(r.matches(), SizeIs(1));
  EXPECT_EQ(r.matches(0).path(), "unbordered");
  EXPECT_LE(r.matches(0).distance(), 10);
  EXPECT_THAT(r.reason(), HasSubstr("via unbordered"));
  v1::GetReportRequest get;
  get.set_id(r.report_id());
  ASSERT_OK_AND_ASSIGN(v1::Report report, engine_->GetReport(get));
  ASSERT_THAT(report.evidence(), SizeIs(1));
  EXPECT_EQ(report.evidence(0).path(), "unbordered");
  // The replay says the same.
  ASSERT_OK_AND_ASSIGN(v1::ScanResponse again, ScanImage("c-1", bordered));
  EXPECT_TRUE(again.replayed());
  EXPECT_EQ(again.matches(0).path(), "unbordered");
}

TEST_F(EnginePathsTest, ThePolicyCanSendUnborderedMatchesToReview) {
  Open();
  v1::BankPolicy policy = DefaultPolicy();
  policy.set_unbordered_auto_report(false);
  AddBank("hotline", policy, {"b011.jpg"});
  ASSERT_OK_AND_ASSIGN(
      v1::ScanResponse r,
      ScanImage("c-1",
                testing::TransformImage(Picture("b011.jpg"), "border_jpeg")));
  EXPECT_EQ(r.verdict(), v1::QUEUED_FOR_REVIEW) << r.reason();
  EXPECT_EQ(r.matches(0).path(), "unbordered");
}

TEST_F(EnginePathsTest, APictureOnAPageGoesToReviewWithItsRegion) {
  Open();
  AddBank("hotline", DefaultPolicy(), {"b011.jpg"});
  ASSERT_OK_AND_ASSIGN(v1::ScanResponse r,
                       ScanImage("c-1", testing::TransformImage(
                                            Picture("b011.jpg"), "page_png")));
  EXPECT_EQ(r.verdict(), v1::QUEUED_FOR_REVIEW) << r.reason();
  ASSERT_THAT(r.matches(), SizeIs(1));
  EXPECT_THAT(r.matches(0).path(), StartsWith("region "));
  EXPECT_FALSE(r.matches(0).auto_report());
  v1::GetItemRequest get;
  get.set_item_id(r.item_id());
  ASSERT_OK_AND_ASSIGN(
      v1::ReviewItem item,
      engine_->GetItem({.name = "lead", .token_id = "id-lead", .lead = true},
                       get));
  ASSERT_THAT(item.matches(), SizeIs(1));
  EXPECT_EQ(item.matches(0).path(), r.matches(0).path());
}

TEST_F(EnginePathsTest, ADifferentPictureInTheSameFrameIsNoMatch) {
  Open();
  AddBank("hotline", DefaultPolicy(), {"b011.jpg", "b002.jpg"});
  for (const char* op : {"border_jpeg", "page_png"}) {
    ASSERT_OK_AND_ASSIGN(
        v1::ScanResponse r,
        ScanImage(std::string("other-") + op,
                  testing::TransformImage(Picture("b020.jpg"), op)));
    EXPECT_EQ(r.verdict(), v1::NO_MATCH) << op << ": " << r.reason();
  }
}

TEST_F(EnginePathsTest, WithoutRecoveryABorderedCopyIsMissed) {
  config_.scan.max_regions = 0;
  Open();
  AddBank("hotline", DefaultPolicy(), {"b011.jpg"});
  ASSERT_OK_AND_ASSIGN(
      v1::ScanResponse r,
      ScanImage("c-1",
                testing::TransformImage(Picture("b011.jpg"), "border_jpeg")));
  EXPECT_EQ(r.verdict(), v1::NO_MATCH) << r.reason();
}

TEST_F(EnginePathsTest, RotatedCopiesMatchOnlyBanksWhosePolicySaysSo) {
  Open();
  v1::BankPolicy turned = DefaultPolicy();
  turned.set_dihedral(true);
  AddBank("turned", turned, {"b011.jpg"});
  v1::BankPolicy upright = DefaultPolicy();
  upright.set_dihedral(false);
  AddBank("upright", upright, {"b011.jpg"});
  ASSERT_OK_AND_ASSIGN(
      v1::ScanResponse r,
      ScanImage("c-1", testing::TransformImage(Picture("b011.jpg"), "rot90")));
  // (A lossless PNG of the rotated decode: a few bits from the JPEG's own
  // hash, so reported or reviewed by distance.)
  EXPECT_NE(r.verdict(), v1::NO_MATCH) << r.reason();
  ASSERT_THAT(r.matches(), SizeIs(1));
  EXPECT_EQ(r.matches(0).bank(), "turned");
  EXPECT_THAT(r.matches(0).path(), StartsWith("whole/"));
  EXPECT_NE(r.matches(0).dihedral_variant(), 0);
  // The upright copy matches both.
  ASSERT_OK_AND_ASSIGN(v1::ScanResponse up,
                       ScanImage("c-2", Picture("b011.jpg")));
  EXPECT_THAT(up.matches(), SizeIs(2));
  for (const v1::Match& m : up.matches()) EXPECT_EQ(m.path(), "whole");
}

TEST_F(EnginePathsTest, BankPoliciesForThePathsAreCheckedAndKept) {
  Open();
  v1::BankPolicy policy = DefaultPolicy();
  policy.set_region_auto_report_distance(11);  // over auto_report_distance
  v1::CreateBankRequest create;
  create.set_name("bad");
  *create.mutable_policy() = policy;
  EXPECT_THAT(engine_->CreateBank("admin", create),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("region_auto_report_distance")));
  policy.set_region_auto_report_distance(4);
  policy.set_unbordered_auto_report(false);
  policy.set_dihedral(false);
  create.set_name("good");
  *create.mutable_policy() = policy;
  ASSERT_OK(engine_->CreateBank("admin", create).status());
  engine_.reset();
  Open();  // kept across a restart
  v1::GetBankRequest get;
  get.set_name("good");
  ASSERT_OK_AND_ASSIGN(v1::Bank bank, engine_->GetBank(get));
  EXPECT_EQ(bank.policy().region_auto_report_distance(), 4);
  EXPECT_FALSE(bank.policy().unbordered_auto_report());
  EXPECT_FALSE(bank.policy().dihedral());
  // Unset fields take the defaults.
  create.set_name("plain");
  *create.mutable_policy() = DefaultPolicy();
  ASSERT_OK_AND_ASSIGN(v1::Bank plain, engine_->CreateBank("admin", create));
  EXPECT_EQ(plain.policy().region_auto_report_distance(), -1);
  EXPECT_TRUE(plain.policy().unbordered_auto_report());
  EXPECT_FALSE(plain.policy().dihedral());
  // The bank of confirmed material matches rotated copies; the allow bank
  // does not.
  get.set_name("internal-confirmed");
  ASSERT_OK_AND_ASSIGN(v1::Bank confirmed, engine_->GetBank(get));
  EXPECT_TRUE(confirmed.policy().dihedral());
  get.set_name("internal-allow");
  ASSERT_OK_AND_ASSIGN(v1::Bank allow, engine_->GetBank(get));
  EXPECT_FALSE(allow.policy().dihedral());
}

}  // namespace
}  // namespace hashwatch::review_api
