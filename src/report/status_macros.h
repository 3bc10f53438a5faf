// Private to //src/report: early-return helpers for absl::Status and
// absl::StatusOr, so that validation code reads as a list of checks.

#ifndef MAILSHAKE_SRC_REPORT_STATUS_MACROS_H_
#define MAILSHAKE_SRC_REPORT_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// REPORT_RETURN_IF_ERROR evaluates |expr| (an absl::Status) once and returns
// it from the enclosing function unless it is OK.
#define REPORT_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::absl::Status report_status_ = (expr);          \
    if (!report_status_.ok()) return report_status_; \
  } while (false)

// REPORT_ASSIGN_OR_RETURN evaluates |rexpr| (an absl::StatusOr<T>) once;
// on error it returns the status from the enclosing function, otherwise it
// moves the value into |lhs|, which may be a declaration ("auto x").
#define REPORT_ASSIGN_OR_RETURN(lhs, rexpr)                                 \
  REPORT_ASSIGN_OR_RETURN_IMPL_(REPORT_CONCAT_(report_statusor_, __LINE__), \
                                lhs, rexpr)

#define REPORT_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                  \
  if (!statusor.ok()) return statusor.status();             \
  lhs = *std::move(statusor)

#define REPORT_CONCAT_(a, b) REPORT_CONCAT_IMPL_(a, b)
#define REPORT_CONCAT_IMPL_(a, b) a##b

#endif  // MAILSHAKE_SRC_REPORT_STATUS_MACROS_H_
