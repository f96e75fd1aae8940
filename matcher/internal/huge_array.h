// A fixed-size array for the index's large, randomly accessed arrays.
// Allocations of 2 MiB or more are 2 MiB-aligned and advised as transparent
// huge pages (madvise MADV_HUGEPAGE; harmless where THP is off): a search
// touches thousands of random lines across hundreds of MB, and with 4 KiB
// pages nearly each of them would also miss the TLB.
//
// Holds trivially copyable T only; elements start uninitialised unless the
// constructor is asked to zero them. Not thread-safe for writes; concurrent
// reads are fine once the array is published.
#ifndef HASHWATCH_MATCHER_INTERNAL_HUGE_ARRAY_H_
#define HASHWATCH_MATCHER_INTERNAL_HUGE_ARRAY_H_

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <utility>

#include "common/status_macros.h"

namespace hashwatch::matcher::internal {

template <typename T>
class HugeArray {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  HugeArray() = default;
  explicit HugeArray(size_t size, bool zero = false) : size_(size) {
    if (size == 0) return;
    constexpr size_t kHuge = size_t{2} << 20;
    const size_t bytes = size * sizeof(T);
    if (bytes >= kHuge) {
      bytes_ = (bytes + kHuge - 1) / kHuge * kHuge;
      data_ = static_cast<T*>(std::aligned_alloc(kHuge, bytes_));
      HW_CHECK(data_ != nullptr, "hamming index: out of memory");
      madvise(data_, bytes_, MADV_HUGEPAGE);
    } else {
      bytes_ = (bytes + 63) / 64 * 64;
      data_ = static_cast<T*>(std::aligned_alloc(64, bytes_));
      HW_CHECK(data_ != nullptr, "hamming index: out of memory");
    }
    if (zero) std::memset(static_cast<void*>(data_), 0, bytes_);
  }
  ~HugeArray() { std::free(data_); }

  HugeArray(HugeArray&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)),
        size_(std::exchange(o.size_, 0)),
        bytes_(std::exchange(o.bytes_, 0)) {}
  HugeArray& operator=(HugeArray&& o) noexcept {
    if (this != &o) {
      std::free(data_);
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
      bytes_ = std::exchange(o.bytes_, 0);
    }
    return *this;
  }
  HugeArray(const HugeArray&) = delete;
  HugeArray& operator=(const HugeArray&) = delete;

  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return size_; }
  size_t bytes() const { return bytes_; }  // allocated
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }

 private:
  T* data_ = nullptr;
  size_t size_ = 0;
  size_t bytes_ = 0;
};

}  // namespace hashwatch::matcher::internal

#endif  // HASHWATCH_MATCHER_INTERNAL_HUGE_ARRAY_H_
