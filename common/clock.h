// Injectable time source. Production code takes a `Clock*` (never calls
// absl::Now() directly) so tests and simulations control time.
//
// Thread-safety: every Clock is safe to call from any thread.
#ifndef HASHWATCH_COMMON_CLOCK_H_
#define HASHWATCH_COMMON_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace hashwatch {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;

  // The process-wide real clock (never null, never deleted).
  static Clock* Real();
};

// A clock that moves only when told to: for tests and discrete-event
// simulations.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'700'000'000))
      : now_(start) {}
  absl::Time Now() const override;
  void Advance(absl::Duration d);
  void Set(absl::Time t);

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hashwatch

#endif  // HASHWATCH_COMMON_CLOCK_H_
