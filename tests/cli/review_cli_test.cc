// `hashwatch review next|decide` against an in-process fake ReviewService
// (port 0): where the preview goes and with which file modes, and what an
// empty lease says.
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "hashwatch/v1/review.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "tests/testing/paths.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch {
namespace {

using ::hashwatch::testing::BinaryPath;
using ::hashwatch::testing::Lines;
using ::hashwatch::testing::ProcessResult;
using ::hashwatch::testing::RunProcess;
using ::hashwatch::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;

constexpr char kPreview[] = "\xff\xd8 blurred preview bytes";

// Leases item 7 (lease 99, with a preview) from "proactive" or any lane,
// nothing from another named lane or when hiding; Stats counts one waiting
// item in "proactive".
class FakeReview final : public v1::ReviewService::Service {
 public:
  grpc::Status Lease(grpc::ServerContext*, const v1::LeaseRequest* req,
                     v1::LeaseResponse* resp) override {
    leases_++;
    if (hide_ || (req->lanes_size() == 1 && req->lanes(0) != "proactive")) {
      return grpc::Status::OK;
    }
    v1::LeasedItem* l = resp->add_items();
    l->set_lease_id(99);
    l->set_preview_jpeg(kPreview);
    l->mutable_item()->set_id(7);
    l->mutable_item()->set_lane("proactive");
    return grpc::Status::OK;
  }
  grpc::Status Decide(grpc::ServerContext*, const v1::DecideRequest* req,
                      v1::DecideResponse* resp) override {
    if (req->lease_id() != 99) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          "not your lease");
    }
    resp->mutable_decision()->set_kind(req->kind());
    return grpc::Status::OK;
  }
  grpc::Status Stats(grpc::ServerContext*, const v1::QueueStatsRequest*,
                     v1::QueueStats* resp) override {
    if (stats_fail_) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "down");
    resp->set_waiting(1);
    v1::LaneStats* l = resp->add_lanes();
    l->set_lane("proactive");
    l->set_waiting(1);
    resp->add_lanes()->set_lane("user_report");
    return grpc::Status::OK;
  }
  std::atomic<int> leases_{0};
  std::atomic<bool> hide_{false};        // Lease answers no items
  std::atomic<bool> stats_fail_{false};  // Stats fails
};

class ReviewCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("HASHWATCH_TOKEN", "t", 1);
    // Hermetic default preview folder: under this test's TMPDIR.
    setenv("TMPDIR", tmp_.path().c_str(), 1);
    unsetenv("XDG_RUNTIME_DIR");
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(&review_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    address_ = absl::StrCat("127.0.0.1:", port);
  }
  void TearDown() override {
    server_->Shutdown();
    unsetenv("HASHWATCH_TOKEN");
    unsetenv("TMPDIR");
  }

  ProcessResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), BinaryPath("hashwatch"));
    args.insert(args.end(), {"--plaintext", "--server", address_});
    return RunProcess(args);
  }

  static mode_t Mode(const std::string& path) {
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) return 0;
    return st.st_mode & 07777;
  }

  TempDir tmp_, dir_;
  FakeReview review_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

TEST_F(ReviewCliTest, PreviewGoesToAPrivateFolderAndLeavesWithTheDecision) {
  umask(022);  // the usual umask must not make the preview readable
  ProcessResult next = Run({"review", "next"});
  ASSERT_EQ(next.exit_code, 0) << next.err;
  EXPECT_THAT(next.err, IsEmpty());
  const nlohmann::json j = nlohmann::json::parse(next.out);
  const std::string folder =
      absl::StrCat(tmp_.path(), "/hashwatch-previews-", geteuid());
  const std::string preview = folder + "/preview-7.jpg";
  EXPECT_EQ(j.at("preview"), preview);  // where, printed as an absolute path
  EXPECT_EQ(Mode(folder), 0700u);
  EXPECT_EQ(Mode(preview), 0600u);
  EXPECT_EQ(testing::ReadFileOrDie(preview), kPreview);
  EXPECT_FALSE(
      std::filesystem::exists("preview-7.jpg"));  // not the working folder

  ProcessResult decided = Run({"review", "decide", "7", "99", "skip"});
  ASSERT_EQ(decided.exit_code, 0) << decided.err;
  EXPECT_FALSE(std::filesystem::exists(preview));
  EXPECT_EQ(Mode(folder), 0700u);
}

