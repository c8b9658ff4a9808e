#include "common/random.h"

#include <gtest/gtest.h>

namespace safedesk {
namespace {

TEST(RandomTest, SeededRandomIsDeterministic) {
  SeededRandom a(42);
  SeededRandom b(42);
  EXPECT_EQ(*a.Bytes(33), *b.Bytes(33));
}

TEST(RandomTest, SeededRandomDiffersBySeed) {
  SeededRandom a(1);
  SeededRandom b(2);
  EXPECT_NE(*a.Bytes(16), *b.Bytes(16));
}

TEST(RandomTest, OsRandomFillsDistinctBuffers) {
  auto a = SystemRandom().Bytes(32);
  auto b = SystemRandom().Bytes(32);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_NE(*a, *b);
}

}  // namespace
}  // namespace safedesk
