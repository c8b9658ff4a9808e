#pragma once
// Counts wrong second-factor codes per user. The password lockout (auth/lockout.h) is
// cleared by a right password, so without this someone who knows a password could try
// TOTP codes for ever, one per password round trip. `threshold` failures within `window`
// refuse the user's second factor (at login, enrollment and step-up) until the oldest
// failure leaves the window. Bounded like Lockout: entries without a failure left in the
// window are dropped first; when the table is full of live ones, new users are refused
// (fail closed). Thread-safe.

#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "common/clock.h"

namespace safedesk::broker {

struct LoginThrottleOptions {
  int threshold = 5;
  std::chrono::seconds window{std::chrono::minutes(15)};
  std::size_t capacity = 10'000;
};

class LoginThrottle {
 public:
  LoginThrottle(Clock& clock, LoginThrottleOptions options = {});

  // Whether `user` may present a second factor now.
  bool Allowed(std::string_view user);
  void RecordFailure(std::string_view user);
  void RecordSuccess(std::string_view user);

 private:
  void PruneLocked(Clock::SteadyTime now);

  Clock& clock_;
  const LoginThrottleOptions options_;
  std::mutex mu_;
  std::map<std::string, std::deque<Clock::SteadyTime>, std::less<>> failures_;  // oldest first
};

}  // namespace safedesk::broker