TEST_F(ReviewCliTest, PreviewDirFlagAndRuntimeDir) {
  const std::string mine = dir_.Sub("previews");
  ProcessResult next = Run({"review", "next", "--preview-dir", mine});
  ASSERT_EQ(next.exit_code, 0) << next.err;
  EXPECT_EQ(nlohmann::json::parse(next.out).at("preview"),
            mine + "/preview-7.jpg");
  EXPECT_EQ(Mode(mine), 0700u);
  EXPECT_EQ(Mode(mine + "/preview-7.jpg"), 0600u);
  ASSERT_EQ(Run({"review", "decide", "7", "99", "skip", "--preview-dir", mine})
                .exit_code,
            0);
  EXPECT_FALSE(std::filesystem::exists(mine + "/preview-7.jpg"));

  // With XDG_RUNTIME_DIR (a per-user tmpfs), the default folder is there.
  const std::string runtime = dir_.Sub("run");
  ASSERT_EQ(mkdir(runtime.c_str(), 0700), 0);
  setenv("XDG_RUNTIME_DIR", runtime.c_str(), 1);
  ProcessResult in_runtime = Run({"review", "next"});
  unsetenv("XDG_RUNTIME_DIR");
  ASSERT_EQ(in_runtime.exit_code, 0) << in_runtime.err;
  EXPECT_EQ(nlohmann::json::parse(in_runtime.out).at("preview"),
            runtime + "/hashwatch-previews/preview-7.jpg");
  EXPECT_EQ(Mode(runtime + "/hashwatch-previews/preview-7.jpg"), 0600u);
}

TEST_F(ReviewCliTest, PreviewFileIsMadePrivateEvenWhenItExisted) {
  const std::string file = dir_.Write("p.jpg", "old");
  ASSERT_EQ(chmod(file.c_str(), 0644), 0);
  ProcessResult next = Run({"review", "next", "--preview", file});
  ASSERT_EQ(next.exit_code, 0) << next.err;
  EXPECT_EQ(nlohmann::json::parse(next.out).at("preview"), file);
  EXPECT_EQ(Mode(file), 0600u);
  EXPECT_EQ(testing::ReadFileOrDie(file), kPreview);
}

TEST_F(ReviewCliTest, PreviewIsNeverWrittenThroughASymlink) {
  const std::string target = dir_.Write("elsewhere.jpg", "untouched");
  const std::string link = dir_.Sub("link.jpg");
  ASSERT_EQ(symlink(target.c_str(), link.c_str()), 0);
  ProcessResult next = Run({"review", "next", "--preview", link});
  EXPECT_EQ(next.exit_code, 1);
  EXPECT_THAT(Lines(next.err), SizeIs(1));
  EXPECT_THAT(
      next.err,
      StartsWith("hashwatch: review next: cannot write the preview to "));
  EXPECT_EQ(testing::ReadFileOrDie(target), "untouched");
  // The lease is printed all the same, so it can be decided or released.
  EXPECT_EQ(nlohmann::json::parse(next.out).at("lease_id"), 99);
}

TEST_F(ReviewCliTest, FolderOpenToOthersIsRefusedBeforeLeasing) {
  const std::string open = dir_.Sub("shared");
  ASSERT_EQ(mkdir(open.c_str(), 0755), 0);
  ASSERT_EQ(chmod(open.c_str(), 0755), 0);
  ProcessResult next = Run({"review", "next", "--preview-dir", open});
  EXPECT_EQ(next.exit_code, 1);
  EXPECT_THAT(next.out, IsEmpty());
  EXPECT_THAT(Lines(next.err), SizeIs(1));
  EXPECT_THAT(next.err, HasSubstr("open to other users (mode 0755)"));
  EXPECT_EQ(review_.leases_, 0);

  const std::string link = dir_.Sub("link");
  ASSERT_EQ(symlink(dir_.path().c_str(), link.c_str()), 0);
  ProcessResult linked = Run({"review", "next", "--preview-dir", link});
  EXPECT_EQ(linked.exit_code, 1);
  EXPECT_THAT(linked.err, HasSubstr("is not a folder"));
  EXPECT_EQ(review_.leases_, 0);

  EXPECT_EQ(Run({"review", "next", "--preview", "a.jpg", "--preview-dir", open})
                .exit_code,
            2);
}

TEST_F(ReviewCliTest, EmptyLeaseSaysWhenWaitingItemsAreHidden) {
  // Stats counts one waiting item in proactive that Lease does not hand
  // out: what the real queue does with an item this moderator skipped.
  review_.hide_ = true;
  ProcessResult hidden = Run({"review", "next"});
  EXPECT_EQ(hidden.exit_code, 0);
  EXPECT_THAT(hidden.out, IsEmpty());
  EXPECT_EQ(hidden.err,
            "no items for you now: 1 waiting (proactive 1) is hidden from you: "
            "an item you "
            "skip stays hidden from you for 2 hours, and escalated items are "
            "for leads and "
            "admins\n");

  // Nothing waits in user_report: the queue is simply empty there.
  ProcessResult lane = Run({"review", "next", "--lane", "user_report"});
  EXPECT_EQ(lane.exit_code, 0);
  EXPECT_EQ(lane.err, "no items waiting\n");

  // Without stats (the call fails), the plain message.
  review_.stats_fail_ = true;
  ProcessResult no_stats = Run({"review", "next"});
  EXPECT_EQ(no_stats.exit_code, 0);
  EXPECT_EQ(no_stats.err, "no items waiting\n");
}

}  // namespace
}  // namespace hashwatch
