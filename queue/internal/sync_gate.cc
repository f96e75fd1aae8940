#include "queue/internal/sync_gate.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace hashwatch::queue::internal {

uint64_t SyncGate::Written() {
  absl::MutexLock lock(&mu_);
  return ++written_;
}

absl::Status SyncGate::WaitDurable(uint64_t ticket) {
  absl::MutexLock lock(&mu_);
  while (synced_ < ticket) {
    if (!error_.ok()) return error_;
    if (syncing_) {
      // Another caller is syncing; it may or may not cover us: wait, recheck.
      done_.Wait(&mu_);
      continue;
    }
    syncing_ = true;
    const uint64_t target = written_;  // every write made before the sync
    mu_.Unlock();
    const absl::Status s = sync_();
    mu_.Lock();
    syncing_ = false;
    // Wake every waiter: those this sync covered return at once (rather
    // than wait for the next sync), one of the others starts the next.
    done_.SignalAll();
    if (!s.ok()) {
      error_ = absl::UnavailableError(absl::StrCat(
          "queue: WAL sync failed; reopen the queue: ", s.message()));
      return error_;
    }
    synced_ = std::max(synced_, target);
  }
  return absl::OkStatus();
}

}  // namespace hashwatch::queue::internal
