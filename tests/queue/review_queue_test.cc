#include "queue/review_queue.h"

#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/queue/queue_test_util.h"
#include "tests/testing/status_matchers.h"

namespace hashwatch::queue {
namespace {

using ::hashwatch::queue::testing::Request;
using ::hashwatch::queue::testing::TempDir;
using ::hashwatch::queue::testing::TestOptions;
using ::hashwatch::testing::IsOkAndHolds;
using ::hashwatch::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class ReviewQueueTest : public ::testing::Test {
 protected:
  void SetUp() override { options_ = TestOptions(dir_.path()); }

  std::unique_ptr<ReviewQueue> OpenQueue() {
    auto q = ReviewQueue::Open(options_, &clock_);
    EXPECT_OK(q);
    return q.ok() ? std::move(*q) : nullptr;
  }

  // Leases one item; the empty optional when there is none.
  std::optional<LeasedItem> LeaseOne(ReviewQueue& q,
                                     const std::string& moderator,
                                     std::vector<std::string> lanes = {}) {
    auto r = q.Lease(moderator, 1, lanes);
    EXPECT_OK(r);
    if (!r.ok() || r->empty()) return std::nullopt;
    return std::move(r->front());
  }

  // The content ids of items leased one at a time until the queue is empty.
  std::vector<std::string> Drain(ReviewQueue& q, const std::string& moderator) {
    std::vector<std::string> out;
    while (auto l = LeaseOne(q, moderator)) out.push_back(l->item.content_id);
    return out;
  }

  // A snapshot of everything a failed call must leave unchanged.
  std::string Fingerprint(ReviewQueue& q) {
    auto head = q.VerifyAudit();
    auto stats = q.Stats();
    EXPECT_OK(head);
    EXPECT_OK(stats);
    return absl::StrCat(head->entries, "/", head->last_hash_hex, "/",
                        stats->waiting, "/", stats->leases_outstanding, "/",
                        stats->decided, "/", stats->items);
  }

  TempDir dir_;
  FakeClock clock_;
  QueueOptions options_;
};

// --- Ordering -------------------------------------------------------------

TEST_F(ReviewQueueTest, LeasesInOrderOfPriority) {
  auto q = OpenQueue();
  ASSERT_OK(q->Enqueue(Request("low", "proactive", "C")));
  ASSERT_OK(q->Enqueue(Request("severe", "proactive", "A")));
  ASSERT_OK(q->Enqueue(Request("novel-live", "proactive", "B", ItemKind::kNovel,
                               {"livestream"})));
  ASSERT_OK(q->Enqueue(Request("mid", "proactive", "B")));
  // Bases: novel-live 25+25+30=80, severe 40, mid 25, low 15.
  EXPECT_THAT(Drain(*q, "mod"),
              ElementsAre("novel-live", "severe", "mid", "low"));
}

TEST_F(ReviewQueueTest, EqualPriorityIsServedOldestFirst) {
  auto q = OpenQueue();
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK(q->Enqueue(Request(absl::StrCat("c", i))));
    clock_.Advance(absl::Seconds(1));
  }
  EXPECT_THAT(Drain(*q, "mod"), ElementsAre("c0", "c1", "c2", "c3", "c4"));
}

TEST_F(ReviewQueueTest, WaitingRaisesPriorityUntilAnOlderItemOvertakes) {
  options_.priority.aging_per_hour = 4;
  auto q = OpenQueue();
  ASSERT_OK(q->Enqueue(Request("old-low", "proactive", "C")));  // base 15
  clock_.Advance(absl::Hours(4));
  ASSERT_OK(
      q->Enqueue(Request("new-b", "proactive", "B")));  // base 25 < 15 + 16
  ASSERT_OK_AND_ASSIGN(auto leased, q->Lease("mod", 2));
  ASSERT_THAT(leased, SizeIs(2));
  EXPECT_EQ(leased[0].item.content_id, "old-low");
  EXPECT_DOUBLE_EQ(leased[0].effective_priority, 15 + 16);
  EXPECT_FALSE(leased[0].overdue);
  EXPECT_EQ(leased[1].item.content_id, "new-b");
}

TEST_F(ReviewQueueTest, OverdueItemIsServedBeforeNewerHighPriorityItem) {
  options_.lanes[1].sla = {absl::Hours(1), absl::Hours(2), absl::Hours(3),
                           absl::Hours(3)};
  auto q = OpenQueue();
  ASSERT_OK(q->Enqueue(Request("old-low", "proactive", "C")));  // base 15: low
  clock_.Advance(absl::Hours(3) + absl::Minutes(1));
  // A novel livestream item (base 90): ageing alone (15 + 12) would not let
  // old-low overtake it, but old-low is past its SLA.
  ASSERT_OK(q->Enqueue(Request("new-critical", "proactive", "B",
                               ItemKind::kNovel, {"livestream", "grooming"})));
  ASSERT_OK_AND_ASSIGN(auto stats, q->Stats());
  EXPECT_EQ(stats.overdue, 1);
  EXPECT_EQ(
      stats.lanes[1].classes[static_cast<int>(PriorityClass::kLow)].overdue, 1);
  auto first = LeaseOne(*q, "mod");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->item.content_id, "old-low");
  EXPECT_TRUE(first->overdue);
  EXPECT_LT(first->effective_priority, 90);
  auto second = LeaseOne(*q, "mod");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->item.content_id, "new-critical");
}

