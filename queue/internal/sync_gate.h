// Group commit for the queue (private).
//
// The queue writes each batch into RocksDB's WAL buffer (manual_wal_flush)
// while it holds its mutex, so the WAL order is exactly the order in which
// it chained the audit entries. A caller then waits here, outside the
// mutex, until a WAL write+fsync that started after its write has
// finished. Every sync covers every write made before it started, so
// concurrent callers share fsyncs.
//
// Who runs the syncs: a caller that finds none running runs one itself, so
// a lone caller pays no thread hand-off. If writes arrived while that sync
// ran, the gate's own thread takes over and runs syncs back to back for as
// long as there are unsynced writes, so under load a sync starts as soon as
// the previous one ends rather than when a sleeping caller wakes (waking a
// thread costs tens of microseconds on a virtual machine). (RocksDB's own
// group commit for sync=true writes would share fsyncs only if we called
// Write outside our mutex, and then a later audit entry could reach the
// WAL, durably, before an earlier one: a gap in the chain after a crash.)
//
// Thread-safety: thread-safe.
#ifndef HASHWATCH_QUEUE_INTERNAL_SYNC_GATE_H_
#define HASHWATCH_QUEUE_INTERNAL_SYNC_GATE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace hashwatch::queue::internal {

class SyncGate {
 public:
  // `sync` makes every write so far durable; one call runs at a time, on a
  // waiting caller's thread or the gate's.
  explicit SyncGate(std::function<absl::Status()> sync);
  // Syncs what is still unsynced, then stops the thread.
  ~SyncGate();
  SyncGate(const SyncGate&) = delete;
  SyncGate& operator=(const SyncGate&) = delete;

  // Records that a write has been made; returns its ticket. Call right after
  // the write, in write order (under the writer's own mutex).
  uint64_t Written();
  // The ticket of the latest write recorded so far (0: none).
  uint64_t Latest() const { return written_.load(); }

  // Blocks until a sync that started after write `ticket` has finished.
  // After a failed sync every later call fails too (Unavailable): the WAL
  // state is unknown and the queue must be reopened.
  absl::Status WaitDurable(uint64_t ticket);

 private:
  // Runs one sync; called and returns with mu_ held, !syncing_.
  void Lead() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The gate's thread: back-to-back syncs while asked to and needed.
  void Run();
  bool Unsynced() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return written_.load() > synced_ && error_.ok();
  }

  const std::function<absl::Status()> sync_;
  absl::Mutex mu_;
  // Advanced by Written() without mu_ (writers are already serialised by
  // their own mutex), so a write never waits for a waiter or a sync.
  std::atomic<uint64_t> written_{0};
  uint64_t synced_ ABSL_GUARDED_BY(mu_) = 0;
  bool syncing_ ABSL_GUARDED_BY(mu_) = false;
  bool take_over_ ABSL_GUARDED_BY(mu_) = false;  // wakes the gate's thread
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;  // last: starts after the fields above exist
};

}  // namespace hashwatch::queue::internal

#endif  // HASHWATCH_QUEUE_INTERNAL_SYNC_GATE_H_
