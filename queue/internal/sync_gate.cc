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
  absl::MutexLock lock(&mu_);
  // No caller can be waiting any more; finish what was written unawaited.
  if (Unsynced()) Lead();
}

uint64_t SyncGate::Written() { return written_.fetch_add(1) + 1; }

void SyncGate::Lead() {
  syncing_ = true;
  const uint64_t target = written_.load();  // every write made before it
  mu_.Unlock();
  const absl::Status s = sync_();
  mu_.Lock();
  syncing_ = false;
  if (!s.ok()) {
    error_ = absl::UnavailableError(absl::StrCat(
        "queue: WAL sync failed; reopen the queue: ", s.message()));
    return;
  }
  synced_ = target;
}

absl::Status SyncGate::WaitDurable(uint64_t ticket) {
  absl::MutexLock lock(&mu_);
  struct Args {
    SyncGate* gate;
    uint64_t ticket;
  } args{this, ticket};
  // absl::Mutex evaluates the condition for us on each unlock: a waiter
  // wakes once its write is synced, syncing has failed, or no sync is
  // running (then it runs one).
  const absl::Condition settled(
      +[](Args* a) ABSL_NO_THREAD_SAFETY_ANALYSIS {
        return a->gate->synced_ >= a->ticket || !a->gate->error_.ok() ||
               !a->gate->syncing_;
      },
      &args);
  while (true) {
    mu_.Await(settled);
    if (synced_ >= ticket) break;
    if (!error_.ok()) return error_;
    Lead();
  }
  // Writes made during our sync: let the gate's thread run the next ones.
  if (Unsynced() && !syncing_) take_over_ = true;
  return absl::OkStatus();
}

void SyncGate::Run() {
  absl::MutexLock lock(&mu_);
  while (true) {
    mu_.Await(absl::Condition(
        +[](SyncGate* g) ABSL_NO_THREAD_SAFETY_ANALYSIS {
          return g->take_over_ || g->stop_;
        },
        this));
    if (stop_) return;
    take_over_ = false;
    while (Unsynced() && !stop_) {
      if (syncing_) {
        // A caller started one meanwhile: wait for it, then carry on.
        mu_.Await(absl::Condition(
            +[](SyncGate* g) ABSL_NO_THREAD_SAFETY_ANALYSIS {
              return !g->syncing_ || g->stop_;
            },
            this));
        continue;
      }
      Lead();
    }
  }
}

}  // namespace hashwatch::queue::internal
