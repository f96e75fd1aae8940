#include "queue/internal/sync_gate.h"

#include "absl/strings/str_cat.h"

namespace hashwatch::queue::internal {

SyncGate::SyncGate(std::function<absl::Status()> sync)
    : sync_(std::move(sync)), thread_([this] { Run(); }) {}

SyncGate::~SyncGate() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

uint64_t SyncGate::Written() {
  absl::MutexLock lock(&mu_);
  return ++written_;
}

absl::Status SyncGate::WaitDurable(uint64_t ticket) {
  absl::MutexLock lock(&mu_);
  // absl::Mutex evaluates the condition for us on each unlock: a waiter is
  // woken only once its write is synced (or syncing has failed).
  struct Args {
    SyncGate* gate;
    uint64_t ticket;
  } args{this, ticket};
  mu_.Await(absl::Condition(
      +[](Args* a) ABSL_NO_THREAD_SAFETY_ANALYSIS {
        return a->gate->synced_ >= a->ticket || !a->gate->error_.ok();
      },
      &args));
  if (synced_ >= ticket) return absl::OkStatus();
  return error_;
}

void SyncGate::Run() {
  absl::MutexLock lock(&mu_);
  while (true) {
    mu_.Await(absl::Condition(
        +[](SyncGate* g) ABSL_NO_THREAD_SAFETY_ANALYSIS {
          return g->written_ > g->synced_ || g->stop_;
        },
        this));
    if (written_ == synced_) return;   // stopping, nothing left
    const uint64_t target = written_;  // every write made before the sync
    mu_.Unlock();
    const absl::Status s = sync_();
    mu_.Lock();
    if (!s.ok()) {
      error_ = absl::UnavailableError(absl::StrCat(
          "queue: WAL sync failed; reopen the queue: ", s.message()));
      return;
    }
    synced_ = target;
  }
}

}  // namespace hashwatch::queue::internal
