// Helpers shared by the queue tests: a per-test database directory and
// request builders.
#ifndef HASHWATCH_TESTS_QUEUE_QUEUE_TEST_UTIL_H_
#define HASHWATCH_TESTS_QUEUE_QUEUE_TEST_UTIL_H_

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "queue/review_queue.h"

namespace hashwatch::queue::testing {

// A fresh directory under the test temp dir, removed on destruction.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::path(::testing::TempDir()) /
            ("hw_queue_" + std::to_string(getpid()) + "_" +
             (info ? std::string(info->test_suite_name()) + "." + info->name()
                   : "x") +
             "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string path(const std::string& sub = "db") const {
    return (path_ / sub).string();
  }

 private:
  std::filesystem::path path_;
};

inline EnqueueRequest Request(const std::string& content_id,
                              const std::string& lane = "proactive",
                              const std::string& category = "C",
                              ItemKind kind = ItemKind::kHashMatch,
                              std::vector<std::string> signals = {}) {
  EnqueueRequest r;
  r.content_id = content_id;
  r.lane = lane;
  r.kind = kind;
  r.category = category;
  r.context.signals = std::move(signals);
  r.hashes.md5 = "d41d8cd98f00b204e9800998ecf8427e";
  return r;
}

// Options for tests: welfare limits off unless a test sets them.
inline QueueOptions TestOptions(const std::string& path) {
  QueueOptions o;
  o.path = path;
  o.welfare.max_items_per_hour = 0;
  o.welfare.max_items_per_shift = 0;
  o.welfare.break_after_items = 0;
  o.block_cache_bytes = 1 << 20;
  o.write_buffer_bytes = 8 << 20;
  return o;
}

}  // namespace hashwatch::queue::testing

#endif  // HASHWATCH_TESTS_QUEUE_QUEUE_TEST_UTIL_H_