TEST_F(ReviewQueueTest, OverdueItemsAreServedEarliestDeadlineFirst) {
  // A short SLA for low and a long one for normal, so the deadline order
  // differs from the priority order.
  options_.lanes[1].sla = {absl::Hours(1), absl::Hours(2), absl::Hours(10),
                           absl::Hours(3)};
  auto q = OpenQueue();
  ASSERT_OK(q->Enqueue(Request("normal", "proactive", "B")));  // 25, due +10h
  ASSERT_OK(q->Enqueue(Request("low", "proactive", "C")));     // 15, due +3h
  clock_.Advance(absl::Hours(2));
  EXPECT_THAT(Drain(*q, "mod"),
              ElementsAre("normal", "low"));  // none overdue yet
  q.reset();
  options_.path = dir_.path("second");
  q = OpenQueue();
  ASSERT_OK(q->Enqueue(Request("normal", "proactive", "B")));
  ASSERT_OK(q->Enqueue(Request("low", "proactive", "C")));
  clock_.Advance(absl::Hours(11));
  EXPECT_THAT(Drain(*q, "mod"), ElementsAre("low", "normal"));  // both overdue
}

// --- Lanes ----------------------------------------------------------------

TEST_F(ReviewQueueTest, LaneSharesFollowWeightsOverAThousandLeases) {
  auto q = OpenQueue();
  for (const std::string lane : {"proactive", "user_report"}) {
    for (int b = 0; b < 10; ++b) {
      std::vector<EnqueueRequest> batch;
      for (int i = 0; i < 100; ++i) {
        batch.push_back(Request(absl::StrCat(lane, "-", b * 100 + i), lane,
                                i % 2 ? "A" : "C"));
      }
      ASSERT_OK(q->EnqueueBatch(batch));
    }
  }
  std::map<std::string, int> per_lane;
  for (int i = 0; i < 1000; ++i) {
    auto l = LeaseOne(*q, "mod");
    ASSERT_TRUE(l);
    ++per_lane[l->item.lane];
  }
  EXPECT_NEAR(per_lane["proactive"], 800, 30);
  EXPECT_NEAR(per_lane["user_report"], 200, 30);
}

TEST_F(ReviewQueueTest, EmptyLaneShareGoesToTheOthers) {
  auto q = OpenQueue();
  std::vector<EnqueueRequest> batch;
  for (int i = 0; i < 30; ++i)
    batch.push_back(Request(absl::StrCat("p", i), "proactive"));
  for (int i = 0; i < 3; ++i)
    batch.push_back(Request(absl::StrCat("u", i), "user_report"));
  ASSERT_OK(q->EnqueueBatch(batch));
  ASSERT_OK_AND_ASSIGN(auto leased, q->Lease("mod", 33));
  EXPECT_THAT(leased, SizeIs(33));
  ASSERT_OK_AND_ASSIGN(leased, q->Lease("mod", 1));
  EXPECT_THAT(leased, IsEmpty());
}

TEST_F(ReviewQueueTest,
       EscalationLaneIsServedFirstAndLeasesCanBeRestrictedToLanes) {
  auto q = OpenQueue();
  ASSERT_OK(q->Enqueue(Request("a", "proactive", "A")));
  ASSERT_OK(q->Enqueue(Request("b", "user_report", "C")));
  auto la = LeaseOne(*q, "mod", {"proactive"});
  ASSERT_TRUE(la);
  EXPECT_EQ(la->item.content_id, "a");
  ASSERT_OK_AND_ASSIGN(
      Decision d,
      q->Decide("mod", la->lease, {.kind = DecisionKind::kEscalate}));
  EXPECT_EQ(d.kind, DecisionKind::kEscalate);
  ASSERT_OK_AND_ASSIGN(ReviewItem item, q->GetItem(la->lease.item_id));
  EXPECT_EQ(item.state, ItemState::kEscalated);
  EXPECT_EQ(item.lane, "escalation");
  // A moderator restricted to user_report never sees it.
  auto lb = LeaseOne(*q, "mod", {"user_report"});
  ASSERT_TRUE(lb);
  EXPECT_EQ(lb->item.content_id, "b");
  ASSERT_OK(q->Enqueue(
      Request("c", "proactive", "A", ItemKind::kNovel, {"livestream"})));
  // The lead gets the escalated item before the higher-priority new one.
  auto lead = LeaseOne(*q, "lead");
  ASSERT_TRUE(lead);
  EXPECT_EQ(lead->item.content_id, "a");
  EXPECT_THAT(q->Decide("lead", lead->lease, {.kind = DecisionKind::kEscalate}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("escalation lane")));
  ASSERT_OK(q->Decide("lead", lead->lease,
                      {.kind = DecisionKind::kConfirm, .category = "A"}));
}

// --- Leases ---------------------------------------------------------------

