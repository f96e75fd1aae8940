// Tampering with the stored audit log is detected by VerifyAudit.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "queue/internal/records.h"
#include "queue/internal/schema.h"
#include "queue/review_queue.h"
#include "rocksdb/db.h"
#include "tests/queue/queue_test_util.h"
#include "tests/testing/status_matchers.h"

namespace hashwatch::queue {
namespace {

using ::hashwatch::queue::testing::Request;
using ::hashwatch::queue::testing::TempDir;
using ::hashwatch::queue::testing::TestOptions;
using ::hashwatch::testing::StatusIs;
using ::testing::HasSubstr;

// Opens the queue's database directly, as someone with disk access would.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const char* name : internal::kCfNames)
      cfs.emplace_back(name, rocksdb::ColumnFamilyOptions());
    rocksdb::DB* db = nullptr;
    const rocksdb::Status s =
        rocksdb::DB::Open(rocksdb::DBOptions(), path, cfs, &handles_, &db);
    EXPECT_TRUE(s.ok()) << s.ToString();
    db_.reset(db);
  }
  ~RawDb() {
    for (auto* h : handles_)
      db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  }
  rocksdb::ColumnFamilyHandle* audit() { return handles_[internal::kAuditCf]; }
  std::string Get(uint64_t index) {
    std::string v;
    EXPECT_TRUE(
        db_->Get(rocksdb::ReadOptions(), audit(), internal::U64Key(index), &v)
            .ok());
    return v;
  }
  void Put(uint64_t index, const std::string& v) {
    ASSERT_TRUE(
        db_->Put(rocksdb::WriteOptions(), audit(), internal::U64Key(index), v)
            .ok());
  }
  void Delete(uint64_t index) {
    ASSERT_TRUE(
        db_->Delete(rocksdb::WriteOptions(), audit(), internal::U64Key(index))
            .ok());
  }

 private:
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<rocksdb::DB> db_;
};

class AuditTamperTest : public ::testing::Test {
 protected:
  // Writes 12 audit entries: 4 enqueues, then lease + decision for 4 items.
  void SetUp() override {
    auto q = ReviewQueue::Open(TestOptions(dir_.path()), &clock_);
    ASSERT_OK(q);
    for (int i = 0; i < 4; ++i)
      ASSERT_OK((*q)->Enqueue(Request(absl::StrCat("c", i))));
    for (int i = 0; i < 4; ++i) {
      clock_.Advance(absl::Minutes(1));
      auto l = (*q)->Lease("alice", 1);
      ASSERT_OK(l);
      ASSERT_OK((*q)->Decide("alice", l->front().lease,
                             {.kind = DecisionKind::kReject}));
    }
    ASSERT_OK_AND_ASSIGN(AuditHead head, (*q)->VerifyAudit());
    ASSERT_EQ(head.entries, 12u);
  }

  absl::StatusOr<AuditHead> Verify() {
    auto q = ReviewQueue::Open(TestOptions(dir_.path()), &clock_);
    if (!q.ok()) return q.status();
    return (*q)->VerifyAudit();
  }

  TempDir dir_;
  FakeClock clock_;
};

TEST_F(AuditTamperTest, EditedEntryBreaksTheNextLink) {
  {
    RawDb raw(dir_.path());
    AuditEntry e;
    ASSERT_OK(internal::DecodeAuditEntry(raw.Get(5), &e));
    EXPECT_EQ(e.event, AuditEvent::kDecision);
    e.details = "lease=1 kind=confirm category=A";  // was a reject
    raw.Put(5, internal::EncodeAuditEntry(e));
  }
  EXPECT_THAT(Verify(), StatusIs(absl::StatusCode::kDataLoss,
                                 HasSubstr("audit chain broken at entry 6")));
}

TEST_F(AuditTamperTest, RemovedEntryIsReported) {
  { RawDb(dir_.path()).Delete(3); }
  EXPECT_THAT(Verify(),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("broken at entry 3: entry missing")));
}

TEST_F(AuditTamperTest, TruncatedTailDisagreesWithTheHead) {
  { RawDb(dir_.path()).Delete(11); }
  EXPECT_THAT(
      Verify(),
      StatusIs(absl::StatusCode::kDataLoss,
               HasSubstr("the log has 11 entries but the head records 12")));
}

TEST_F(AuditTamperTest, RewrittenChainDisagreesWithTheHead) {
  {
    // Edit entry 2 and re-chain everything after it: only the head catches it.
    RawDb raw(dir_.path());
    std::string prev;
    for (uint64_t i = 2; i < 12; ++i) {
      AuditEntry e;
      ASSERT_OK(internal::DecodeAuditEntry(raw.Get(i), &e));
      if (i == 2) e.actor = "mallory";
      if (i > 2) e.prev_hash = prev;
      const std::string v = internal::EncodeAuditEntry(e);
      raw.Put(i, v);
      prev = internal::Sha256(v);
    }
  }
  EXPECT_THAT(Verify(),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("does not match the recorded head")));
}

TEST_F(AuditTamperTest, UntouchedLogVerifies) {
  ASSERT_OK_AND_ASSIGN(AuditHead head, Verify());
  EXPECT_EQ(head.entries, 12u);
}

}  // namespace
}  // namespace hashwatch::queue
