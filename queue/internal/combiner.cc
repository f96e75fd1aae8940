#include "queue/internal/combiner.h"

#include <utility>

namespace hashwatch::queue::internal {

void Combiner::Run(absl::FunctionRef<void()> fn) {
  Request mine{fn};
  absl::MutexLock lock(&mu_);
  pending_.push_back(&mine);
  struct Args {
    Combiner* self;
    Request* mine;
  } args{this, &mine};
  // absl::Mutex evaluates the condition on each unlock of mu_: a waiter
  // wakes when its closure has run or when no one is combining.
  mu_.Await(absl::Condition(
      +[](Args* a) ABSL_NO_THREAD_SAFETY_ANALYSIS {
        return a->mine->done || !a->self->combining_;
      },
      &args));
  if (mine.done) return;
  // Ours is still pending (only a combiner takes requests), so the first
  // batch runs it.
  combining_ = true;
  bool own_done = false;
  int after_own = 0;
  std::vector<Request*> batch;
  while (!pending_.empty() && after_own < kMaxAfterOwn) {
    batch.clear();
    std::swap(batch, pending_);
    mu_.Unlock();
    {
      absl::MutexLock section(section_);
      for (Request* r : batch) {
        r->fn();
        if (own_done) ++after_own;
        if (r == &mine) own_done = true;
      }
    }
    mu_.Lock();
    for (Request* r : batch) r->done = true;
  }
  combining_ = false;
}

}  // namespace hashwatch::queue::internal
