#pragma once
// The one error vocabulary of safedesk: functions that can fail on untrusted input or on
// the environment return Result<T>; broken invariants assert. No exceptions cross a
// library boundary.

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace safedesk {

enum class Errc {
  kInvalidArgument = 1,  // the input is malformed or out of range
  kNotFound,
  kAlreadyExists,
  kPermissionDenied,     // authenticated but not allowed
  kUnauthenticated,      // credentials missing or wrong
  kLockedOut,
  kExpired,
  kReplay,               // a single-use value was presented again
  kLimitExceeded,        // a named cap was hit
  kCorrupt,              // stored data failed an integrity check
  kIo,                   // the operating system refused a read/write
  kUnavailable,          // a peer or a resource cannot be reached now
  kInternal,
};

// Stable lower-case name, used in logs and audit records.
std::string_view ErrcName(Errc code);

struct Error {
  Errc code;
  std::string message;  // safe to log: never holds a secret
};

inline Error MakeError(Errc code, std::string message) { return Error{code, std::move(message)}; }

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { assert(!ok()); return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { assert(!ok_); return error_; }

 private:
  Error error_{Errc::kInternal, {}};
  bool ok_ = true;
};

inline Result<void> Ok() { return {}; }

}  // namespace safedesk

// Propagates the error of a Result-returning expression.
#define SAFEDESK_TRY(expr)                                  \
  do {                                                      \
    auto safedesk_try_result_ = (expr);                     \
    if (!safedesk_try_result_.ok()) return safedesk_try_result_.error(); \
  } while (0)
