#include "common/clock.h"

#include <gtest/gtest.h>

namespace safedesk {
namespace {

TEST(ClockTest, ManualClockMovesOnlyWhenAdvanced) {
  ManualClock clock;
  const auto wall = clock.Now();
  const auto steady = clock.Monotonic();
  clock.Advance(std::chrono::seconds(5));
  EXPECT_EQ(clock.Now() - wall, std::chrono::seconds(5));
  EXPECT_EQ(clock.Monotonic() - steady, std::chrono::seconds(5));
}

TEST(ClockTest, FormatsRfc3339WithMilliseconds) {
  const Clock::WallTime t{std::chrono::milliseconds(1'700'000'000'123)};
  EXPECT_EQ(FormatRfc3339(t), "2023-11-14T22:13:20.123Z");
}

TEST(ClockTest, UnixSecondsTruncates) {
  const Clock::WallTime t{std::chrono::milliseconds(1'999)};
  EXPECT_EQ(UnixSeconds(t), 1);
}

}  // namespace
}  // namespace safedesk
