#include "review_api/decode_budget.h"

#include <algorithm>

namespace hashwatch::review_api {

DecodeBudget::Hold& DecodeBudget::Hold::operator=(Hold&& other) noexcept {
  if (this != &other) {
    Release();
    budget_ = other.budget_;
    pixels_ = other.pixels_;
    other.budget_ = nullptr;
    other.pixels_ = 0;
  }
  return *this;
}

void DecodeBudget::Hold::Release() {
  if (budget_ == nullptr) return;
  absl::MutexLock lock(&budget_->mu_);
  budget_->in_use_ -= pixels_;
  budget_ = nullptr;
  pixels_ = 0;
}

DecodeBudget::Hold DecodeBudget::Acquire(int64_t pixels) {
  if (pixels <= 0) return Hold();
  const int64_t take = std::min(pixels, capacity_);
  absl::MutexLock lock(&mu_);
  const uint64_t ticket = next_ticket_++;
  auto fits = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return serving_ == ticket && in_use_ + take <= capacity_;
  };
  mu_.Await(absl::Condition(&fits));
  ++serving_;
  in_use_ += take;
  return Hold(this, take);
}

int64_t DecodeBudget::in_use() const {
  absl::MutexLock lock(&mu_);
  return in_use_;
}

int DecodeBudget::waiting() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(next_ticket_ - serving_);
}

}  // namespace hashwatch::review_api
