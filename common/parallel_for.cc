#include "common/parallel_for.h"

#include <algorithm>
#include <atomic>
#include <thread>

namespace hashwatch {
namespace {

// Runs items on one worker: item `worker` first, then whatever is next.
class ItemSource {
 public:
  ItemSource(size_t n, int workers) : n_(n), next_(workers) {}

  void Run(int worker, absl::FunctionRef<void(int, size_t)> body) {
    for (size_t i = static_cast<size_t>(worker); i < n_;
         i = next_.fetch_add(1, std::memory_order_relaxed)) {
      body(worker, i);
    }
  }

 private:
  const size_t n_;
  std::atomic<size_t> next_;
};

// Runs workers [first, workers) of `items` on new threads and `on_caller`
// on this one, then joins the threads.
void FanOut(ItemSource& items, int first, int workers,
            absl::FunctionRef<void(int, size_t)> body,
            absl::FunctionRef<void()> on_caller) {
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(std::max(0, workers - first)));
  for (int w = first; w < workers; ++w) {
    threads.emplace_back([&items, body, w] { items.Run(w, body); });
  }
  on_caller();
  for (std::thread& t : threads) t.join();
}

}  // namespace

int ResolveThreadCount(int requested) {
  if (requested > 0) return requested;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

int ParallelWorkerCount(size_t n, const ParallelForOptions& options) {
  return static_cast<int>(std::min<size_t>(
      n, static_cast<size_t>(ResolveThreadCount(options.threads))));
}

void ParallelForWithWorker(size_t n, const ParallelForOptions& options,
                           absl::FunctionRef<void(int worker, size_t i)> body) {
  const int workers = ParallelWorkerCount(n, options);
  if (workers == 0) return;
  ItemSource items(n, workers);
  FanOut(items, 1, workers, body, [&] { items.Run(0, body); });
}

void ParallelFor(size_t n, const ParallelForOptions& options,
                 absl::FunctionRef<void(size_t i)> body) {
  ParallelForWithWorker(n, options, [body](int, size_t i) { body(i); });
}

namespace internal_parallel_for {

void RunBeside(size_t n, const ParallelForOptions& options,
               absl::FunctionRef<void(int worker, size_t i)> body,
               absl::FunctionRef<void()> beside) {
  const int workers = ParallelWorkerCount(n, options);
  ItemSource items(n, workers);
  FanOut(items, 0, workers, body, beside);
}

}  // namespace internal_parallel_for
}  // namespace hashwatch
