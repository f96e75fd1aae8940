// A critical section that passes from one caller's work to the next without
// waking a thread in between (private).
//
// Callers hand Run() a closure; closures run one at a time, with the
// caller's mutex held. A caller that finds no closure running becomes the
// combiner: it runs its own closure and then those that other callers
// queued meanwhile (flat combining), while they sleep until theirs is done.
// With a plain mutex, each hand-over to a sleeping waiter waits for that
// thread to wake, tens of microseconds on a virtual machine, during which
// nothing runs; under load that idle time was a third of the queue's
// critical section. A combiner stops after a bounded number of others'
// closures, so its own caller is not held up for long; the next waiter
// then takes over.
//
// Closures run on whichever thread combines: they must not depend on the
// calling thread, and must not wait for other closures.
//
// Thread-safety: thread-safe.
#ifndef HASHWATCH_QUEUE_INTERNAL_COMBINER_H_
#define HASHWATCH_QUEUE_INTERNAL_COMBINER_H_

#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/synchronization/mutex.h"

namespace hashwatch::queue::internal {

class Combiner {
 public:
  // `section` is held while closures run (the caller's own mutex, so that
  // its readers and its guarded fields stay consistent).
  explicit Combiner(absl::Mutex* section) : section_(section) {}
  Combiner(const Combiner&) = delete;
  Combiner& operator=(const Combiner&) = delete;

  // Runs `fn` with the section held, after the closures queued before it,
  // and returns once it has run.
  void Run(absl::FunctionRef<void()> fn) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Request {
    absl::FunctionRef<void()> fn;
    bool done = false;
  };
  // How many others' closures a combiner runs after its own before it
  // hands over.
  static constexpr int kMaxAfterOwn = 16;

  absl::Mutex* const section_;
  absl::Mutex mu_;
  std::vector<Request*> pending_ ABSL_GUARDED_BY(mu_);
  bool combining_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace hashwatch::queue::internal

#endif  // HASHWATCH_QUEUE_INTERNAL_COMBINER_H_