TEST_F(ReviewQueueTest, LeasedItemIsInvisibleToOthersUntilItsLeaseExpires) {
  auto q = OpenQueue();
  ASSERT_OK(q->Enqueue(Request("x")));
  auto a = LeaseOne(*q, "alice");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->expires, clock_.Now() + absl::Minutes(10));
  EXPECT_FALSE(LeaseOne(*q, "bob"));
  clock_.Advance(absl::Minutes(10));
  auto b = LeaseOne(*q, "bob");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->lease.item_id, a->lease.item_id);
  EXPECT_NE(b->lease.lease_id, a->lease.lease_id);
  EXPECT_THAT(
      q->Decide("alice", a->lease, {.kind = DecisionKind::kReject}),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not live")));
  ASSERT_OK(q->Decide("bob", b->lease, {.kind = DecisionKind::kReject}));
  ASSERT_OK_AND_ASSIGN(auto audit, q->ReadAudit(0, 100));
  std::vector<AuditEvent> events;
  for (const AuditEntry& e : audit) events.push_back(e.event);
  EXPECT_THAT(events, ElementsAre(AuditEvent::kEnqueue, AuditEvent::kLease,
                                  AuditEvent::kExpiry, AuditEvent::kLease,
                                  AuditEvent::kDecision));
  EXPECT_EQ(audit[2].actor, "system");
}

TEST_F(ReviewQueueTest, ExpiredLeaseCannotDecideEvenBeforeTheItemIsReturned) {
  auto q = OpenQueue();
  ASSERT_OK(q->Enqueue(Request("x")));
  auto a = LeaseOne(*q, "alice");
  ASSERT_TRUE(a);
  clock_.Advance(absl::Minutes(11));
  const std::string before = Fingerprint(*q);
  EXPECT_THAT(
      q->Decide("alice", a->lease, {.kind = DecisionKind::kReject}),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("expired")));
  EXPECT_EQ(Fingerprint(*q), before);
  ASSERT_OK_AND_ASSIGN(int n, q->ExpireLeases());
  EXPECT_EQ(n, 1);
  ASSERT_OK_AND_ASSIGN(auto stats, q->Stats());
  EXPECT_EQ(stats.leases_outstanding, 0);
  EXPECT_EQ(stats.waiting, 1);
}

TEST_F(ReviewQueueTest, ExtendLeaseKeepsTheItemAndReleaseReturnsIt) {
  auto q = OpenQueue();
  ASSERT_OK(q->Enqueue(Request("x")));
  auto a = LeaseOne(*q, "alice");
  ASSERT_TRUE(a);
  clock_.Advance(absl::Minutes(9));
  ASSERT_OK_AND_ASSIGN(absl::Time expires, q->ExtendLease("alice", a->lease));
  EXPECT_EQ(expires, clock_.Now() + absl::Minutes(10));
  EXPECT_THAT(q->ExtendLease("bob", a->lease),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("another moderator")));
  clock_.Advance(absl::Minutes(5));
  EXPECT_FALSE(LeaseOne(*q, "bob"));
  ASSERT_OK(q->Release("alice", a->lease));
  EXPECT_THAT(q->Release("alice", a->lease),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  auto b = LeaseOne(*q, "bob");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->lease.item_id, a->lease.item_id);
  // A release is not a skip: alice may get it again.
  ASSERT_OK(q->Release("bob", b->lease));
  EXPECT_TRUE(LeaseOne(*q, "alice"));
}

TEST_F(ReviewQueueTest, SkippedItemIsNotOfferedToTheSameModeratorForAWhile) {
  options_.skip_exclusion = absl::Hours(1);
  auto q = OpenQueue();
  ASSERT_OK(q->Enqueue(Request("x", "proactive", "A")));
  ASSERT_OK(q->Enqueue(Request("y", "proactive", "C")));
  auto a = LeaseOne(*q, "alice");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->item.content_id, "x");
  ASSERT_OK(q->Decide("alice", a->lease, {.kind = DecisionKind::kSkip}));
  auto a2 = LeaseOne(*q, "alice");
  ASSERT_TRUE(a2);
  EXPECT_EQ(a2->item.content_id, "y");
  ASSERT_OK(q->Release("alice", a2->lease));
  auto b = LeaseOne(*q, "bob");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->item.content_id, "x");  // still first for everybody else
  ASSERT_OK(q->Release("bob", b->lease));
  clock_.Advance(absl::Hours(1));
  auto a3 = LeaseOne(*q, "alice");
  ASSERT_TRUE(a3);
  EXPECT_EQ(a3->item.content_id, "x");
}

