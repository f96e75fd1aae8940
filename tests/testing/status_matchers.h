// GoogleTest matchers for absl::Status and absl::StatusOr (Debian 12's
// Abseil has none).
//
//   EXPECT_THAT(DoThing(), StatusIs(absl::StatusCode::kNotFound));
//   EXPECT_THAT(MakeFoo(), StatusIs(absl::StatusCode::kInvalidArgument,
//                                   HasSubstr("64 hex digits")));
//   ASSERT_OK(DoThing());
//   ASSERT_OK_AND_ASSIGN(Foo foo, MakeFoo());
#ifndef HASHWATCH_TESTS_TESTING_STATUS_MATCHERS_H_
#define HASHWATCH_TESTS_TESTING_STATUS_MATCHERS_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hashwatch::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

MATCHER_P(StatusIs, code,
          std::string("has status code ") +
              absl::StatusCodeToString(static_cast<absl::StatusCode>(code))) {
  const absl::Status& s = ::hashwatch::testing::GetStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher,
           std::string("has status code ") +
               absl::StatusCodeToString(static_cast<absl::StatusCode>(code))) {
  const absl::Status& s = ::hashwatch::testing::GetStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == code &&
         ::testing::ExplainMatchResult(
             message_matcher, std::string(s.message()), result_listener);
}

MATCHER(IsOk, "is OK") {
  const absl::Status& s = ::hashwatch::testing::GetStatus(arg);
  *result_listener << "status is " << s;
  return s.ok();
}

// A StatusOr that is OK and whose value matches `value_matcher`.
MATCHER_P(IsOkAndHolds, value_matcher, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(value_matcher, *arg, result_listener);
}

}  // namespace hashwatch::testing

#define HW_TESTING_CONCAT_(a, b) a##b
#define HW_TESTING_CONCAT(a, b) HW_TESTING_CONCAT_(a, b)

#define ASSERT_OK(expr) ASSERT_THAT((expr), ::hashwatch::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::hashwatch::testing::IsOk())

#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  HW_TESTING_ASSIGN_(HW_TESTING_CONCAT(hw_test_so_, __LINE__), lhs, rexpr)
#define HW_TESTING_ASSIGN_(so, lhs, rexpr)       \
  auto so = (rexpr);                             \
  ASSERT_THAT(so, ::hashwatch::testing::IsOk()); \
  lhs = std::move(so).value()

#endif  // HASHWATCH_TESTS_TESTING_STATUS_MATCHERS_H_
