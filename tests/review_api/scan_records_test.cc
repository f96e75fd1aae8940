#include "review_api/scan_records.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/internal/endian.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch::review_api {
namespace {

using ::hashwatch::testing::IsOkAndHolds;
using ::hashwatch::testing::StatusIs;
using ::testing::Optional;

TEST(ScanRecordsTest, ExpiredRecordsVanishAtOnceAndArePurgedFromDisk) {
  hashwatch::testing::TempDir dir;
  FakeClock clock;
  {
    ASSERT_OK_AND_ASSIGN(auto records,
                         ScanRecords::Open({.path = dir.Sub("scans")}, &clock));
    ASSERT_OK(records->Put("short", "no-match answer",
                           clock.Now() + absl::Hours(24), false));
    ASSERT_OK(
        records->Put("kept", "report answer", absl::InfiniteFuture(), true));
    EXPECT_THAT(records->Get("short"),
                IsOkAndHolds(Optional(std::string("no-match answer"))));
    EXPECT_THAT(records->Get("unknown"), IsOkAndHolds(std::nullopt));
    clock.Advance(absl::Hours(24));
    EXPECT_THAT(records->Get("short"), IsOkAndHolds(std::nullopt));
    EXPECT_THAT(records->Get("kept"),
                IsOkAndHolds(Optional(std::string("report answer"))));
    EXPECT_THAT(records->PurgeExpired(), IsOkAndHolds(1));
    EXPECT_THAT(records->PurgeExpired(), IsOkAndHolds(0));
  }
  // Reopened: the purge was durable, the kept record is there.
  clock.Set(
      absl::FromUnixSeconds(1'600'000'000));  // even with the clock moved back
  ASSERT_OK_AND_ASSIGN(auto records,
                       ScanRecords::Open({.path = dir.Sub("scans")}, &clock));
  EXPECT_THAT(records->Get("short"), IsOkAndHolds(std::nullopt));
  EXPECT_THAT(records->Get("kept"),
              IsOkAndHolds(Optional(std::string("report answer"))));
}

TEST(ScanRecordsTest, RevealPreviewsByItemAndASecondOpenerIsRefused) {
  hashwatch::testing::TempDir dir;
  FakeClock clock;
  ASSERT_OK_AND_ASSIGN(auto records,
                       ScanRecords::Open({.path = dir.Sub("scans")}, &clock));
  EXPECT_THAT(records->GetRevealPreview(7),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(records->PutRevealPreview(7, std::string("\xff\xd8jpeg", 6)));
  EXPECT_THAT(records->GetRevealPreview(7),
              IsOkAndHolds(std::string("\xff\xd8jpeg", 6)));
  EXPECT_THAT(records->GetRevealPreview(8),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ScanRecords::Open({.path = dir.Sub("scans")}, &clock),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST(ScanRecordsTest, PurgeDeletesExactlyTheRecordsExpiredByNow) {
  hashwatch::testing::TempDir dir;
  FakeClock clock;
  const absl::Time t0 = clock.Now();
  ASSERT_OK_AND_ASSIGN(auto records,
                       ScanRecords::Open({.path = dir.Sub("scans")}, &clock));
  ASSERT_OK(records->Put("past", "p", t0 - absl::Seconds(1), false));
  ASSERT_OK(records->Put("before-1970", "p", absl::InfinitePast(), false));
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK(records->Put(absl::StrCat("hour-", i), "h", t0 + absl::Hours(1),
                           false));
  }
  ASSERT_OK(records->Put("two-hours-a", "2", t0 + absl::Hours(2), false));
  ASSERT_OK(records->Put("two-hours-b", "2", t0 + absl::Hours(2), false));
  ASSERT_OK(records->Put("kept-a", "k", absl::InfiniteFuture(), false));
  ASSERT_OK(records->Put("kept-b", "k", absl::InfiniteFuture(), false));

  EXPECT_THAT(records->PurgeExpired(),
              IsOkAndHolds(2));  // "past" and "before-1970"
  clock.Set(t0 + absl::Hours(1) - absl::Microseconds(1));
  EXPECT_THAT(records->PurgeExpired(), IsOkAndHolds(0));
  EXPECT_THAT(records->Get("hour-0"), IsOkAndHolds(Optional(std::string("h"))));
  clock.Set(t0 +
            absl::Hours(1));  // expiring at now counts as expired, as in Get
  EXPECT_THAT(records->PurgeExpired(), IsOkAndHolds(3));
  EXPECT_THAT(records->PurgeExpired(), IsOkAndHolds(0));
  EXPECT_THAT(records->Get("two-hours-a"),
              IsOkAndHolds(Optional(std::string("2"))));
  clock.Set(t0 + absl::Hours(100));
  EXPECT_THAT(records->PurgeExpired(), IsOkAndHolds(2));
  EXPECT_THAT(records->PurgeExpired(), IsOkAndHolds(0));

  // Purged from the store, not only hidden: with the clock moved back they
  // are still gone, and the kept ones are still there.
  clock.Set(t0 - absl::Hours(1));
  for (const char* id : {"past", "hour-0", "hour-2", "two-hours-b"}) {
    EXPECT_THAT(records->Get(id), IsOkAndHolds(std::nullopt)) << id;
  }
  EXPECT_THAT(records->Get("kept-a"), IsOkAndHolds(Optional(std::string("k"))));
  EXPECT_THAT(records->Get("kept-b"), IsOkAndHolds(Optional(std::string("k"))));
  EXPECT_THAT(records->Get("two-hours-a"), IsOkAndHolds(std::nullopt));

  // Put after a pass, expiring before the time that pass purged up to (the
  // clock moved back): the next pass still finds it.
  ASSERT_OK(records->Put("after-pass", "a", t0 + absl::Hours(1), false));
  clock.Set(t0 + absl::Hours(1));
  EXPECT_THAT(records->PurgeExpired(), IsOkAndHolds(1));
  EXPECT_THAT(records->Get("kept-a"), IsOkAndHolds(Optional(std::string("k"))));
}

TEST(ScanRecordsTest, ARePutMovesTheExpiry) {
  hashwatch::testing::TempDir dir;
  FakeClock clock;
  const absl::Time t0 = clock.Now();
  ASSERT_OK_AND_ASSIGN(auto records,
                       ScanRecords::Open({.path = dir.Sub("scans")}, &clock));
  ASSERT_OK(records->Put("later", "1", t0 + absl::Hours(1), false));
  ASSERT_OK(records->Put("later", "2", t0 + absl::Hours(3), false));
  ASSERT_OK(records->Put("to-kept", "1", t0 + absl::Hours(1), false));
  ASSERT_OK(records->Put("to-kept", "2", absl::InfiniteFuture(), false));
  ASSERT_OK(records->Put("from-kept", "1", absl::InfiniteFuture(), false));
  ASSERT_OK(records->Put("from-kept", "2", t0 + absl::Hours(1), false));
  ASSERT_OK(records->Put("earlier", "1", t0 + absl::Hours(3), false));
  ASSERT_OK(records->Put("earlier", "2", t0 + absl::Hours(1), false));
  ASSERT_OK(records->Put("same", "1", t0 + absl::Hours(1), false));
  ASSERT_OK(records->Put("same", "2", t0 + absl::Hours(1), false));

  clock.Set(t0 + absl::Hours(1));
  EXPECT_THAT(records->PurgeExpired(),
              IsOkAndHolds(3));  // from-kept, earlier, same
  EXPECT_THAT(records->Get("later"), IsOkAndHolds(Optional(std::string("2"))));
  EXPECT_THAT(records->Get("to-kept"),
              IsOkAndHolds(Optional(std::string("2"))));

  // The moved expiries survive a reopen; the old ones are gone for good.
  records.reset();
  ASSERT_OK_AND_ASSIGN(records,
                       ScanRecords::Open({.path = dir.Sub("scans")}, &clock));
  EXPECT_THAT(records->PurgeExpired(), IsOkAndHolds(0));
  clock.Set(t0 + absl::Hours(3));
  EXPECT_THAT(records->PurgeExpired(),
              IsOkAndHolds(1));  // later; not "earlier" again
  clock.Set(t0 + absl::Hours(1000));
  EXPECT_THAT(records->PurgeExpired(), IsOkAndHolds(0));
  EXPECT_THAT(records->Get("to-kept"),
              IsOkAndHolds(Optional(std::string("2"))));
  clock.Set(t0);
  for (const char* id : {"later", "from-kept", "earlier", "same"}) {
    EXPECT_THAT(records->Get(id), IsOkAndHolds(std::nullopt)) << id;
  }
}

TEST(ScanRecordsTest, PurgedRecordsStayGoneAfterReopenAndTheIndexIsKept) {
  hashwatch::testing::TempDir dir;
  FakeClock clock;
  const absl::Time t0 = clock.Now();
  {
    ASSERT_OK_AND_ASSIGN(auto records,
                         ScanRecords::Open({.path = dir.Sub("scans")}, &clock));
    for (int i = 0; i < 100; ++i) {
      ASSERT_OK(
          records->Put(absl::StrCat("a", i), "x", t0 + absl::Hours(1), false));
      ASSERT_OK(
          records->Put(absl::StrCat("b", i), "x", t0 + absl::Hours(2), false));
    }
    ASSERT_OK(records->Put("kept", "k", absl::InfiniteFuture(), false));
    clock.Set(t0 + absl::Hours(1));
    EXPECT_THAT(records->PurgeExpired(), IsOkAndHolds(100));
  }
  clock.Set(t0);  // before any expiry: a record still stored would be returned
  {
    ASSERT_OK_AND_ASSIGN(auto records,
                         ScanRecords::Open({.path = dir.Sub("scans")}, &clock));
    for (int i = 0; i < 100; ++i) {
      EXPECT_THAT(records->Get(absl::StrCat("a", i)),
                  IsOkAndHolds(std::nullopt))
          << i;
      EXPECT_THAT(records->Get(absl::StrCat("b", i)),
                  IsOkAndHolds(Optional(std::string("x"))));
    }
    clock.Set(t0 + absl::Hours(1));
    EXPECT_THAT(records->PurgeExpired(), IsOkAndHolds(0));
    clock.Set(t0 + absl::Hours(2));
    EXPECT_THAT(records->PurgeExpired(), IsOkAndHolds(100));
    EXPECT_THAT(records->Get("kept"), IsOkAndHolds(Optional(std::string("k"))));
  }
}

TEST(ScanRecordsTest, PurgesManyRecordsAcrossBatches) {
  hashwatch::testing::TempDir dir;
  FakeClock clock;
  const absl::Time t0 = clock.Now();
  const absl::Time t1 = t0 + absl::Hours(1);
  ASSERT_OK_AND_ASSIGN(auto records,
                       ScanRecords::Open({.path = dir.Sub("scans")}, &clock));
  // 25,000 at one instant (batches end in the middle of one expiry), 2,000
  // a microsecond later, and a few after.
  for (int i = 0; i < 25'000; ++i) {
    ASSERT_OK(records->Put(absl::StrCat("t1-", i), "x", t1, false));
    if (i % 10 == 0) {
      ASSERT_OK(records->Put(absl::StrCat("t1+1us-", i), "x",
                             t1 + absl::Microseconds(1), false));
    }
  }
  ASSERT_OK(records->Put("later", "x", t1 + absl::Seconds(1), false));
  clock.Set(t1);
  EXPECT_THAT(records->PurgeExpired(), IsOkAndHolds(25'000));
  EXPECT_THAT(records->PurgeExpired(), IsOkAndHolds(0));
  clock.Set(t1 + absl::Microseconds(1));
  EXPECT_THAT(records->PurgeExpired(), IsOkAndHolds(2'500));
  clock.Set(t0);
  for (int i = 0; i < 25'000; i += 997) {
    EXPECT_THAT(records->Get(absl::StrCat("t1-", i)),
                IsOkAndHolds(std::nullopt))
        << i;
  }
  EXPECT_THAT(records->Get("t1-24999"), IsOkAndHolds(std::nullopt));
  EXPECT_THAT(records->Get("later"), IsOkAndHolds(Optional(std::string("x"))));
}

// Writes records straight into the RocksDB database at `path`, in the
// format of the version before the expiry index (value = 8-byte big-endian
// expiry + answer), to whatever column families it has; a new database gets
// that version's two (default, reveal).
void WriteOldRecords(
    const std::string& path,
    const std::vector<std::pair<std::string, int64_t>>& records) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  std::vector<std::string> names;
  if (!rocksdb::DB::ListColumnFamilies(options, path, &names).ok()) {
    names = {rocksdb::kDefaultColumnFamilyName, "reveal"};
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const std::string& name : names)
    cfs.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, path, cfs, &handles, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  for (const auto& [id, expires_us] : records) {
    std::string value(8, '\0');
    absl::big_endian::Store64(value.data(), static_cast<uint64_t>(expires_us));
    value += "answer of " + id;
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[0], id, value).ok());
  }
  for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
  ASSERT_TRUE(db->Close().ok());
}

TEST(ScanRecordsTest, OpenIndexesTheRecordsOfAnOlderDatabaseOnce) {
  hashwatch::testing::TempDir dir;
  const std::string path = dir.Sub("scans");
  FakeClock clock;
  const absl::Time t0 = clock.Now();
  const int64_t now_us = absl::ToUnixMicros(t0);
  const int64_t hour_us = int64_t{3600} * 1'000'000;
  std::vector<std::pair<std::string, int64_t>> old;
  for (int i = 0; i < 30; ++i)
    old.emplace_back(absl::StrCat("expired-", i), now_us - hour_us);
  for (int i = 0; i < 20; ++i)
    old.emplace_back(absl::StrCat("in-an-hour-", i), now_us + hour_us);
  old.emplace_back("kept", INT64_MAX);
  ASSERT_NO_FATAL_FAILURE(WriteOldRecords(path, old));
  {
    // The old version's reveal previews are still read.
    rocksdb::Options options;
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(
                    options, path,
                    {{rocksdb::kDefaultColumnFamilyName, {}}, {"reveal", {}}},
                    &handles, &raw)
                    .ok());
    std::string item(8, '\0');
    absl::big_endian::Store64(item.data(), 7);
    ASSERT_TRUE(
        raw->Put(rocksdb::WriteOptions(), handles[1], item, "jpeg").ok());
    ASSERT_TRUE(
        raw->Put(rocksdb::WriteOptions(), handles[0], "malformed", "abc").ok());
    for (auto* h : handles) ASSERT_TRUE(raw->DestroyColumnFamilyHandle(h).ok());
    ASSERT_TRUE(raw->Close().ok());
    delete raw;
  }

  {
    ASSERT_OK_AND_ASSIGN(auto records,
                         ScanRecords::Open({.path = path}, &clock));
    EXPECT_THAT(records->GetRevealPreview(7),
                IsOkAndHolds(std::string("jpeg")));
    EXPECT_THAT(records->Get("in-an-hour-3"),
                IsOkAndHolds(Optional(std::string("answer of in-an-hour-3"))));
    EXPECT_THAT(records->PurgeExpired(), IsOkAndHolds(30));
    EXPECT_THAT(records->Get("in-an-hour-3"),
                IsOkAndHolds(Optional(std::string("answer of in-an-hour-3"))));
    clock.Set(t0 + absl::Hours(1));
    EXPECT_THAT(records->PurgeExpired(), IsOkAndHolds(20));
    EXPECT_THAT(records->Get("kept"),
                IsOkAndHolds(Optional(std::string("answer of kept"))));
    EXPECT_THAT(records->Get("malformed"),
                StatusIs(absl::StatusCode::kDataLoss));
    // An indexed old record's expiry moves on a re-Put like any other.
    ASSERT_OK(records->Put("kept", "new answer", t0 + absl::Hours(2), false));
  }
  clock.Set(t0);
  // A record slipped in behind the store's back after the first Open is not
  // indexed by later ones: the whole-database pass ran once.
  ASSERT_NO_FATAL_FAILURE(
      WriteOldRecords(path, {{"unindexed", now_us + hour_us}}));
  ASSERT_OK_AND_ASSIGN(auto records, ScanRecords::Open({.path = path}, &clock));
  EXPECT_THAT(records->Get("expired-0"), IsOkAndHolds(std::nullopt));
  EXPECT_THAT(records->Get("in-an-hour-0"), IsOkAndHolds(std::nullopt));
  clock.Set(t0 + absl::Hours(2));
  EXPECT_THAT(records->PurgeExpired(),
              IsOkAndHolds(1));  // "kept" at its new time only
}

// Many Puts of the same few ids at once, each with its own expiry: the one
// that lands last decides the record's expiry, and no other leaves an
// expiry key behind that would purge it.
TEST(ScanRecordsTest, ConcurrentPutsOfOneIdLeaveOnlyTheLastExpiry) {
  hashwatch::testing::TempDir dir;
  FakeClock clock;
  const absl::Time t0 = clock.Now();
  ASSERT_OK_AND_ASSIGN(auto records,
                       ScanRecords::Open({.path = dir.Sub("scans")}, &clock));
  constexpr int kIds = 2;
  std::vector<std::thread> writers;
  for (int w = 0; w < 8; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < 1'000; ++i) {
        // Every expiry distinct: a stale expiry key is never cleaned up by
        // chance by a later Put that happens to reuse its time.
        const absl::Time expires =
            i % 7 == 0 ? absl::InfiniteFuture()
                       : t0 + absl::Microseconds(1 + w * 1'000 + i);
        EXPECT_OK(
            records->Put(absl::StrCat("id-", i % kIds), "x", expires, false));
      }
    });
  }
  for (auto& t : writers) t.join();
  for (int k = 0; k < kIds; ++k) {
    ASSERT_OK(records->Put(absl::StrCat("id-", k), "final",
                           absl::InfiniteFuture(), false));
  }
  clock.Set(t0 + absl::Hours(1));
  EXPECT_THAT(records->PurgeExpired(), IsOkAndHolds(0));
  for (int k = 0; k < kIds; ++k) {
    EXPECT_THAT(records->Get(absl::StrCat("id-", k)),
                IsOkAndHolds(Optional(std::string("final"))));
  }
}

// Purges running while records that have just expired are put again to be
// kept: a purge never deletes the record that replaced the one it found.
TEST(ScanRecordsTest, APurgeRacingARePutNeverDeletesTheNewRecord) {
  hashwatch::testing::TempDir dir;
  FakeClock clock;
  const absl::Time t0 = clock.Now();
  ASSERT_OK_AND_ASSIGN(auto records,
                       ScanRecords::Open({.path = dir.Sub("scans")}, &clock));
  std::atomic<bool> done{false};
  std::thread purger([&] {
    while (!done.load()) EXPECT_OK(records->PurgeExpired().status());
  });
  std::vector<std::thread> writers;
  for (int w = 0; w < 2; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < 3'000; ++i) {
        const std::string id = absl::StrCat(w, "-", i);
        EXPECT_OK(records->Put(id, "expired", t0, false));
        EXPECT_OK(records->Put(id, "kept", absl::InfiniteFuture(), false));
        EXPECT_THAT(records->Get(id),
                    IsOkAndHolds(Optional(std::string("kept"))))
            << id;
      }
    });
  }
  for (auto& t : writers) t.join();
  done = true;
  purger.join();
  EXPECT_THAT(records->PurgeExpired(), IsOkAndHolds(0));
  for (int w = 0; w < 2; ++w) {
    for (int i = 0; i < 3'000; ++i) {
      EXPECT_THAT(records->Get(absl::StrCat(w, "-", i)),
                  IsOkAndHolds(Optional(std::string("kept"))));
    }
  }
}

