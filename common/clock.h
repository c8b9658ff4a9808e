#pragma once
// Injectable time. Production code takes a Clock&; tests pass a ManualClock.

#include <chrono>
#include <mutex>

namespace safedesk {

class Clock {
 public:
  using WallTime = std::chrono::system_clock::time_point;
  using SteadyTime = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  virtual WallTime Now() const = 0;         // for timestamps, expiries on tokens
  virtual SteadyTime Monotonic() const = 0;  // for timeouts and rates
};

// The real clock; one shared instance.
Clock& SystemClock();

// A clock that moves only when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(WallTime start = WallTime(std::chrono::seconds(1'700'000'000)));
  WallTime Now() const override;
  SteadyTime Monotonic() const override;
  void Advance(std::chrono::nanoseconds by);
  void Set(WallTime to);

 private:
  mutable std::mutex mu_;
  WallTime wall_;
  SteadyTime steady_;
};

// Seconds since the Unix epoch.
std::int64_t UnixSeconds(Clock::WallTime t);
// RFC 3339 UTC with milliseconds, e.g. 2026-11-23T10:50:34.123Z
std::string FormatRfc3339(Clock::WallTime t);

}  // namespace safedesk
