// A database with one review item, for the tests of who may read, reveal
// and decide it and of what a decision leaves behind (engine_decide_test,
// decide_crash_test). Precomputed hashes; a fake clock.
#ifndef HASHWATCH_TESTS_REVIEW_API_REVIEW_FIXTURE_H_
#define HASHWATCH_TESTS_REVIEW_API_REVIEW_FIXTURE_H_

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "review_api/engine.h"
#include "review_api/scan_records.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch::review_api::review_test {

inline constexpr char kKnownPdq[] =
    "f8f8f0cce0f4a84f06370a32a7f4d0f0f0e0c0d1a0b0f8f0e0c0a0b0c0d0e0f0";

// kKnownPdq with its first bits/4 hex digits inverted (distance `bits`).
inline std::string PdqAtDistance(int bits) {
  std::string near = kKnownPdq;
  for (int i = 0; i < bits / 4; ++i) {
    const int digit = std::stoi(near.substr(i, 1), nullptr, 16) ^ 0xf;
    near[i] = "0123456789abcdef"[digit];
  }
  return near;
}

inline v1::ScanRequest HashScan(const std::string& content_id,
                                const std::string& pdq) {
  v1::ScanRequest request;
  request.set_content_id(content_id);
  v1::Hashes* h = request.mutable_hashes();
  h->set_pdq(pdq);
  h->set_pdq_quality(90);
  h->set_md5(std::string(32, 'a'));
  h->set_sha256(std::string(64, 'c'));
  return request;
}

// Moderators' tokens have the id "id-<name>".
inline Reviewer Mod(const std::string& name) {
  return {.name = name, .token_id = "id-" + name};
}
inline Reviewer Lead() {
  return {.name = "lead-1", .token_id = "id-lead-1", .lead = true};
}

// The config both the tests and the crash child use.
inline ServerConfig ReviewConfigFor(const std::string& db) {
  ServerConfig config;
  config.db = db;
  return config;
}

// Creates the bank "hotline" holding kKnownPdq (category "A").
inline absl::Status AddHotline(Engine& engine) {
  v1::CreateBankRequest create;
  create.set_name("hotline");
  absl::Status s = engine.CreateBank("admin", create).status();
  if (!s.ok()) return s;
  v1::AddEntriesRequest add;
  add.set_bank("hotline");
  v1::NewEntry* e = add.add_entries();
  e->set_signal(v1::SIGNAL_TYPE_PDQ);
  e->set_value(kKnownPdq);
  e->set_category("A");
  bool given = false;
  return engine
      .AddEntries(
          "admin",
          [&](v1::AddEntriesRequest* m) {
            if (given) return false;
            *m = add;
            given = true;
            return true;
          },
          [] { return false; })
      .status();
}

inline v1::DecideRequest Confirm(uint64_t item, uint64_t lease) {
  v1::DecideRequest d;
  d.set_item_id(item);
  d.set_lease_id(lease);
  d.set_kind(v1::DECISION_KIND_CONFIRM);
  d.set_category("A");
  return d;
}

class ReviewFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = ReviewConfigFor(dir_.Sub("db"));
    Open();
    ASSERT_OK(AddHotline(*engine_));
    ASSERT_OK_AND_ASSIGN(v1::ScanResponse r,
                         engine_->Scan(HashScan("c-1", PdqAtDistance(20))));
    ASSERT_EQ(r.verdict(), v1::QUEUED_FOR_REVIEW);
    item_ = r.item_id();
  }

  void Open() {
    engine_.reset();
    auto engine = Engine::Open(config_, &clock_);
    ASSERT_OK(engine.status());
    engine_ = *std::move(engine);
  }

  // Stores an unblurred preview for the item (with the engine closed, as
  // only one process or object may hold the database), then reopens.
  void PutRevealPreview(uint64_t item, const std::string& jpeg) {
    engine_.reset();
    {
      auto records =
          ScanRecords::Open({.path = config_.db + "/scans"}, &clock_);
      ASSERT_OK(records.status());
      ASSERT_OK((*records)->PutRevealPreview(item, jpeg));
    }
    Open();
  }

  // Whether the item's unblurred preview is still stored (reopens).
  bool HasRevealPreview(uint64_t item) {
    engine_.reset();
    bool has = false;
    {
      auto records =
          ScanRecords::Open({.path = config_.db + "/scans"}, &clock_);
      EXPECT_OK(records.status());
      if (records.ok()) has = (*records)->GetRevealPreview(item).ok();
    }
    Open();
    return has;
  }

  v1::LeasedItem LeaseOne(const Reviewer& who) {
    auto leased = engine_->Lease(who, v1::LeaseRequest());
    EXPECT_OK(leased.status());
    if (!leased.ok() || leased->items_size() != 1) {
      ADD_FAILURE() << "leased no item";
      return v1::LeasedItem();
    }
    return leased->items(0);
  }

  int64_t BankEntries(const std::string& bank) {
    v1::GetStatsRequest get;
    get.set_name(bank);
    auto stats = engine_->GetBankStats(get);
    EXPECT_OK(stats.status());
    return stats.ok() ? stats->entries() : -1;
  }

  std::vector<v1::Report> Reports() {
    auto list = engine_->ListReports(v1::ListReportsRequest());
    EXPECT_OK(list.status());
    if (!list.ok()) return {};
    return {list->reports().begin(), list->reports().end()};
  }

  hashwatch::testing::TempDir dir_;
  FakeClock clock_;
  ServerConfig config_;
  std::unique_ptr<Engine> engine_;
  uint64_t item_ = 0;
};

}  // namespace hashwatch::review_api::review_test

#endif  // HASHWATCH_TESTS_REVIEW_API_REVIEW_FIXTURE_H_