// Records put while a long purge pass is under way, expiring before where
// that pass has got to: a later pass still deletes them.
TEST(ScanRecordsTest, RecordsPutBehindARunningPurgeArePurgedLater) {
  hashwatch::testing::TempDir dir;
  FakeClock clock;
  const absl::Time t0 = clock.Now();
  ASSERT_OK_AND_ASSIGN(auto records,
                       ScanRecords::Open({.path = dir.Sub("scans")}, &clock));
  constexpr int kBacklog = 40'000;  // four purge batches
  for (int i = 0; i < kBacklog; ++i) {
    ASSERT_OK(records->Put(absl::StrCat("backlog-", i), "x",
                           t0 + absl::Minutes(30), false));
  }
  clock.Set(t0 + absl::Hours(1));
  std::atomic<bool> first_pass_done{false};
  std::atomic<int> late = 0;
  std::thread writer([&] {
    while (!first_pass_done.load()) {
      // Each expiring later than the last, so a later Put's expiry does not
      // cover an earlier one's.
      const int i = late.fetch_add(1);
      EXPECT_OK(records->Put(absl::StrCat("late-", i), "x",
                             t0 + absl::Microseconds(i), false));
    }
  });
  while (late.load() == 0) {
  }
  const absl::StatusOr<int64_t> first = records->PurgeExpired();
  first_pass_done = true;
  writer.join();
  ASSERT_OK(first.status());
  ASSERT_OK_AND_ASSIGN(const int64_t second, records->PurgeExpired());
  EXPECT_EQ(*first + second, kBacklog + late.load());
  EXPECT_THAT(records->PurgeExpired(), IsOkAndHolds(0));
  clock.Set(t0 - absl::Hours(1));
  for (int i = 0; i < late.load(); ++i) {
    ASSERT_THAT(records->Get(absl::StrCat("late-", i)),
                IsOkAndHolds(std::nullopt))
        << i;
  }
}

}  // namespace
}  // namespace hashwatch::review_api
