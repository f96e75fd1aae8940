// ImportList killed with SIGKILL at each of its steps (common/crash_point.h):
// after the list is parsed and staged, after the table files are written,
// after they are ingested, after the import returned inside the engine.
// Afterwards the bank holds the whole list or none of it, nothing staged is
// left behind, the PDQ-free lookups agree with the export, and a retried
// import completes it. 60,000 entries: over the store's in-memory limit
// (import_memory_entries, 50,000), so the staged path runs.
#include <filesystem>
#include <fstream>
#include <memory>
#include <ostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "review_api/engine.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch::review_api {
namespace {

using ::hashwatch::testing::BinaryPath;
using ::hashwatch::testing::ProcessResult;
using ::hashwatch::testing::RunProcess;

constexpr int kEntries = 60'000;

std::string Sha256Of(int i) { return absl::StrFormat("%064x", i + 1); }

struct ImportCrash {
  std::string point;
  bool visible;  // the list is in the bank after the kill
};

void PrintTo(const ImportCrash& c, std::ostream* os) { *os << c.point; }

class ImportListCrashTest : public ::testing::TestWithParam<ImportCrash> {
 protected:
  void SetUp() override {
    config_.db = dir_.Sub("db");
    list_path_ = dir_.Sub("list.txt");
    std::ofstream list(list_path_);
    for (int i = 0; i < kEntries; ++i) list << Sha256Of(i) << "\n";
    list.close();
    auto engine = Engine::Open(config_, &clock_);
    ASSERT_OK(engine.status());
    v1::CreateBankRequest create;
    create.set_name("hotline");
    ASSERT_OK((*engine)->CreateBank("admin", create).status());
  }

  ProcessResult Child(const std::string& point) {
    return RunProcess({BinaryPath("scan_crash_child"), "import", config_.db,
                       list_path_, "hotline", point});
  }

  // Entries by the bank's counters, by its export, and whether the first
  // and last hashes match.
  void ExpectEntries(int expected) {
    auto engine = Engine::Open(config_, &clock_);
    ASSERT_OK(engine.status());
    v1::GetStatsRequest stats;
    stats.set_name("hotline");
    ASSERT_OK_AND_ASSIGN(v1::BankStats bank, (*engine)->GetBankStats(stats));
    EXPECT_EQ(bank.entries(), expected);
    v1::ExportBankRequest request;
    request.set_name("hotline");
    int exported = 0;
    ASSERT_OK((*engine)->ExportBank(request, [&](const v1::Entry&) {
      ++exported;
      return absl::OkStatus();
    }));
    EXPECT_EQ(exported, expected);
    for (int i : {0, kEntries - 1}) {
      v1::ScanRequest scan;
      scan.set_content_id(absl::StrCat("probe-", expected, "-", i));
      scan.mutable_hashes()->set_sha256(Sha256Of(i));
      ASSERT_OK_AND_ASSIGN(v1::ScanResponse r, (*engine)->Scan(scan));
      EXPECT_EQ(r.verdict(), expected > 0 ? v1::AUTO_REPORTED : v1::NO_MATCH);
    }
  }

  testing::TempDir dir_;
  FakeClock clock_;
  ServerConfig config_;
  std::string list_path_;
};

TEST_P(ImportListCrashTest, KilledAtAStepTheBankHoldsAllOrNothing) {
  const ImportCrash& c = GetParam();
  const ProcessResult killed = Child(c.point);
  ASSERT_EQ(killed.exit_code, -1)
      << "not killed at " << c.point << ": " << killed.out << killed.err;
  EXPECT_EQ(killed.out, "") << "an answer was sent before the kill";
  ASSERT_NO_FATAL_FAILURE(ExpectEntries(c.visible ? kEntries : 0));
  // Opening the store again removed what the killed import staged.
  const std::filesystem::path staging = config_.db + "/banks/import-staging";
  EXPECT_TRUE(!std::filesystem::exists(staging) ||
              std::filesystem::is_empty(staging));

  const ProcessResult retried = Child("none");
  ASSERT_EQ(retried.exit_code, 0) << retried.out << retried.err;
  EXPECT_EQ(retried.out, absl::StrCat("OK ", c.visible ? 0 : kEntries, "\n"));
  ASSERT_NO_FATAL_FAILURE(ExpectEntries(kEntries));
}

INSTANTIATE_TEST_SUITE_P(
    Steps, ImportListCrashTest,
    ::testing::Values(ImportCrash{"import.parsed", false},
                      ImportCrash{"import.files_written", false},
                      ImportCrash{"import.ingested", true},
                      ImportCrash{"import.committed", true}),
    [](const ::testing::TestParamInfo<ImportCrash>& info) {
      return info.param.point.substr(7);
    });

}  // namespace
}  // namespace hashwatch::review_api
