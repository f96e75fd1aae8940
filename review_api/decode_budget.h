// A counting budget of pixels being decoded at once by every scan, so that
// large pictures wait for room instead of exhausting memory together.
//
//   DecodeBudget budget(150'000'000);
//   {
//     DecodeBudget::Hold hold = budget.Acquire(width * height);  // may wait
//     ... decode ...
//   }  // the pixels return to the budget
//
// Holds are granted in arrival order (a large picture is not starved by a
// stream of small ones). A request larger than the whole budget waits until
// nothing else is held and then runs alone. A request for 0 pixels (JPEG,
// decoded row by row) never waits. Thread-safe.
#ifndef HASHWATCH_REVIEW_API_DECODE_BUDGET_H_
#define HASHWATCH_REVIEW_API_DECODE_BUDGET_H_

#include <cstdint>

#include "absl/synchronization/mutex.h"

namespace hashwatch::review_api {

class DecodeBudget final {
 public:
  class Hold {
   public:
    Hold() = default;
    Hold(Hold&& other) noexcept { *this = std::move(other); }
    Hold& operator=(Hold&& other) noexcept;
    ~Hold() { Release(); }
    int64_t pixels() const { return pixels_; }

   private:
    friend class DecodeBudget;
    Hold(DecodeBudget* budget, int64_t pixels)
        : budget_(budget), pixels_(pixels) {}
    void Release();
    DecodeBudget* budget_ = nullptr;
    int64_t pixels_ = 0;  // what it holds of the budget
  };

  explicit DecodeBudget(int64_t capacity) : capacity_(capacity) {}

  // Waits until `pixels` fit (at most the whole budget is taken) and it is
  // the oldest waiter.
  Hold Acquire(int64_t pixels);

  int64_t capacity() const { return capacity_; }
  int64_t in_use() const;
  int waiting() const;

 private:
  const int64_t capacity_;
  mutable absl::Mutex mu_;
  int64_t in_use_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_ticket_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t serving_ ABSL_GUARDED_BY(mu_) = 0;  // the oldest waiter's ticket
};

}  // namespace hashwatch::review_api

#endif  // HASHWATCH_REVIEW_API_DECODE_BUDGET_H_
