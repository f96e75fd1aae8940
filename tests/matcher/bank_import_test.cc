// BankImport and AddEntries over import_memory_entries: the staged path
// (on-disk sort, table files ingested at once) must give exactly what the
// one-batch path gives, and nothing before it commits.
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "matcher/bank_store.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch::matcher {
namespace {

using ::hashwatch::testing::StatusIs;
using ::hashwatch::testing::TempDir;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

std::string RandomHex(std::mt19937& rng, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < digits; ++i) s.push_back(kHex[rng() % 16]);
  return s;
}

// A list with PDQ and MD5 entries, categories, sources, metadata, and
// values listed more than once (some identical, some with other fields).
std::vector<NewEntry> MixedList(std::mt19937& rng, int n) {
  std::vector<NewEntry> out;
  for (int i = 0; i < n; ++i) {
    NewEntry e;
    if (i % 5 == 4) {
      e.signal = SignalType::kMd5;
      e.value = RandomHex(rng, 32);
    } else {
      e.signal = SignalType::kPdq;
      e.value = RandomHex(rng, 64);
    }
    e.category = std::string(1, static_cast<char>('A' + rng() % 3));
    if (i % 3 == 0) e.source = "list-" + std::to_string(i % 7);
    if (i % 11 == 0)
      e.metadata_json = "{\"quality\":" + std::to_string(rng() % 100) + "}";
    out.push_back(e);
    if (i % 13 == 0) out.push_back(e);  // the same line twice
    if (i % 17 == 0) {                  // the same value, other fields
      e.category = "B2";
      e.note = "relisted";
      out.push_back(e);
    }
  }
  return out;
}

// What a bank holds, in insertion order, without ids (which the two paths
// number differently: the staged one leaves gaps).
using Row = std::tuple<int, std::string, std::string, std::string, std::string,
                       std::string, int64_t>;
std::vector<Row> Contents(const BankStore& store, const std::string& bank) {
  std::vector<Row> rows;
  EXPECT_OK(store.ForEachEntry(bank, [&](const BankEntry& e) {
    rows.emplace_back(static_cast<int>(e.signal), e.value, e.category, e.source,
                      e.note, e.metadata_json, absl::ToUnixMicros(e.added));
    return absl::OkStatus();
  }));
  return rows;
}

void ExpectSameResult(const WriteResult& a, const WriteResult& b) {
  EXPECT_EQ(a.added, b.added);
  EXPECT_EQ(a.updated, b.updated);
  EXPECT_EQ(a.unchanged, b.unchanged);
}

class BankImportTest : public ::testing::Test {
 protected:
  std::unique_ptr<BankStore> Open(const std::string& name,
                                  size_t memory_entries,
                                  bool load_index = true) {
    BankStoreOptions options;
    options.path = dir_.Sub(name);
    options.sync_writes = false;
    options.import_memory_entries = memory_entries;
    options.load_index = load_index;
    absl::StatusOr<std::unique_ptr<BankStore>> s =
        BankStore::Open(options, &clock_);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }

  size_t StagingFiles(const std::string& name) {
    std::error_code ec;
    size_t n = 0;
    for (auto it = std::filesystem::recursive_directory_iterator(
             dir_.Sub(name) + "/import-staging", ec);
         !ec && it != std::filesystem::recursive_directory_iterator();
         it.increment(ec)) {
      ++n;
    }
    return n;
  }

  TempDir dir_;
  FakeClock clock_;
  std::mt19937 rng_{7};
};

