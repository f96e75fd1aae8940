#include "common/errno_status.h"

#include <cerrno>
#include <cstring>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hashwatch {
namespace {

using ::hashwatch::testing::StatusIs;

TEST(ErrnoStatusTest, MapsCommonErrorsToCanonicalCodes) {
  struct Case {
    int err;
    absl::StatusCode code;
  };
  const Case cases[] = {
      {ENOENT, absl::StatusCode::kNotFound},
      {EACCES, absl::StatusCode::kPermissionDenied},
      {EPERM, absl::StatusCode::kPermissionDenied},
      {EROFS, absl::StatusCode::kPermissionDenied},
      {EEXIST, absl::StatusCode::kAlreadyExists},
      {ENOSPC, absl::StatusCode::kResourceExhausted},
      {EMFILE, absl::StatusCode::kResourceExhausted},
      {EISDIR, absl::StatusCode::kFailedPrecondition},
      {ENOTDIR, absl::StatusCode::kFailedPrecondition},
      {EINVAL, absl::StatusCode::kInvalidArgument},
      {EAGAIN, absl::StatusCode::kUnavailable},
      // Abseil's Unknown: the house has no Unknown, a failing disk is
      // Unavailable.
      {EIO, absl::StatusCode::kUnavailable},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(ErrnoStatus(c.err, "x"), StatusIs(c.code)) << c.err;
  }
}

TEST(ErrnoStatusTest, MessageNamesWhatFailedAndWhy) {
  EXPECT_EQ(ErrnoStatus(ENOENT, "cannot open /no/such").message(),
            std::string("cannot open /no/such: ") + std::strerror(ENOENT));
  EXPECT_EQ(ErrnoStatus(EIO, "cannot read f").message(),
            std::string("cannot read f: ") + std::strerror(EIO));
}

}  // namespace
}  // namespace hashwatch