TEST_F(ReviewQueueTest, DecisionsAreRecordedAndReturned) {
  auto q = OpenQueue();
  ASSERT_OK(q->Enqueue(Request("x")));
  ASSERT_OK(q->Enqueue(Request("y")));
  auto x = LeaseOne(*q, "alice");
  auto y = LeaseOne(*q, "alice");
  ASSERT_TRUE(x && y);
  ASSERT_OK_AND_ASSIGN(Decision dx, q->Decide("alice", x->lease,
                                              {.kind = DecisionKind::kConfirm,
                                               .category = "B",
                                               .note = "clear"}));
  EXPECT_EQ(dx.item_id, x->lease.item_id);
  EXPECT_EQ(dx.moderator, "alice");
  EXPECT_EQ(dx.category, "B");
  EXPECT_EQ(dx.time, clock_.Now());
  ASSERT_OK_AND_ASSIGN(Decision dy, q->Decide("alice", y->lease,
                                              {.kind = DecisionKind::kReject,
                                               .add_to_allow_list = true}));
  EXPECT_TRUE(dy.add_to_allow_list);
  ASSERT_OK_AND_ASSIGN(ReviewItem item, q->GetItem(x->lease.item_id));
  EXPECT_EQ(item.state, ItemState::kDecided);
  ASSERT_TRUE(item.decision);
  EXPECT_EQ(item.decision->category, "B");
  EXPECT_EQ(item.history.back().event, "decision");
  ASSERT_OK_AND_ASSIGN(auto stats, q->Stats());
  EXPECT_EQ(stats.decided, 2);
  ASSERT_THAT(stats.moderators, SizeIs(1));
  EXPECT_EQ(stats.moderators[0].moderator, "alice");
  EXPECT_EQ(stats.moderators[0].decisions_last_hour, 2);
  clock_.Advance(absl::Minutes(61));
  ASSERT_OK_AND_ASSIGN(stats, q->Stats());
  EXPECT_THAT(stats.moderators, IsEmpty());
}

