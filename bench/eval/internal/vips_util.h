// libvips helpers for bench/eval (private): an owning image handle, error
// translation, one-time initialisation and encoders.
//
// Thread-safety: VipsRef is a move-only handle; libvips images may be read
// from several threads, but each VipsRef is used by one thread at a time.
#ifndef HASHWATCH_BENCH_EVAL_INTERNAL_VIPS_UTIL_H_
#define HASHWATCH_BENCH_EVAL_INTERNAL_VIPS_UTIL_H_

#include <vips/vips.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hashwatch::bench::internal {

// Owns one reference to a VipsImage.
class VipsRef final {
 public:
  VipsRef() = default;
  explicit VipsRef(VipsImage* image) : image_(image) {}
  ~VipsRef() { Reset(); }
  VipsRef(VipsRef&& o) noexcept : image_(o.image_) { o.image_ = nullptr; }
  VipsRef& operator=(VipsRef&& o) noexcept {
    if (this != &o) {
      Reset();
      image_ = o.image_;
      o.image_ = nullptr;
    }
    return *this;
  }
  VipsRef(const VipsRef&) = delete;
  VipsRef& operator=(const VipsRef&) = delete;

  VipsImage* get() const { return image_; }
  // For libvips' output parameters: drops the current image first.
  VipsImage** out() {
    Reset();
    return &image_;
  }
  int width() const { return image_->Xsize; }
  int height() const { return image_->Ysize; }
  int bands() const { return image_->Bands; }
  void Reset() {
    if (image_ != nullptr) g_object_unref(image_);
    image_ = nullptr;
  }

 private:
  VipsImage* image_ = nullptr;
};

// Starts libvips as matcher::InitVips does, then turns libvips' run-time
// SIMD (liborc) off for the whole process, once. Debian 12's liborc 0.4.33
// is not thread-safe: a convolution (vips_gaussblur: the blur transforms,
// the caption and watermark halo) built on one thread while another runs
// orc code dies with SIGSEGV inside the generated code (seen in bench_test
// and the sweep with 2 or more threads; orc 0.4.34 fixed its thread-safety
// bugs). The plain C path gives the same output every run. Thread-safe;
// call it before the first libvips operation of the evaluation tools.
void InitVipsForEval();

// InvalidArgument "<what>: <libvips' message>", clearing libvips' error
// buffer. For a failed libvips call on input data.
absl::Status VipsError(absl::string_view what);

// `*image` with any alpha band flattened onto white (unchanged without
// one); on failure VipsError(what).
absl::Status FlattenOnWhite(VipsRef* image, absl::string_view what);

// JPEG at quality `quality` (metadata stripped) or lossless PNG.
absl::StatusOr<std::string> EncodeJpeg(VipsImage* image, int quality);
absl::StatusOr<std::string> EncodePng(VipsImage* image);

}  // namespace hashwatch::bench::internal

#endif  // HASHWATCH_BENCH_EVAL_INTERNAL_VIPS_UTIL_H_
