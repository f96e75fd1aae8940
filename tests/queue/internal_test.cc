// Tests of the queue's private building blocks: encodings, the lane
// scheduler and lane head, welfare arithmetic, the group-commit gate and
// the combiner.
#include <atomic>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "queue/internal/codec.h"
#include "queue/internal/combiner.h"
#include "queue/internal/lane_head.h"
#include "queue/internal/lane_scheduler.h"
#include "queue/internal/records.h"
#include "queue/internal/schema.h"
#include "queue/internal/sync_gate.h"
#include "queue/internal/welfare.h"
#include "tests/testing/status_matchers.h"

namespace hashwatch::queue::internal {
namespace {

using ::hashwatch::testing::StatusIs;
using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

TEST(CodecTest, OrderedKeysSortNumerically) {
  const std::vector<int64_t> values = {
      std::numeric_limits<int64_t>::min(), -5, -1, 0, 1, 7,
      std::numeric_limits<int64_t>::max()};
  for (size_t i = 0; i + 1 < values.size(); ++i) {
    std::string a, b;
    AppendOrderedInt64(&a, values[i]);
    AppendOrderedInt64(&b, values[i + 1]);
    EXPECT_LT(a, b);
    EXPECT_EQ(ReadOrderedInt64(a), values[i]);
  }
  EXPECT_LT(ReadyKey("lane", kT0, 9),
            ReadyKey("lane", kT0 + absl::Microseconds(1), 1));
  EXPECT_LT(ReadyKey("lane", kT0 - absl::Hours(20), 9),
            ReadyKey("lane", kT0, 1));
  EXPECT_EQ(KeyTailTime(DueKey("x", PriorityClass::kHigh, kT0, 42)), kT0);
  EXPECT_EQ(KeyTailItem(DueKey("x", PriorityClass::kHigh, kT0, 42)), 42u);
  EXPECT_EQ(KeyModerator(ModeratorEventKey("mod-1", kT0, 3)), "mod-1");
}

TEST(CodecTest, FieldsRoundTripAndTruncationIsDetected) {
  Encoder e;
  e.Varint(300);
  e.Signed(-77);
  e.Bytes("hello");
  e.Double(0.25);
  e.Time(absl::InfinitePast());
  e.Time(kT0);
  const std::string bytes = e.Release();
  Decoder d(bytes);
  uint64_t u = 0;
  int64_t s = 0;
  std::string str;
  double x = 0;
  absl::Time t1, t2;
  ASSERT_TRUE(d.Varint(&u) && d.Signed(&s) && d.Bytes(&str) && d.Double(&x) &&
              d.Time(&t1) && d.Time(&t2));
  EXPECT_EQ(u, 300u);
  EXPECT_EQ(s, -77);
  EXPECT_EQ(str, "hello");
  EXPECT_EQ(x, 0.25);
  EXPECT_EQ(t1, absl::InfinitePast());
  EXPECT_EQ(t2, kT0);
  EXPECT_TRUE(d.done());
  Decoder bad(absl::string_view(bytes).substr(0, 6));
  ASSERT_TRUE(bad.Varint(&u) && bad.Signed(&s));
  EXPECT_FALSE(bad.Bytes(&str));
  EXPECT_FALSE(bad.ok());
}

TEST(RecordsTest, ItemRoundTrips) {
  StoredItem s;
  ReviewItem& it = s.item;
  it.id = 7;
  it.content_id = "content-7";
  it.lane = "proactive";
  it.kind = ItemKind::kNovel;
  it.hashes = {
      .pdq = "ab", .pdq_quality = 88, .md5 = "cd", .sha1 = "", .sha256 = "ef"};
  it.matches.push_back({.bank = "ncmec",
                        .entry_id = 0,
                        .signal = "pdq",
                        .hash = "ff",
                        .distance = 12,
                        .category = "A",
                        .source = "ref-1",
                        .auto_report_distance = 8,
                        .review_distance = 31});
  it.context = {"user-1", kT0, "10.0.0.1", 0.75, {"grooming", "livestream"}};
  it.category = "A";
  it.priority_boost = 2.5;
  it.has_preview = true;
  it.enqueue_time = kT0;
  it.lane_time = kT0 + absl::Seconds(1);
  it.base_priority = 91.5;
  it.priority_class = PriorityClass::kCritical;
  it.sla_deadline = kT0 + absl::Hours(1);
  it.state = ItemState::kDecided;
  it.lease_id = 3;
  it.decision =
      Decision{7, 3, "mod", DecisionKind::kReject, "", true, "note", kT0};
  it.history.push_back({kT0, "system", "enqueue", 0, "x=1"});
  s.virtual_enqueue = kT0 - absl::Hours(20);
  s.exclusions.push_back({"mod-2", kT0 + absl::Hours(2)});
  StoredItem back;
  ASSERT_OK(DecodeItem(EncodeItem(s), &back));
  EXPECT_EQ(EncodeItem(back), EncodeItem(s));
  EXPECT_EQ(back.item.context.signals[1], "livestream");
  EXPECT_TRUE(back.item.decision->add_to_allow_list);
  EXPECT_EQ(back.virtual_enqueue, s.virtual_enqueue);
  std::string bytes = EncodeItem(s);
  bytes.pop_back();
  EXPECT_THAT(DecodeItem(bytes, &back), StatusIs(absl::StatusCode::kDataLoss));
}

// Item records as the version before SHA-1 was kept wrote them: without
// and with a summary (hex).
constexpr char kItemWithoutSha1[] =
    "010709636f6e74656e742d370970726f6163746976650040616161616161616161616161"
    "616161616161616161616161616161616161616161616161616161616161616161616161"
    "61616161616161616161616161616161b001206262626262626262626262626262626262"
    "626262626262626262626262626262406363636363636363636363636363636363636363"
    "636363636363636363636363636363636363636363636363636363636363636363636363"
    "636363636363636301056e636d6563037064714064646464646464646464646464646464"
    "646464646464646464646464646464646464646464646464646464646464646464646464"
    "64646464646464646464646418103e0141057265662d3106757365722d318080f2818389"
    "850600000000000000f0bf0001410000000000000000008080f281838985068080f28183"
    "89850600000000000000000380908feb9d898506000000ffffffffffffffffff01000180"
    "80f281838985060673797374656d07656e71756575650003783d318080f2818389850600";
constexpr char kItemWithoutSha1WithSummary[] =
    "010709636f6e74656e742d370970726f6163746976650040616161616161616161616161"
    "616161616161616161616161616161616161616161616161616161616161616161616161"
    "61616161616161616161616161616161b001206262626262626262626262626262626262"
    "626262626262626262626262626262406363636363636363636363636363636363636363"
    "636363636363636363636363636363636363636363636363636363636363636363636363"
    "636363636363636301056e636d6563037064714064646464646464646464646464646464"
    "646464646464646464646464646464646464646464646464646464646464646464646464"
    "64646464646464646464646418103e0141057265662d3106757365722d318080f2818389"
    "850600000000000000f0bf0001410000000000000000008080f281838985068080f28183"
    "89850600000000000000000380908feb9d898506000000ffffffffffffffffff01000180"
    "80f281838985060673797374656d07656e71756575650003783d318080f2818389850600"
    "09612073756d6d617279";

TEST(RecordsTest, ItemsWrittenBeforeSha1DecodeWithItEmpty) {
  for (const char* hex : {kItemWithoutSha1, kItemWithoutSha1WithSummary}) {
    StoredItem back;
    ASSERT_OK(DecodeItem(absl::HexStringToBytes(hex), &back));
    EXPECT_EQ(back.item.content_id, "content-7");
    EXPECT_EQ(back.item.hashes.md5, std::string(32, 'b'));
    EXPECT_EQ(back.item.hashes.sha256, std::string(64, 'c'));
    EXPECT_EQ(back.item.hashes.sha1, "");
    ASSERT_EQ(back.item.matches.size(), 1u);
    EXPECT_EQ(back.item.matches[0].source, "ref-1");
    EXPECT_EQ(back.item.matches[0].review_distance, 31);
    // Written again unchanged: the new fields cost an old record nothing.
    EXPECT_EQ(absl::BytesToHexString(EncodeItem(back)), hex);
  }
  StoredItem with_summary;
  ASSERT_OK(DecodeItem(absl::HexStringToBytes(kItemWithoutSha1WithSummary),
                       &with_summary));
  EXPECT_EQ(with_summary.item.summary, "a summary");
}

TEST(RecordsTest, Sha1RoundTripsWithAndWithoutASummary) {
  for (const std::string summary : {"", "a summary"}) {
    StoredItem s;
    ASSERT_OK(DecodeItem(absl::HexStringToBytes(kItemWithoutSha1), &s));
    s.item.summary = summary;
    s.item.hashes.sha1 = std::string(40, 'e');
    StoredItem back;
    ASSERT_OK(DecodeItem(EncodeItem(s), &back));
    EXPECT_EQ(back.item.hashes.sha1, std::string(40, 'e'));
    EXPECT_EQ(back.item.summary, summary);
    EXPECT_EQ(back.item.hashes.md5, std::string(32, 'b'));
  }
}

TEST(RecordsTest, MatchPathsRoundTripAndOldRecordsHaveNone) {
  StoredItem s;
  ASSERT_OK(DecodeItem(absl::HexStringToBytes(kItemWithoutSha1), &s));
  EXPECT_EQ(s.item.matches[0].path, "");
  s.item.matches[0].path = "region 10,20,300,200";
  StoredItem back;
  ASSERT_OK(DecodeItem(EncodeItem(s), &back));
  EXPECT_EQ(back.item.matches[0].path, "region 10,20,300,200");
  EXPECT_EQ(back.item.matches[0].source, "ref-1");
  EXPECT_EQ(back.item.lease_token, "");
  std::string cut = EncodeItem(s);
  cut.pop_back();
  EXPECT_THAT(DecodeItem(cut, &back), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(RecordsTest, ExclusionsHideOnlyTheirModeratorUntilTheyEnd) {
  const std::string v = EncodeExclusions({{"a", kT0 + absl::Hours(1)}});
  EXPECT_TRUE(Excludes(v, "a", kT0));
  EXPECT_FALSE(Excludes(v, "b", kT0));
  EXPECT_FALSE(Excludes(v, "a", kT0 + absl::Hours(1)));
  EXPECT_FALSE(Excludes("", "a", kT0));
}

TEST(LaneSchedulerTest, SharesFollowWeightsAndServedFirstLanesGoFirst) {
  LaneScheduler s(
      {{.weight = 1, .served_first = true}, {.weight = 80}, {.weight = 20}});
  int counts[3] = {0, 0, 0};
  for (int i = 0; i < 1000; ++i) {
    ++counts[s.Pick([](int lane) { return lane != 0; })];
  }
  EXPECT_EQ(counts[1], 800);
  EXPECT_EQ(counts[2], 200);
  EXPECT_EQ(s.Pick([](int) { return true; }), 0);
  EXPECT_EQ(s.Pick([](int) { return false; }), -1);
}

TEST(LaneSchedulerTest, IdleLaneBanksNoCreditAndItsShareGoesToOthers) {
  LaneScheduler s({{.weight = 50}, {.weight = 50}});
  // Lane 1 is empty for 100 picks: lane 0 gets them all.
  for (int i = 0; i < 100; ++i)
    ASSERT_EQ(s.Pick([](int lane) { return lane == 0; }), 0);
  // Then both have items: they alternate rather than lane 1 catching up.
  int counts[2] = {0, 0};
  for (int i = 0; i < 10; ++i) ++counts[s.Pick([](int) { return true; })];
  EXPECT_EQ(counts[0], 5);
  EXPECT_EQ(counts[1], 5);
}

TEST(WelfareTest, HourlyLimitSaysWhenTheOldestExposureLeavesTheWindow) {
  WelfareOptions o;
  o.max_items_per_hour = 3;
  o.max_items_per_shift = 0;
  o.break_after_items = 0;
  ModeratorState state;
  const std::vector<absl::Time> ex = {kT0, kT0 + absl::Minutes(10),
                                      kT0 + absl::Minutes(20)};
  WelfareVerdict v = EvaluateWelfare(o, kT0 + absl::Minutes(30), state, ex);
  EXPECT_EQ(v.allowed, 0);
  EXPECT_EQ(v.break_until, kT0 + absl::Hours(1));
  EXPECT_THAT(v.reason, HasSubstr("3 items in the last hour (limit 3)"));
  v = EvaluateWelfare(o, kT0 + absl::Hours(1), state, ex);
  EXPECT_EQ(v.allowed, 1);
}

TEST(WelfareTest, BreakAfterConsecutiveItemsResetsAfterABreak) {
  WelfareOptions o;
  o.max_items_per_hour = 0;
  o.max_items_per_shift = 0;
  o.break_after_items = 5;
  o.break_length = absl::Minutes(15);
  ModeratorState state{.consecutive = 5, .last_activity = kT0};
  WelfareVerdict v = EvaluateWelfare(o, kT0 + absl::Minutes(1), state, {});
  EXPECT_EQ(v.allowed, 0);
  EXPECT_EQ(v.break_until, kT0 + absl::Minutes(15));
  v = EvaluateWelfare(o, kT0 + absl::Minutes(15), state, {});
  EXPECT_EQ(v.allowed, 5);
  EXPECT_EQ(v.consecutive, 0);
  state.consecutive = 3;
  EXPECT_EQ(EvaluateWelfare(o, kT0 + absl::Minutes(1), state, {}).allowed, 2);
}

TEST(WelfareTest, ShiftLimitUsesTheShiftWindow) {
  WelfareOptions o;
  o.max_items_per_hour = 0;
  o.max_items_per_shift = 2;
  o.shift_length = absl::Hours(8);
  o.break_after_items = 0;
  const std::vector<absl::Time> ex = {kT0, kT0 + absl::Hours(3)};
  WelfareVerdict v =
      EvaluateWelfare(o, kT0 + absl::Hours(4), ModeratorState(), ex);
  EXPECT_EQ(v.allowed, 0);
  EXPECT_EQ(v.break_until, kT0 + absl::Hours(8));
  EXPECT_EQ(v.items_this_shift, 2);
}

TEST(SyncGateTest, ConcurrentWaitersShareSyncs) {
  std::atomic<int> syncs{0};
  absl::Notification in_first_sync, release_first_sync;
  SyncGate gate([&] {
    if (syncs.fetch_add(1) == 0) {
      in_first_sync.Notify();
      release_first_sync.WaitForNotification();
    }
    return absl::OkStatus();
  });
  // The first waiter leads a sync, held inside the callback.
  const uint64_t first = gate.Written();
  std::thread leader([&] { EXPECT_OK(gate.WaitDurable(first)); });
  in_first_sync.WaitForNotification();
  // Eight more writes arrive during that sync: one more sync covers them.
  std::vector<uint64_t> tickets;
  for (int i = 0; i < 8; ++i) tickets.push_back(gate.Written());
  std::vector<std::thread> waiters;
  for (uint64_t t : tickets) {
    waiters.emplace_back([&, t] { EXPECT_OK(gate.WaitDurable(t)); });
  }
  release_first_sync.Notify();
  leader.join();
  for (auto& w : waiters) w.join();
  EXPECT_EQ(syncs.load(), 2);
}

TEST(SyncGateTest, LoneCallerSyncsOnItsOwnThread) {
  std::thread::id sync_thread;
  SyncGate gate([&] {
    sync_thread = std::this_thread::get_id();
    return absl::OkStatus();
  });
  EXPECT_OK(gate.WaitDurable(gate.Written()));
  EXPECT_EQ(sync_thread, std::this_thread::get_id());
}

TEST(SyncGateTest, DestructorSyncsUnawaitedWrites) {
  int syncs = 0;
  {
    SyncGate gate([&] {
      ++syncs;
      return absl::OkStatus();
    });
    gate.Written();
  }
  EXPECT_EQ(syncs, 1);
}

TEST(SyncGateTest, FailedSyncFailsEveryLaterWait) {
  SyncGate gate([] { return absl::UnavailableError("disk gone"); });
  EXPECT_THAT(gate.WaitDurable(gate.Written()),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(gate.WaitDurable(gate.Written()),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("reopen")));
}

// LaneHead against a model of the range: after any mix of puts and
// deletes, its entries are exactly the first keys of the range, in order,
// with their latest values, and it is complete only when it holds them all.
TEST(LaneHeadTest, StaysTheFirstKeysOfTheRangeThroughPutsAndDeletes) {
  constexpr size_t kCapacity = 8;
  std::map<std::string, std::string> model;
  LaneHead head(kCapacity);
  auto fill = [&] {
    std::vector<LaneHead::Entry> entries;
    for (const auto& [k, v] : model) {
      if (entries.size() == kCapacity) break;
      entries.push_back({k, v});
    }
    head.Fill(std::move(entries), model.size() <= kCapacity);
  };
  EXPECT_TRUE(head.NeedsFill());
  std::mt19937 rng(3);
  int fills = 0;
  for (int op = 0; op < 20000; ++op) {
    const std::string key = absl::StrFormat("k%03d", rng() % 200);
    if (rng() % 2 == 0) {
      const std::string value = absl::StrCat("v", op);
      model[key] = value;
      head.Put(key, value);
    } else {
      model.erase(key);
      head.Delete(key);
    }
    if (head.NeedsFill()) {
      fill();
      ++fills;
    }
    const auto& entries = head.entries();
    ASSERT_LE(entries.size(), 2 * kCapacity);
    auto it = model.begin();
    for (const LaneHead::Entry& e : entries) {
      ASSERT_NE(it, model.end());
      ASSERT_EQ(e.key, it->first) << "op " << op;
      ASSERT_EQ(e.value, it->second) << "op " << op;
      ++it;
    }
    if (head.complete()) {
      ASSERT_EQ(entries.size(), model.size());
    }
  }
  EXPECT_GT(fills, 1);
  head.Invalidate();
  EXPECT_TRUE(head.NeedsFill());
}

// Closures run one at a time with the section held, each exactly once, and
// each caller sees its closure's effect when Run returns.
TEST(CombinerTest, RunsEveryClosureOnceUnderTheSection) {
  absl::Mutex section;
  Combiner combiner(&section);
  std::atomic<int> inside{0};
  int runs = 0;  // guarded by section, through the combiner
  constexpr int kThreads = 8, kCalls = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCalls; ++i) {
        bool ran = false;
        combiner.Run([&] {
          section.AssertHeld();
          EXPECT_EQ(inside.fetch_add(1), 0);
          ++runs;
          ran = true;
          inside.fetch_sub(1);
        });
        ASSERT_TRUE(ran);
      }
    });
  }
  for (auto& th : threads) th.join();
  absl::MutexLock lock(&section);
  EXPECT_EQ(runs, kThreads * kCalls);
}

}  // namespace
}  // namespace hashwatch::queue::internal
