// Group commit for the queue (private).
//
// The queue writes each batch into RocksDB's WAL buffer (manual_wal_flush)
// while it holds its mutex, so the WAL order is exactly the order in which
// it chained the audit entries. A caller then waits here, outside the
// mutex, until a WAL write+fsync that started after its write has
// finished. One background thread does the syncs back to back while there
// are unsynced writes, so one fsync covers every write made while the
// previous one ran, and only the callers a sync covers are woken. (RocksDB's
// own group commit for sync=true writes would share fsyncs only if we
// called Write outside our mutex, and then a later audit entry could reach
// the WAL, durably, before an earlier one: a gap in the chain after a
// crash.)
//
// Thread-safety: thread-safe.
#ifndef HASHWATCH_QUEUE_INTERNAL_SYNC_GATE_H_
#define HASHWATCH_QUEUE_INTERNAL_SYNC_GATE_H_

#include <cstdint>
#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace hashwatch::queue::internal {

class SyncGate {
 public:
  // `sync` makes every write so far durable; it runs on the gate's thread.
  explicit SyncGate(std::function<absl::Status()> sync);
  // Syncs what is still unsynced, then stops the thread.
  ~SyncGate();
  SyncGate(const SyncGate&) = delete;
  SyncGate& operator=(const SyncGate&) = delete;

  // Records that a write has been made; returns its ticket. Call right after
  // the write, in write order (under the writer's own mutex).
  uint64_t Written();

  // Blocks until a sync that started after write `ticket` has finished.
  // After a failed sync every later call fails too (Unavailable): the WAL
  // state is unknown and the queue must be reopened.
  absl::Status WaitDurable(uint64_t ticket);

 private:
  void Run();

  const std::function<absl::Status()> sync_;
  absl::Mutex mu_;
  uint64_t written_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t synced_ ABSL_GUARDED_BY(mu_) = 0;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;  // last: starts after the fields above exist
};

}  // namespace hashwatch::queue::internal

#endif  // HASHWATCH_QUEUE_INTERNAL_SYNC_GATE_H_
