// A Scan killed with SIGKILL at each of its steps (common/crash_point.h):
// after the report is filed, after the item is queued, after its unblurred
// preview is kept, after the record is written. Nothing was acknowledged,
// so nothing may be lost; and the retried scan must find nothing half
// done: one report or one item (never two), the item's reveal preview
// there, and a record that replays.
#include <fstream>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "review_api/engine.h"
#include "review_api/scan_records.h"
#include "tests/testing/images.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch::review_api {
namespace {

using ::hashwatch::testing::BinaryPath;
using ::hashwatch::testing::ProcessResult;
using ::hashwatch::testing::RunProcess;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

struct CrashCase {
  std::string point;
  int pdq_distance;  // of the banked entry from the image's PDQ
  v1::Verdict verdict;
};

void PrintTo(const CrashCase& c, std::ostream* os) {
  *os << c.point << " at distance " << c.pdq_distance;
}

// `pdq` with its first `bits` / 4 hex digits inverted.
std::string PdqAtDistance(std::string pdq, int bits) {
  for (int i = 0; i < bits / 4; ++i) {
    const int digit = std::stoi(pdq.substr(i, 1), nullptr, 16) ^ 0xf;
    pdq[i] = "0123456789abcdef"[digit];
  }
  return pdq;
}

class ScanCrashTest : public ::testing::TestWithParam<CrashCase> {
 protected:
  void SetUp() override {
    config_.db = dir_.Sub("db");
    image_path_ = dir_.Sub("picture.png");
    const std::string png = testing::MakePattern(320, 240, 3, ".png");
    ASSERT_FALSE(png.empty());
    std::ofstream(image_path_, std::ios::binary) << png;
    // The picture's PDQ (a probe under another id), banked at a distance.
    auto engine = Engine::Open(config_, &clock_);
    ASSERT_OK(engine.status());
    v1::ScanRequest probe;
    probe.set_content_id("probe");
    probe.set_image(png);
    ASSERT_OK_AND_ASSIGN(v1::ScanResponse probed, (*engine)->Scan(probe));
    v1::CreateBankRequest create;
    create.set_name("hotline");
    ASSERT_OK((*engine)->CreateBank("admin", create).status());
    v1::AddEntriesRequest add;
    add.set_bank("hotline");
    v1::NewEntry* e = add.add_entries();
    e->set_signal(v1::SIGNAL_TYPE_PDQ);
    e->set_value(PdqAtDistance(probed.hashes().pdq(), GetParam().pdq_distance));
    bool sent = false;
    auto read = [&](v1::AddEntriesRequest* m) {
      if (sent) return false;
      *m = add;
      sent = true;
      return true;
    };
    ASSERT_OK(
        (*engine)->AddEntries("admin", read, [] { return false; }).status());
  }

  ProcessResult Child(const std::string& point) {
    return RunProcess({BinaryPath("scan_crash_child"), "scan", config_.db,
                       image_path_, "upload-1", point});
  }

  testing::TempDir dir_;
  FakeClock clock_;
  ServerConfig config_;
  std::string image_path_;
};

TEST_P(ScanCrashTest, KilledAtAStepTheRetryFindsNothingHalfDone) {
  const CrashCase& c = GetParam();
  const ProcessResult killed = Child(c.point);
  ASSERT_EQ(killed.exit_code, -1)
      << "not killed at " << c.point << ": " << killed.out << killed.err;
  EXPECT_THAT(killed.out, IsEmpty()) << "an answer was sent before the kill";

  const ProcessResult retried = Child("none");
  ASSERT_EQ(retried.exit_code, 0) << retried.out << retried.err;
  const std::vector<std::string> answer =
      absl::StrSplit(absl::StripSuffix(retried.out, "\n"), ' ');
  ASSERT_EQ(answer.size(), 5u) << retried.out;
  EXPECT_EQ(answer[0], "OK");
  EXPECT_EQ(answer[1], v1::Verdict_Name(c.verdict));
  // Killed after the record was written, the retry replays it; before, it
  // scans again and the stores hand back what the first attempt wrote.
  EXPECT_EQ(answer[4], c.point == "scan.recorded" ? "1" : "0");

  auto engine = Engine::Open(config_, &clock_);
  ASSERT_OK(engine.status());
  ASSERT_OK_AND_ASSIGN(v1::ListReportsResponse reports,
                       (*engine)->ListReports(v1::ListReportsRequest()));
  ASSERT_OK_AND_ASSIGN(v1::QueueStats stats, (*engine)->Stats());
  if (c.verdict == v1::AUTO_REPORTED) {
    ASSERT_EQ(reports.reports_size(), 1);
    EXPECT_EQ(reports.reports(0).id(), answer[2]);
    EXPECT_EQ(reports.reports(0).content_id(), "upload-1");
    EXPECT_EQ(stats.items(), 0);
  } else {
    EXPECT_EQ(reports.reports_size(), 0);
    EXPECT_EQ(stats.items(), 1);
    v1::GetItemRequest get;
    get.set_item_id(std::stoull(answer[3]));
    ASSERT_OK_AND_ASSIGN(v1::ReviewItem item,
                         (*engine)->GetItem(Reviewer{"lead", "", true}, get));
    EXPECT_EQ(item.content_id(), "upload-1");
  }
  // A third scan replays the record the retry wrote.
  v1::ScanRequest again;
  again.set_content_id("upload-1");
  std::ifstream in(image_path_, std::ios::binary);
  again.set_image(std::string(std::istreambuf_iterator<char>(in), {}));
  ASSERT_OK_AND_ASSIGN(v1::ScanResponse replayed, (*engine)->Scan(again));
  EXPECT_TRUE(replayed.replayed());
  EXPECT_EQ(replayed.report_id(), answer[2] == "-" ? "" : answer[2]);
  EXPECT_EQ(replayed.item_id(), std::stoull(answer[3]));
  engine->reset();

  if (c.verdict == v1::QUEUED_FOR_REVIEW) {
    ASSERT_OK_AND_ASSIGN(
        auto records,
        ScanRecords::Open({.path = config_.db + "/scans"}, &clock_));
    ASSERT_OK_AND_ASSIGN(std::string jpeg,
                         records->GetRevealPreview(std::stoull(answer[3])));
    EXPECT_THAT(jpeg, StartsWith("\xff\xd8"));  // a JPEG
  }
}

INSTANTIATE_TEST_SUITE_P(
    Steps, ScanCrashTest,
    ::testing::Values(CrashCase{"scan.reported", 0, v1::AUTO_REPORTED},
                      CrashCase{"scan.recorded", 0, v1::AUTO_REPORTED},
                      CrashCase{"scan.queued", 20, v1::QUEUED_FOR_REVIEW},
                      CrashCase{"scan.previewed", 20, v1::QUEUED_FOR_REVIEW},
                      CrashCase{"scan.recorded", 20, v1::QUEUED_FOR_REVIEW}),
    [](const ::testing::TestParamInfo<CrashCase>& info) {
      std::string name = absl::StrCat(
          info.param.point.substr(5), "_",
          info.param.verdict == v1::AUTO_REPORTED ? "report" : "review");
      return name;
    });

}  // namespace
}  // namespace hashwatch::review_api
