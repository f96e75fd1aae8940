// Status propagation macros. Debian 12's Abseil (20220623) ships neither
// RETURN_IF_ERROR nor ASSIGN_OR_RETURN, so hashwatch owns these.
//
//   HW_RETURN_IF_ERROR(DoThing());
//   HW_ASSIGN_OR_RETURN(Foo foo, MakeFoo());
//   HW_CHECK(ptr != nullptr) << is not supported; HW_CHECK(cond, "message").
#ifndef HASHWATCH_COMMON_STATUS_MACROS_H_
#define HASHWATCH_COMMON_STATUS_MACROS_H_

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define HW_INTERNAL_CONCAT_(a, b) a##b
#define HW_INTERNAL_CONCAT(a, b) HW_INTERNAL_CONCAT_(a, b)

// Returns from the enclosing function when `expr` (an absl::Status) is not OK.
#define HW_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::absl::Status hw_status_ = (expr);      \
    if (!hw_status_.ok()) return hw_status_; \
  } while (false)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status,
// otherwise moves the value into `lhs` (which may be a declaration).
#define HW_ASSIGN_OR_RETURN(lhs, rexpr)                                    \
  HW_INTERNAL_ASSIGN_OR_RETURN(HW_INTERNAL_CONCAT(hw_statusor_, __LINE__), \
                               lhs, rexpr)

#define HW_INTERNAL_ASSIGN_OR_RETURN(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

// Aborts with a message when a programmer's invariant does not hold. Never
// used for input, disk or network errors: those are returned as statuses.
#define HW_CHECK(cond, msg)                                           \
  do {                                                                \
    if (!(cond)) {                                                    \
      std::fprintf(stderr, "%s:%d: check failed: %s: %s\n", __FILE__, \
                   __LINE__, #cond, msg);                             \
      std::abort();                                                   \
    }                                                                 \
  } while (false)

#endif  // HASHWATCH_COMMON_STATUS_MACROS_H_
