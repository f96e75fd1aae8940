// A 1,000,000-entry `hashwatch bank import` killed with SIGKILL at points
// spread over all its steps (staging, merging, writing, making visible):
// afterwards the bank holds the whole list or none of it, and what an
// import staged is gone once the database is opened again. Then `serve`
// on the imported database, told to stop while it is still loading.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "matcher/bank_store.h"
#include "tests/testing/child_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch {
namespace {

using ::hashwatch::testing::BinaryPath;
using ::hashwatch::testing::ChildProcess;
using ::hashwatch::testing::ProcessResult;
using ::hashwatch::testing::RunProcess;
using ::hashwatch::testing::TempDir;
using ::testing::AnyOf;
using ::testing::HasSubstr;

constexpr int kEntries = 1'000'000;

// Writes a CSV of kEntries distinct random PDQ hashes; returns the first
// and last hash.
std::pair<std::string, std::string> WriteList(const std::string& path) {
  std::mt19937_64 rng(2026);
  std::string first, last;
  std::ofstream out(path);
  out << "hash,category\n";
  char line[80];
  for (int i = 0; i < kEntries; ++i) {
    std::snprintf(line, sizeof(line), "%016llx%016llx%016llx%016llx",
                  static_cast<unsigned long long>(rng()),
                  static_cast<unsigned long long>(rng()),
                  static_cast<unsigned long long>(rng()),
                  static_cast<unsigned long long>(rng()));
    if (i == 0) first = line;
    last = line;
    out << line << (i % 2 ? ",A1\n" : ",B2\n");
  }
  return {first, last};
}

// What the bank holds after the process ended: its entry count, checked
// against the entries themselves, and the first and last values.
struct BankState {
  int64_t entries = 0;
  int64_t listed = 0;
  std::string first, last;
};

BankState ReadBank(const std::string& db) {
  matcher::BankStoreOptions options;
  options.path = db + "/banks";
  options.load_index = false;
  FakeClock clock;
  absl::StatusOr<std::unique_ptr<matcher::BankStore>> store =
      matcher::BankStore::Open(options, &clock);
  BankState state;
  EXPECT_TRUE(store.ok()) << store.status();
  if (!store.ok()) return state;
  absl::StatusOr<matcher::BankStats> stats = (*store)->Stats("big");
  EXPECT_TRUE(stats.ok()) << stats.status();
  if (stats.ok()) state.entries = stats->entries;
  EXPECT_OK((*store)->ForEachEntry("big", [&](const matcher::BankEntry& e) {
    if (state.listed++ == 0) state.first = e.value;
    state.last = e.value;
    return absl::OkStatus();
  }));
  // Opening deleted what the killed import had staged.
  EXPECT_FALSE(std::filesystem::exists(db + "/banks/import-staging"));
  return state;
}

TEST(ImportCrashTest, KilledAnywhereTheBankHoldsAllOrNothing) {
  TempDir dir;
  const std::string list = dir.Sub("list.csv");
  const auto [first, last] = WriteList(list);
  // Where to kill: after one of these progress lines, and then after a
  // further random 0-300 ms (the random point within that step).
  const std::vector<std::string> after = {"250000 entries staged",
                                          "500000 entries staged",
                                          "750000 entries staged",
                                          "1000000 entries staged",
                                          "merging",
                                          "merging",
                                          "writing entries",
                                          "writing entries",
                                          "making the import visible",
                                          "making the import visible"};
  std::mt19937 rng(::testing::UnitTest::GetInstance()->random_seed());
  int whole = 0, none = 0;
  for (size_t run = 0; run < after.size(); ++run) {
    SCOPED_TRACE(
        absl::StrCat("kill after \"", after[run], "\" (run ", run, ")"));
    const std::string db = dir.Sub(absl::StrCat("db", run));
    ProcessResult created = RunProcess(
        {BinaryPath("hashwatch"), "bank", "create", "big", "--db", db});
    ASSERT_EQ(created.exit_code, 0) << created.err;
    ChildProcess child({BinaryPath("hashwatch"), "bank", "import", "big", list,
                        "--signal", "pdq", "--db", db},
                       ChildProcess::Stream::kStderr);
    ASSERT_TRUE(child.started());
    std::string line;
    bool seen = false;
    while (!seen && child.ReadLine(&line))
      seen = line.find(after[run]) != std::string::npos;
    // Not synchronisation: the progress line marks the start of a step, and
    // this random delay picks the moment inside that step for the kill (the
    // import announces nothing within a step, so no event could pick it).
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 300));
    child.Kill(SIGKILL);
    const int code = child.Wait();
    const BankState state = ReadBank(db);
    EXPECT_EQ(state.listed, state.entries);
    if (state.entries == kEntries) {
      ++whole;
      EXPECT_EQ(state.first, first);
      EXPECT_EQ(state.last, last);
    } else {
      EXPECT_EQ(state.entries, 0) << "a half-imported list";
      EXPECT_TRUE(seen) << "the import ended before the kill, exit " << code;
      ++none;
    }
  }
  std::printf("killed imports: %d whole, %d none\n", whole, none);
  EXPECT_GT(none, 0);  // the kills did land inside the import

  // One run to the end, and its re-import finds everything there.
  const std::string db = dir.Sub("complete");
  ASSERT_EQ(
      RunProcess({BinaryPath("hashwatch"), "bank", "create", "big", "--db", db})
          .exit_code,
      0);
  ProcessResult done = RunProcess({BinaryPath("hashwatch"), "bank", "import",
                                   "big", list, "--signal", "pdq", "--db", db});
  ASSERT_EQ(done.exit_code, 0) << done.err;
  EXPECT_THAT(done.out, HasSubstr("1000000 added"));
  EXPECT_THAT(
      done.err,
      HasSubstr("making the import visible (1000000 added, 0 updated)"));
  ProcessResult again =
      RunProcess({BinaryPath("hashwatch"), "bank", "import", "big", list,
                  "--signal", "pdq", "--db", db});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("0 added, 0 updated, 1000000 unchanged"));

  // `serve` stops when told to while it loads the 1M-entry index, and says so.
  ChildProcess server({BinaryPath("hashwatch"), "serve", "--plaintext", "--db",
                       db, "--listen", "127.0.0.1:0"},
                      ChildProcess::Stream::kStderr);
  std::vector<std::string> log;
  std::string line;
  while (server.ReadLine(&line)) {
    log.push_back(line);
    if (line.find("opening database") != std::string::npos) break;
  }
  server.Kill(SIGTERM);
  while (server.ReadLine(&line)) log.push_back(line);
  EXPECT_EQ(server.Wait(), 0);
  const std::string text = absl::StrJoin(log, "\n");
  EXPECT_THAT(text, HasSubstr("SIGTERM while loading: stopped before serving"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("serving on")));
}

}  // namespace
}  // namespace hashwatch
