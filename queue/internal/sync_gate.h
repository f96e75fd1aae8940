// Group commit for the queue (private).
//
// The queue writes each batch with WriteOptions::sync = false while it holds
// its mutex, so the WAL order is exactly the order in which it chained the
// audit entries; then, outside the mutex, the caller waits here until a WAL
// fsync covering its write has completed. One fsync covers every write made
// before it started, so concurrent callers share fsyncs. (RocksDB's own
// group commit for sync=true writes would do the sharing, but only if we
// called Write outside our mutex, and then a later audit entry could reach
// the WAL, durably, before an earlier one: a gap in the chain after a
// crash.)
//
// Thread-safety: thread-safe.
#ifndef HASHWATCH_QUEUE_INTERNAL_SYNC_GATE_H_
#define HASHWATCH_QUEUE_INTERNAL_SYNC_GATE_H_

#include <cstdint>
#include <functional>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace hashwatch::queue::internal {

class SyncGate {
 public:
  // `sync` makes every write so far durable (DB::SyncWAL).
  explicit SyncGate(std::function<absl::Status()> sync)
      : sync_(std::move(sync)) {}

  // Records that a write has been made; returns its ticket. Call right after
  // the write, in write order (under the writer's own mutex).
  uint64_t Written();

  // Blocks until a sync that started after write `ticket` has finished.
  // After a failed sync every later call fails too (Unavailable): the WAL
  // state is unknown and the queue must be reopened.
  absl::Status WaitDurable(uint64_t ticket);

 private:
  const std::function<absl::Status()> sync_;
  absl::Mutex mu_;
  uint64_t written_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t synced_ ABSL_GUARDED_BY(mu_) = 0;
  bool syncing_ ABSL_GUARDED_BY(mu_) = false;
  absl::CondVar done_;  // signalled when a sync ends
  absl::Status error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hashwatch::queue::internal

#endif  // HASHWATCH_QUEUE_INTERNAL_SYNC_GATE_H_
