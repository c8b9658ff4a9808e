#include "common/clock.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <ctime>
#include <string>

namespace safedesk {
namespace {

class RealClock final : public Clock {
 public:
  WallTime Now() const override { return std::chrono::system_clock::now(); }
  SteadyTime Monotonic() const override { return std::chrono::steady_clock::now(); }
};

}  // namespace

Clock& SystemClock() {
  static RealClock clock;
  return clock;
}

ManualClock::ManualClock(WallTime start) : wall_(start), steady_(SteadyTime(std::chrono::hours(1))) {}

Clock::WallTime ManualClock::Now() const {
  std::lock_guard lock(mu_);
  return wall_;
}

Clock::SteadyTime ManualClock::Monotonic() const {
  std::lock_guard lock(mu_);
  return steady_;
}

void ManualClock::Advance(std::chrono::nanoseconds by) {
  std::lock_guard lock(mu_);
  wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(by);
  steady_ += by;
}

void ManualClock::Set(WallTime to) {
  std::lock_guard lock(mu_);
  if (to > wall_) steady_ += to - wall_;
  wall_ = to;
}

std::int64_t UnixSeconds(Clock::WallTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::string FormatRfc3339(Clock::WallTime t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", tm, static_cast<int>(ms % 1000));
}

}  // namespace safedesk