TEST_F(ReviewQueueTest, DoubleDecisionFailsAndChangesNothing) {
  auto q = OpenQueue();
  ASSERT_OK(q->Enqueue(Request("x")));
  auto x = LeaseOne(*q, "alice");
  ASSERT_TRUE(x);
  ASSERT_OK(q->Decide("alice", x->lease,
                      {.kind = DecisionKind::kConfirm, .category = "A"}));
  const std::string before = Fingerprint(*q);
  EXPECT_THAT(q->Decide("alice", x->lease, {.kind = DecisionKind::kReject}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("already decided")));
  EXPECT_THAT(q->Decide("alice", x->lease, {.kind = DecisionKind::kSkip}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Fingerprint(*q), before);
}

// --- Bad input --------------------------------------------------------------

TEST_F(ReviewQueueTest, BadInputGetsTheCanonicalCodeAndLeavesStateUnchanged) {
  auto q = OpenQueue();
  ASSERT_OK(q->Enqueue(Request("x")));
  auto x = LeaseOne(*q, "alice");
  ASSERT_TRUE(x);
  ASSERT_OK(q->Enqueue(Request("y")));
  const std::string before = Fingerprint(*q);

  EXPECT_THAT(q->Enqueue(Request("z", "no_such_lane")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown lane 'no_such_lane'")));
  EXPECT_THAT(q->Enqueue(Request("")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      q->EnqueueBatch({Request("ok1"), Request("bad", "nope")}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("request 1")));
  EXPECT_THAT(q->EnqueueBatch({}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      q->Lease("alice", 1, {"nope"}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown lane")));
  EXPECT_THAT(q->Lease("", 1), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("empty moderator")));
  EXPECT_THAT(q->Lease("alice", 0), StatusIs(absl::StatusCode::kInvalidArgument,
                                             HasSubstr("max_items")));
  EXPECT_THAT(q->Lease("alice", -3),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(q->Lease("alice", options_.max_lease_items + 1),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(q->Lease("alice", 1'000'000'000),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(q->Decide("alice", {.item_id = 999, .lease_id = 1},
                        {.kind = DecisionKind::kSkip}),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(q->Decide("", x->lease, {.kind = DecisionKind::kSkip}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      q->Decide("alice", x->lease, {.kind = DecisionKind::kConfirm}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("category")));
  // Without a lease: the queued item y, and x under a made-up lease id.
  ASSERT_OK_AND_ASSIGN(ReviewItem y, q->FindItem("y"));
  EXPECT_THAT(
      q->Decide("alice", {.item_id = y.id, .lease_id = 1},
                {.kind = DecisionKind::kReject}),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("queued")));
  EXPECT_THAT(q->Decide("alice", {x->lease.item_id, x->lease.lease_id + 100},
                        {.kind = DecisionKind::kReject}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(q->Decide("bob", x->lease, {.kind = DecisionKind::kReject}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(q->ExtendLease("alice", {.item_id = 999, .lease_id = 1}),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(q->RecordReveal("alice", 999, "why"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(q->RecordReveal("", x->lease.item_id, "why"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(q->GetItem(999), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(q->FindItem("nope"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(q->ReadAudit(0, 0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(q->Welfare(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(q->Lease("system", 1),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EnqueueRequest big = Request("big");
  big.preview.assign(options_.max_preview_bytes + 1, 'x');
  EXPECT_THAT(q->Enqueue(big), StatusIs(absl::StatusCode::kResourceExhausted));

  EXPECT_EQ(Fingerprint(*q), before);
  // The lease survived every bad call.
  ASSERT_OK(q->Decide("alice", x->lease, {.kind = DecisionKind::kReject}));
}

TEST_F(ReviewQueueTest, OpenRejectsBadOptionsAndASecondOpener) {
  QueueOptions bad = options_;
  bad.lanes[1].weight = 0;
  EXPECT_THAT(
      ReviewQueue::Open(bad, &clock_),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("weight")));
  bad = options_;
  bad.escalation_lane = "nope";
  EXPECT_THAT(ReviewQueue::Open(bad, &clock_),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("escalation_lane")));
  bad = options_;
  bad.lanes[2].name = "Bad Name";
  EXPECT_THAT(ReviewQueue::Open(bad, &clock_),
              StatusIs(absl::StatusCode::kInvalidArgument));
  bad = options_;
  bad.path = "";
  EXPECT_THAT(ReviewQueue::Open(bad, &clock_),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ReviewQueue::Open(options_, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument));
  auto q = OpenQueue();
  EXPECT_THAT(ReviewQueue::Open(options_, &clock_),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(ReviewQueueTest, RemovingALaneWithWaitingItemsFailsOpen) {
  {
    auto q = OpenQueue();
    ASSERT_OK(q->Enqueue(Request("u", "user_report")));
  }
  QueueOptions fewer = options_;
  fewer.lanes.pop_back();
  EXPECT_THAT(ReviewQueue::Open(fewer, &clock_),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("user_report")));
}

// --- Idempotency, persistence, previews -------------------------------------

TEST_F(ReviewQueueTest, EnqueueIsIdempotentByContentId) {
  auto q = OpenQueue();
  ASSERT_OK_AND_ASSIGN(EnqueueResult first,
                       q->Enqueue(Request("same", "proactive", "A")));
  EXPECT_TRUE(first.created);
  ASSERT_OK_AND_ASSIGN(EnqueueResult again,
                       q->Enqueue(Request("same", "user_report", "C")));
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.item_id, first.item_id);
  ASSERT_OK_AND_ASSIGN(
      auto batch,
      q->EnqueueBatch({Request("b1"), Request("same"), Request("b1")}));
  EXPECT_TRUE(batch[0].created);
  EXPECT_FALSE(batch[1].created);
  EXPECT_EQ(batch[1].item_id, first.item_id);
  EXPECT_FALSE(batch[2].created);
  EXPECT_EQ(batch[2].item_id, batch[0].item_id);
  // Still idempotent after the item is decided and the queue reopened.
  auto l = LeaseOne(*q, "m");
  ASSERT_TRUE(l);
  ASSERT_OK(q->Decide("m", l->lease, {.kind = DecisionKind::kReject}));
  q.reset();
  q = OpenQueue();
  ASSERT_OK_AND_ASSIGN(again, q->Enqueue(Request("same")));
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.item_id, first.item_id);
  ASSERT_OK_AND_ASSIGN(auto stats, q->Stats());
  EXPECT_EQ(stats.items, 2);
  ASSERT_OK_AND_ASSIGN(auto head, q->VerifyAudit());
  EXPECT_EQ(head.entries, 2u + 2u);  // two enqueues, one lease, one decision
}

TEST_F(ReviewQueueTest, StateSurvivesReopening) {
  std::vector<std::string> expected;
  LeaseRef held;
  {
    auto q = OpenQueue();
    for (int i = 0; i < 20; ++i) {
      ASSERT_OK(q->Enqueue(
          Request(absl::StrCat("c", i), "proactive", i % 3 == 0 ? "A" : "C")));
      clock_.Advance(absl::Seconds(1));
    }
    auto l = LeaseOne(*q, "alice");
    ASSERT_TRUE(l);
    held = l->lease;
  }
  auto q = OpenQueue();
  ASSERT_OK_AND_ASSIGN(auto stats, q->Stats());
  EXPECT_EQ(stats.waiting, 19);
  EXPECT_EQ(stats.leases_outstanding, 1);
  ASSERT_OK(q->Decide("alice", held,
                      {.kind = DecisionKind::kConfirm, .category = "A"}));
  auto order = Drain(*q, "bob");
  ASSERT_THAT(order, SizeIs(19));
  // A items (c3, c6, ...) first, oldest first, then the C items.
  EXPECT_EQ(order[0], "c3");
  EXPECT_EQ(order[6], "c1");
  ASSERT_OK(q->VerifyAudit());
}

// A benchmark's settle step: returns once no flush or compaction is
// pending, here after a forced memtable flush of a few thousand items.
TEST_F(ReviewQueueTest, WaitForCompactionsReturnsOnceSettled) {
  QueueOptions o = TestOptions(dir_.path());
  o.write_buffer_bytes = 1 << 20;  // 1 MB memtables: the enqueues flush
  ASSERT_OK_AND_ASSIGN(auto q, ReviewQueue::Open(o, &clock_));
  for (int b = 0; b < 20; ++b) {
    std::vector<EnqueueRequest> batch;
    for (int i = 0; i < 200; ++i)
      batch.push_back(Request(absl::StrCat("c", b, "-", i)));
    ASSERT_OK(q->EnqueueBatch(batch));
  }
  ASSERT_OK(q->WaitForCompactions(absl::Minutes(5)));
  ASSERT_OK_AND_ASSIGN(auto stats, q->Stats());
  EXPECT_EQ(stats.waiting, 4000);
}

// With wal_dir the log lives there (not beside the tables), and a reopen
// with the same options replays it.
TEST_F(ReviewQueueTest, WalDirHoldsTheLogAcrossReopening) {
  QueueOptions o = TestOptions(dir_.path("db"));
  o.wal_dir = dir_.path("wal");
  LeaseRef held;
  {
    ASSERT_OK_AND_ASSIGN(auto q, ReviewQueue::Open(o, &clock_));
    for (int i = 0; i < 3; ++i)
      ASSERT_OK(q->Enqueue(Request(absl::StrCat("c", i))));
    ASSERT_OK_AND_ASSIGN(auto leased, q->Lease("alice", 1));
    ASSERT_THAT(leased, SizeIs(1));
    held = leased[0].lease;
  }
  auto logs_in = [](const std::string& dir) {
    int n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      n += e.path().extension() == ".log";
    }
    return n;
  };
  EXPECT_GE(logs_in(o.wal_dir), 1);
  EXPECT_EQ(logs_in(o.path), 0);
  ASSERT_OK_AND_ASSIGN(auto q, ReviewQueue::Open(o, &clock_));
  ASSERT_OK_AND_ASSIGN(auto stats, q->Stats());
  EXPECT_EQ(stats.waiting, 2);
  EXPECT_EQ(stats.leases_outstanding, 1);
  ASSERT_OK(q->Decide("alice", held, {.kind = DecisionKind::kReject}));
  ASSERT_OK(q->VerifyAudit());
}

TEST_F(ReviewQueueTest, StoresPayloadAndPreview) {
  auto q = OpenQueue();
  EnqueueRequest r =
      Request("p", "proactive", "A", ItemKind::kHashMatch, {"grooming"});
  r.preview = std::string("\xff\xd8 blurred jpeg", 16);
  r.matches.push_back({.bank = "ncmec-pdq",
                       .entry_id = 0,
                       .signal = "pdq",
                       .hash = std::string(64, 'a'),
                       .distance = 25,
                       .category = "A",
                       .source = "ref",
                       .auto_report_distance = 10,
                       .review_distance = 31});
  r.context.uploader = "acct-1";
  r.context.ip = "192.0.2.1";
  r.context.upload_time = clock_.Now() - absl::Hours(1);
  ASSERT_OK_AND_ASSIGN(EnqueueResult e, q->Enqueue(r));
  ASSERT_OK_AND_ASSIGN(std::string preview, q->GetPreview(e.item_id));
  EXPECT_EQ(preview, r.preview);
  ASSERT_OK_AND_ASSIGN(ReviewItem item, q->GetItem(e.item_id));
  EXPECT_TRUE(item.has_preview);
  EXPECT_EQ(item.matches[0].bank, "ncmec-pdq");
  EXPECT_EQ(item.context.upload_time, r.context.upload_time);
  // 40 (A) + 20 * (31-25)/(31-10) + 20 (grooming).
  EXPECT_NEAR(item.base_priority, 40 + 20.0 * 6 / 21 + 20, 1e-9);
  EXPECT_EQ(item.priority_class, PriorityClass::kHigh);
  EXPECT_EQ(item.sla_deadline, item.enqueue_time + absl::Hours(4));
  EXPECT_EQ(item.summary, "");
}

TEST_F(ReviewQueueTest, CaseSummaryIsStoredAcrossReopenAndBoundedInLength) {
  uint64_t id = 0;
  {
    auto q = OpenQueue();
    EnqueueRequest r = Request("case-1", "user_report", "", ItemKind::kCase);
    r.summary = "account asks minors for photos";
    ASSERT_OK_AND_ASSIGN(EnqueueResult e, q->Enqueue(r));
    id = e.item_id;
    r.content_id = "case-2";
    r.summary = std::string(4097, 'x');
    EXPECT_THAT(q->Enqueue(r), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("summary")));
  }
  auto q = OpenQueue();
  ASSERT_OK_AND_ASSIGN(ReviewItem item, q->GetItem(id));
  EXPECT_EQ(item.summary, "account asks minors for photos");
  EXPECT_EQ(item.kind, ItemKind::kCase);
  EXPECT_THAT(q->FindItem("case-2"), StatusIs(absl::StatusCode::kNotFound));
}

// --- Welfare ----------------------------------------------------------------

TEST_F(ReviewQueueTest, HourlyExposureLimitAsksForABreakAndSurvivesRestart) {
  options_.welfare.max_items_per_hour = 3;
  const absl::Time start = clock_.Now();
  {
    auto q = OpenQueue();
    std::vector<EnqueueRequest> batch;
    for (int i = 0; i < 10; ++i) batch.push_back(Request(absl::StrCat("c", i)));
    ASSERT_OK(q->EnqueueBatch(batch));
    ASSERT_OK_AND_ASSIGN(auto leased, q->Lease("alice", 5));
    EXPECT_THAT(leased, SizeIs(3));  // capped by the limit
    for (const LeasedItem& l : leased)
      ASSERT_OK(q->Decide("alice", l.lease, {.kind = DecisionKind::kReject}));
    clock_.Advance(absl::Minutes(30));
    EXPECT_THAT(
        q->Lease("alice", 1),
        StatusIs(absl::StatusCode::kResourceExhausted,
                 HasSubstr("take a break until 2023-11-14T23:13:20.000Z")));
    EXPECT_TRUE(LeaseOne(*q, "bob"));  // limits are per moderator
  }
  auto q = OpenQueue();
  EXPECT_THAT(q->Lease("alice", 1),
              StatusIs(absl::StatusCode::kResourceExhausted));
  ASSERT_OK_AND_ASSIGN(WelfareStatus w, q->Welfare("alice"));
  EXPECT_EQ(w.allowed_now, 0);
  EXPECT_EQ(w.break_until, start + absl::Hours(1));
  clock_.Set(start + absl::Hours(1));
  ASSERT_OK_AND_ASSIGN(auto leased, q->Lease("alice", 5));
  EXPECT_THAT(leased, SizeIs(3));
}

TEST_F(ReviewQueueTest, BreakIsRequiredAfterConsecutiveItems) {
  options_.welfare.break_after_items = 4;
  options_.welfare.break_length = absl::Minutes(15);
  auto q = OpenQueue();
  std::vector<EnqueueRequest> batch;
  for (int i = 0; i < 10; ++i) batch.push_back(Request(absl::StrCat("c", i)));
  ASSERT_OK(q->EnqueueBatch(batch));
  for (int i = 0; i < 4; ++i) {
    auto l = LeaseOne(*q, "alice");
    ASSERT_TRUE(l);
    clock_.Advance(absl::Minutes(2));
    ASSERT_OK(q->Decide("alice", l->lease, {.kind = DecisionKind::kReject}));
  }
  const absl::Time last = clock_.Now();
  clock_.Advance(absl::Minutes(5));
  EXPECT_THAT(q->Lease("alice", 1),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("4 items without a break")));
  ASSERT_OK_AND_ASSIGN(WelfareStatus w, q->Welfare("alice"));
  EXPECT_EQ(w.break_until, last + absl::Minutes(15));
  clock_.Set(last + absl::Minutes(15));
  ASSERT_OK_AND_ASSIGN(auto leased, q->Lease("alice", 10));
  EXPECT_THAT(leased, SizeIs(4));
}

TEST_F(ReviewQueueTest, ShiftLimitCountsAcrossHours) {
  options_.welfare.max_items_per_shift = 4;
  options_.welfare.shift_length = absl::Hours(8);
  auto q = OpenQueue();
  std::vector<EnqueueRequest> batch;
  for (int i = 0; i < 10; ++i) batch.push_back(Request(absl::StrCat("c", i)));
  ASSERT_OK(q->EnqueueBatch(batch));
  const absl::Time start = clock_.Now();
  for (int i = 0; i < 4; ++i) {
    auto l = LeaseOne(*q, "alice");
    ASSERT_TRUE(l);
    ASSERT_OK(q->Decide("alice", l->lease, {.kind = DecisionKind::kReject}));
    clock_.Advance(absl::Hours(1));
  }
  EXPECT_THAT(
      q->Lease("alice", 1),
      StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("this shift")));
  clock_.Set(start + absl::Hours(8));
  EXPECT_TRUE(LeaseOne(*q, "alice"));
}

// --- Audit and stats --------------------------------------------------------

TEST_F(ReviewQueueTest, AuditRecordsEveryEventChained) {
  auto q = OpenQueue();
  ASSERT_OK(q->Enqueue(Request("x")));
  auto l = LeaseOne(*q, "alice");
  ASSERT_TRUE(l);
  ASSERT_OK(
      q->RecordReveal("alice", l->lease.item_id, "needed to see the original"));
  ASSERT_OK(q->ExtendLease("alice", l->lease));
  ASSERT_OK(q->Decide("alice", l->lease, {.kind = DecisionKind::kEscalate}));
  ASSERT_OK_AND_ASSIGN(auto entries, q->ReadAudit(0, 100));
  std::vector<AuditEvent> events;
  for (const AuditEntry& e : entries) events.push_back(e.event);
  EXPECT_THAT(events,
              ElementsAre(AuditEvent::kEnqueue, AuditEvent::kLease,
                          AuditEvent::kReveal, AuditEvent::kExtend,
                          AuditEvent::kDecision, AuditEvent::kEscalation));
  EXPECT_EQ(entries[2].actor, "alice");
  EXPECT_THAT(entries[2].details, HasSubstr("needed to see the original"));
  EXPECT_EQ(entries[0].prev_hash, std::string(32, '\0'));
  for (size_t i = 0; i < entries.size(); ++i) EXPECT_EQ(entries[i].index, i);
  ASSERT_OK_AND_ASSIGN(AuditHead head, q->VerifyAudit());
  EXPECT_EQ(head.entries, 6u);
  EXPECT_THAT(head.last_hash_hex, SizeIs(64));
  ASSERT_OK_AND_ASSIGN(ReviewItem item, q->GetItem(l->lease.item_id));
  EXPECT_EQ(item.history[2].event, "reveal");
}

TEST_F(ReviewQueueTest, StatsReportDepthAgeOverdueAndLeases) {
  auto q = OpenQueue();
  ASSERT_OK(q->Enqueue(Request("a1", "proactive", "A", ItemKind::kHashMatch,
                               {"grooming"})));            // 60: high
  ASSERT_OK(q->Enqueue(Request("c1", "proactive", "C")));  // low
  clock_.Advance(absl::Hours(2));
  ASSERT_OK(q->Enqueue(Request("u1", "user_report", "C")));
  ASSERT_OK(q->Enqueue(Request("u2", "user_report", "C")));
  clock_.Advance(absl::Hours(3));
  auto l = LeaseOne(*q, "m", {"user_report"});
  ASSERT_TRUE(l);
  ASSERT_OK_AND_ASSIGN(QueueStats s, q->Stats());
  EXPECT_EQ(s.items, 4);
  EXPECT_EQ(s.waiting, 3);
  EXPECT_EQ(s.leases_outstanding, 1);
  EXPECT_EQ(s.oldest_age, absl::Hours(5));
  EXPECT_EQ(s.overdue, 1);  // a1: high class, 4 h SLA, waited 5 h
  ASSERT_THAT(s.lanes, SizeIs(3));
  const LaneStats& p = s.lanes[1];
  EXPECT_EQ(p.lane, "proactive");
  EXPECT_EQ(p.waiting, 2);
  EXPECT_EQ(p.classes[static_cast<int>(PriorityClass::kHigh)].waiting, 1);
  EXPECT_EQ(p.classes[static_cast<int>(PriorityClass::kHigh)].overdue, 1);
  EXPECT_EQ(p.classes[static_cast<int>(PriorityClass::kLow)].waiting, 1);
  EXPECT_EQ(p.classes[static_cast<int>(PriorityClass::kLow)].oldest_age,
            absl::Hours(5));
  EXPECT_EQ(s.lanes[2].waiting, 1);
  EXPECT_EQ(s.lanes[2].oldest_age, absl::Hours(3));
  EXPECT_EQ(s.lanes[0].waiting, 0);
}

// --- Leases bound to a token; decisions' pending follow-up ----------------

// A lease taken with a token is live only under that token, so a moderator
// name given to a new token holds none of the old token's leases; the token
// survives reopening.
TEST_F(ReviewQueueTest, LeaseBelongsToTheTokenItWasTakenWith) {
  LeaseRef held;
  {
    auto q = OpenQueue();
    ASSERT_OK(q->Enqueue(Request("c1")));
    ASSERT_OK_AND_ASSIGN(auto leased, q->Lease("alice", 1, {}, "token-1"));
    ASSERT_THAT(leased, SizeIs(1));
    held = leased[0].lease;
    EXPECT_EQ(held.token, "token-1");
  }
  auto q = OpenQueue();
  ASSERT_OK_AND_ASSIGN(ReviewItem item, q->GetItem(held.item_id));
  EXPECT_EQ(item.lease_token, "token-1");
  const std::string before = Fingerprint(*q);
  LeaseRef other = held;
  other.token = "token-2";
  EXPECT_THAT(q->ExtendLease("alice", other),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("another token")));
  EXPECT_THAT(q->Release("alice", other),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(q->Decide("alice", other, {.kind = DecisionKind::kSkip}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Fingerprint(*q), before);
  EXPECT_OK(q->ExtendLease("alice", held));
}

// A confirm or reject leaves its follow-up pending, in the same write,
// until acknowledged; escalations and skips leave none.
TEST_F(ReviewQueueTest, FinalDecisionsStayPendingUntilAcknowledged) {
  {
    auto q = OpenQueue();
    for (const char* id : {"c1", "c2", "c3"}) {
      EnqueueRequest r = Request(id);
      r.preview = "blurred";
      ASSERT_OK(q->Enqueue(r));
    }
    for (DecisionKind kind :
         {DecisionKind::kConfirm, DecisionKind::kSkip, DecisionKind::kReject}) {
      auto l = LeaseOne(*q, "alice");
      ASSERT_TRUE(l);
      ASSERT_OK(
          q->Decide("alice", l->lease,
                    {.kind = kind,
                     .category = kind == DecisionKind::kConfirm ? "A" : ""}));
    }
    ASSERT_OK_AND_ASSIGN(auto pending, q->PendingDecisions(10));
    EXPECT_THAT(pending, SizeIs(2));
  }
  auto q = OpenQueue();  // pending decisions survive reopening
  ASSERT_OK_AND_ASSIGN(auto pending, q->PendingDecisions(10));
  ASSERT_THAT(pending, SizeIs(2));
  EXPECT_LT(pending[0], pending[1]);
  ASSERT_OK_AND_ASSIGN(auto first, q->PendingDecisions(1));
  EXPECT_THAT(first, ElementsAre(pending[0]));
  for (uint64_t id : pending) {
    ASSERT_OK_AND_ASSIGN(ReviewItem item, q->GetItem(id));
    EXPECT_EQ(item.state, ItemState::kDecided);
    // A final decision deletes the preview in the same write.
    EXPECT_FALSE(item.has_preview);
    EXPECT_THAT(q->GetPreview(id), IsOkAndHolds(""));
  }
  ASSERT_OK_AND_ASSIGN(ReviewItem skipped, q->FindItem("c2"));
  EXPECT_THAT(q->GetPreview(skipped.id), IsOkAndHolds("blurred"));
  ASSERT_OK(q->AcknowledgeDecision(pending[0]));
  ASSERT_OK(q->AcknowledgeDecision(pending[0]));  // twice is fine
  EXPECT_THAT(q->PendingDecisions(10), IsOkAndHolds(ElementsAre(pending[1])));
  EXPECT_THAT(q->PendingDecisions(0),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK(q->VerifyAudit());
}

}  // namespace
}  // namespace hashwatch::queue
