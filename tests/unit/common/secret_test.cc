#include "common/secret.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <type_traits>

namespace safedesk {
namespace {

// The point of Secret: it cannot be formatted into a log line, copied or streamed.
static_assert(!fmt::is_formattable<Secret>::value, "Secret must not be formattable");
static_assert(!std::is_copy_constructible_v<Secret>, "Secret must not be copyable");

TEST(SecretTest, HoldsTheBytesItWasGiven) {
  Secret s("hunter2");
  EXPECT_EQ(s.reveal(), "hunter2");
  EXPECT_EQ(s.size(), 7u);
}

TEST(SecretTest, WipeEmptiesIt) {
  Secret s("hunter2");
  s.Wipe();
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.reveal(), "");
}

TEST(SecretTest, MoveLeavesSourceEmpty) {
  Secret a("pw");
  Secret b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_EQ(b.reveal(), "pw");
}

TEST(SecretTest, EqualsComparesContentAndLength) {
  Secret s("abc");
  const std::uint8_t same[] = {'a', 'b', 'c'};
  const std::uint8_t other[] = {'a', 'b', 'd'};
  const std::uint8_t shorter[] = {'a', 'b'};
  EXPECT_TRUE(s.Equals(same));
  EXPECT_FALSE(s.Equals(other));
  EXPECT_FALSE(s.Equals(shorter));
}

}  // namespace
}  // namespace safedesk