TEST_F(BankImportTest, StagedImportsGiveWhatOneBatchGives) {
  auto batched = Open("batched", 1'000'000);
  auto staged = Open("staged", 16);  // anything over 16 entries is staged
  for (BankStore* s : {batched.get(), staged.get()}) {
    ASSERT_OK(s->CreateBank("list", BankKind::kMatch, {}).status());
    ASSERT_OK(s->CreateBank("other", BankKind::kMatch, {}).status());
  }
  const std::vector<NewEntry> first = MixedList(rng_, 600);
  // The second list repeats half of the first, changes some of it, adds more.
  std::vector<NewEntry> second(first.begin(), first.begin() + first.size() / 2);
  for (size_t i = 0; i < second.size(); i += 4) second[i].category = "C9";
  for (size_t i = 1; i < second.size(); i += 8) second[i].note = "seen again";
  for (const NewEntry& e : MixedList(rng_, 300)) second.push_back(e);

  for (const auto& list : {first, first, second}) {
    clock_.Advance(absl::Seconds(1));
    ASSERT_OK_AND_ASSIGN(WriteResult a, batched->AddEntries("list", list));
    ASSERT_OK_AND_ASSIGN(WriteResult b, staged->AddEntries("list", list));
    ExpectSameResult(a, b);
    EXPECT_THAT(Contents(*staged, "list"),
                ElementsAreArray(Contents(*batched, "list")));
    ASSERT_OK_AND_ASSIGN(BankStats sa, batched->Stats("list"));
    ASSERT_OK_AND_ASSIGN(BankStats sb, staged->Stats("list"));
    EXPECT_EQ(sa.entries, sb.entries);
    EXPECT_EQ(sa.by_signal, sb.by_signal);
    EXPECT_EQ(sa.by_category, sb.by_category);
  }
  // The second import into the same bank found every repeat: nothing twice.
  ASSERT_OK_AND_ASSIGN(BankStats stats, staged->Stats("list"));
  EXPECT_EQ(stats.entries,
            static_cast<int64_t>(Contents(*staged, "list").size()));
  // Idempotent: the same list again changes nothing, and says so.
  ASSERT_OK_AND_ASSIGN(WriteResult again, staged->AddEntries("list", second));
  EXPECT_EQ(again.added, 0u);
  EXPECT_EQ(again.updated, 0u);
  EXPECT_EQ(again.unchanged, second.size());

  // Both match the same, by PDQ and by exact hash; other banks are untouched.
  for (const NewEntry& e : second) {
    if (e.signal == SignalType::kPdq) {
      ASSERT_OK_AND_ASSIGN(PdqHash h, PdqHash::FromHex(e.value));
      ASSERT_OK_AND_ASSIGN(std::vector<Match> ma, batched->MatchPdq({h}, 0));
      ASSERT_OK_AND_ASSIGN(std::vector<Match> mb, staged->MatchPdq({h}, 0));
      ASSERT_THAT(mb, SizeIs(ma.size()));
      ASSERT_THAT(mb, SizeIs(1));
      EXPECT_EQ(mb[0].entry.category, ma[0].entry.category);
      EXPECT_EQ(mb[0].entry.note, ma[0].entry.note);
    } else {
      ASSERT_OK_AND_ASSIGN(std::vector<Match> mb,
                           staged->MatchExact(e.signal, e.value));
      EXPECT_THAT(mb, SizeIs(1));
    }
  }
  EXPECT_THAT(Contents(*staged, "other"), IsEmpty());
  EXPECT_EQ(StagingFiles("staged"), 0u);  // each import deleted its staging
}

TEST_F(BankImportTest, StagedImportSurvivesReopenAndNumbersAfterItself) {
  const std::vector<NewEntry> list = MixedList(rng_, 400);
  std::vector<Row> before;
  {
    auto store = Open("db", 10);
    ASSERT_OK(store->CreateBank("list", BankKind::kMatch, {}).status());
    ASSERT_OK(store->AddEntries("list", list).status());
    before = Contents(*store, "list");
  }
  auto store = Open("db", 10);
  EXPECT_THAT(Contents(*store, "list"), ElementsAreArray(before));
  EXPECT_EQ(store->IndexedPdqEntries(), 320u);  // 4 of each 5 values are PDQ
  // A small add after a staged one gets ids after it: insertion order holds.
  NewEntry last;
  last.signal = SignalType::kMd5;
  last.value = RandomHex(rng_, 32);
  ASSERT_OK_AND_ASSIGN(WriteResult r, store->AddEntries("list", {last}));
  EXPECT_EQ(r.added, 1u);
  std::vector<Row> after = Contents(*store, "list");
  ASSERT_THAT(after, SizeIs(before.size() + 1));
  EXPECT_EQ(std::get<1>(after.back()), last.value);
}

TEST_F(BankImportTest,
       NothingIsVisibleBeforeCommitAndAnAbandonedImportLeavesNothing) {
  auto store = Open("db", 8);
  ASSERT_OK(store->CreateBank("list", BankKind::kMatch, {}).status());
  const std::vector<NewEntry> list = MixedList(rng_, 200);
  ASSERT_OK_AND_ASSIGN(PdqHash probe, PdqHash::FromHex(list[0].value));
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<BankImport> import,
                         store->StartImport("list"));
    for (const NewEntry& e : list) ASSERT_OK(import->Add(e));
    EXPECT_EQ(import->size(), list.size());
    EXPECT_GT(StagingFiles("db"), 0u);  // staged on disk, not in memory
    EXPECT_THAT(Contents(*store, "list"), IsEmpty());
    ASSERT_OK_AND_ASSIGN(std::vector<Match> m, store->MatchPdq({probe}, 0));
    EXPECT_THAT(m, IsEmpty());
  }  // abandoned
  EXPECT_THAT(Contents(*store, "list"), IsEmpty());
  EXPECT_EQ(StagingFiles("db"), 0u);

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<BankImport> import,
                       store->StartImport("list"));
  for (const NewEntry& e : list) ASSERT_OK(import->Add(e));
  ASSERT_OK_AND_ASSIGN(WriteResult r, import->Commit());
  EXPECT_EQ(r.added, 200u);
  ASSERT_OK_AND_ASSIGN(std::vector<Match> m, store->MatchPdq({probe}, 0));
  EXPECT_THAT(m, SizeIs(1));
  EXPECT_THAT(import->Commit(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(BankImportTest, ABadEntryFailsTheWholeImportByNumber) {
  auto store = Open("db", 8);
  ASSERT_OK(store->CreateBank("list", BankKind::kMatch, {}).status());
  std::vector<NewEntry> list = MixedList(rng_, 100);
  const std::string good = list[56].value;
  list[56].value = "not-a-hash";
  EXPECT_THAT(
      store->AddEntries("list", list),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("entry 57")));
  list[56].value = good;
  list[70].category = std::string(65, 'x');
  EXPECT_THAT(
      store->AddEntries("list", list),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("entry 71")));
  EXPECT_THAT(Contents(*store, "list"), IsEmpty());
  EXPECT_EQ(StagingFiles("db"), 0u);

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<BankImport> import,
                       store->StartImport("list"));
  NewEntry bad;
  bad.signal = SignalType::kSha1;
  bad.value = "12";
  EXPECT_THAT(import->Add(bad), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(import->Add(list[0]),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(import->Commit(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store->StartImport("missing"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(BankImportTest, OverTheEntryLimitIsRefused) {
  BankStoreOptions options;
  options.path = dir_.Sub("db");
  options.sync_writes = false;
  options.import_memory_entries = 8;
  options.max_entries_per_import = 50;
  ASSERT_OK_AND_ASSIGN(auto store, BankStore::Open(options, &clock_));
  ASSERT_OK(store->CreateBank("list", BankKind::kMatch, {}).status());
  EXPECT_THAT(store->AddEntries("list", MixedList(rng_, 60)),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("split the list")));
  EXPECT_THAT(Contents(*store, "list"), IsEmpty());
}

TEST_F(BankImportTest, ALargeImportIsInTableFilesNotInTheLog) {
  BankStoreOptions options;
  options.path = dir_.Sub("db");
  options.sync_writes = true;
  options.load_index = false;
  options.import_memory_entries = 1000;
  std::vector<NewEntry> list;
  for (int i = 0; i < 100'000; ++i) {
    NewEntry e;
    e.value = RandomHex(rng_, 64);
    e.category = "A1";
    e.source = "a hotline's list, relisted every night";
    list.push_back(std::move(e));
  }
  {
    ASSERT_OK_AND_ASSIGN(auto store, BankStore::Open(options, &clock_));
    ASSERT_OK(store->CreateBank("list", BankKind::kMatch, {}).status());
    ASSERT_OK_AND_ASSIGN(WriteResult r, store->AddEntries("list", list));
    EXPECT_EQ(r.added, list.size());
    EXPECT_THAT(store->MatchPdq({}, 0),
                StatusIs(absl::StatusCode::kFailedPrecondition));
  }
  // About 10 MB of entries, and the write-ahead logs hold a few KB: a
  // restart has nothing of the import to replay.
  uintmax_t log_bytes = 0;
  for (const auto& f : std::filesystem::directory_iterator(options.path)) {
    if (f.path().extension() == ".log") log_bytes += f.file_size();
  }
  EXPECT_LT(log_bytes, 64u << 10);
  options.load_index = true;
  ASSERT_OK_AND_ASSIGN(auto store, BankStore::Open(options, &clock_));
  EXPECT_EQ(store->IndexedPdqEntries(), list.size());
}

TEST_F(BankImportTest, OpenCancelledWhileLoading) {
  {
    auto store = Open("db", 8);
    ASSERT_OK(store->CreateBank("list", BankKind::kMatch, {}).status());
    std::vector<NewEntry> list;
    for (int i = 0; i < 70'000; ++i) {
      NewEntry e;
      e.value = RandomHex(rng_, 64);
      list.push_back(std::move(e));
    }
    ASSERT_OK(store->AddEntries("list", list).status());
  }
  BankStoreOptions options;
  options.path = dir_.Sub("db");
  int polls = 0;
  options.cancel_load = [&] { return ++polls >= 1; };
  EXPECT_THAT(BankStore::Open(options, &clock_),
              StatusIs(absl::StatusCode::kCancelled));
  EXPECT_GE(polls, 1);
  options.cancel_load = [] { return false; };
  ASSERT_OK_AND_ASSIGN(auto store, BankStore::Open(options, &clock_));
  EXPECT_EQ(store->IndexedPdqEntries(), 70'000u);
}

// The state an entry is imported with (what `bank export` carries) is
// stored as DisableEntry stores it, on the one-batch and the staged path
// alike; a list that does not give one leaves the state as it is.
class ImportedStateTest : public BankImportTest,
                          public ::testing::WithParamInterface<size_t> {
 protected:
  NewEntry Entry(SignalType signal, std::optional<absl::Time> until) {
    NewEntry e;
    e.signal = signal;
    e.value = RandomHex(rng_, SignalHexDigits(signal));
    e.category = "A";
    e.disabled_until = until;
    return e;
  }
  // Entries (in insertion order) matched now by their own hash.
  std::vector<bool> Matching(const BankStore& store,
                             const std::vector<NewEntry>& list) {
    std::vector<bool> out;
    for (const NewEntry& e : list) {
      absl::StatusOr<std::vector<Match>> m;
      if (e.signal == SignalType::kPdq) {
        m = store.MatchPdq({*PdqHash::FromHex(e.value)}, 0);
      } else {
        m = store.MatchExact(e.signal, e.value);
      }
      EXPECT_TRUE(m.ok()) << m.status();
      out.push_back(m.ok() && !m->empty());
    }
    return out;
  }
  std::vector<absl::Time> States(const BankStore& store) {
    std::vector<absl::Time> out;
    EXPECT_OK(store.ForEachEntry("b", [&](const BankEntry& e) {
      out.push_back(e.disabled_until);
      return absl::OkStatus();
    }));
    return out;
  }
};

TEST_P(ImportedStateTest, AnImportedStateIsStoredAndAListWithoutOneKeepsIt) {
  auto store = Open("db", GetParam());
  ASSERT_OK(store->CreateBank("b", BankKind::kMatch, {}).status());
  // Microseconds are what the store keeps; nanoseconds are dropped.
  const absl::Time later =
      clock_.Now() + absl::Hours(2) + absl::Microseconds(123);
  std::vector<NewEntry> list = {
      Entry(SignalType::kPdq, absl::InfiniteFuture()),
      Entry(SignalType::kMd5, later + absl::Nanoseconds(400)),
      Entry(SignalType::kPdq, absl::InfinitePast()),
      Entry(SignalType::kSha256, std::nullopt)};
  ASSERT_OK_AND_ASSIGN(WriteResult r, store->AddEntries("b", list));
  EXPECT_EQ(r.added, 4u);
  EXPECT_THAT(States(*store), ::testing::ElementsAre(
                                  absl::InfiniteFuture(), later,
                                  absl::InfinitePast(), absl::InfinitePast()));
  EXPECT_THAT(Matching(*store, list),
              ::testing::ElementsAre(false, false, true, true));
  ASSERT_OK_AND_ASSIGN(BankStats stats, store->Stats("b"));
  EXPECT_EQ(stats.disabled, 2);

  // The same list again, or without states: nothing changes.
  ASSERT_OK_AND_ASSIGN(r, store->AddEntries("b", list));
  EXPECT_EQ(r.unchanged, 4u);
  std::vector<NewEntry> stateless = list;
  for (NewEntry& e : stateless) e.disabled_until.reset();
  ASSERT_OK_AND_ASSIGN(r, store->AddEntries("b", stateless));
  EXPECT_EQ(r.unchanged, 4u);
  EXPECT_THAT(Matching(*store, list),
              ::testing::ElementsAre(false, false, true, true));

  // Only the states change: updated, and matching follows.
  list[0].disabled_until = absl::InfinitePast();
  list[1].disabled_until = absl::InfiniteFuture();
  list[3].disabled_until = later;
  ASSERT_OK_AND_ASSIGN(r, store->AddEntries("b", list));
  EXPECT_EQ(r.updated, 3u);
  EXPECT_EQ(r.unchanged, 1u);
  EXPECT_THAT(Matching(*store, list),
              ::testing::ElementsAre(true, false, true, false));
  ASSERT_OK_AND_ASSIGN(stats, store->Stats("b"));
  EXPECT_EQ(stats.disabled, 2);

  // After a restart too, and a timed one runs out.
  store.reset();
  store = Open("db", GetParam());
  EXPECT_THAT(States(*store), ::testing::ElementsAre(
                                  absl::InfinitePast(), absl::InfiniteFuture(),
                                  absl::InfinitePast(), later));
  ASSERT_OK_AND_ASSIGN(stats, store->Stats("b"));
  EXPECT_EQ(stats.disabled, 2);
  clock_.Advance(absl::Hours(3));
  EXPECT_THAT(Matching(*store, list),
              ::testing::ElementsAre(true, false, true, true));
  EXPECT_EQ(StagingFiles("db"), 0u);
}

INSTANTIATE_TEST_SUITE_P(BatchedAndStaged, ImportedStateTest,
                         ::testing::Values(1'000'000, 1),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           return info.param == 1 ? "Staged" : "Batched";
                         });

}  // namespace
}  // namespace hashwatch::matcher
