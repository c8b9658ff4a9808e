// VmCredentialVault, TerminateOrders and AgentRegistry readiness (broker/component_state.h).
#include <gtest/gtest.h>

#include "broker/component_state.h"

namespace safedesk::broker {
namespace {

VmCredential Credential(const std::string& password) {
  return VmCredential{"127.0.0.1:3389", "safedesk", Secret(password), "{}", {}, ""};
}

TEST(ComponentVaultTest, TakeHandsOutOnce) {
  VmCredentialVault vault;
  ASSERT_TRUE(vault.Put("s1", Credential("pw-1")).ok());
  auto taken = vault.Take("s1");
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->password.reveal(), "pw-1");
  EXPECT_FALSE(vault.Take("s1").has_value());
}

TEST(ComponentVaultTest, FullVaultRefuses) {
  VmCredentialVault vault(1);
  ASSERT_TRUE(vault.Put("s1", Credential("a")).ok());
  auto refused = vault.Put("s2", Credential("b"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::kLimitExceeded);
}

TEST(ComponentVaultTest, DiscardForgets) {
  VmCredentialVault vault;
  ASSERT_TRUE(vault.Put("s1", Credential("a")).ok());
  vault.Discard("s1");
  EXPECT_EQ(vault.size(), 0u);
}

TEST(ComponentOrdersTest, AnUnboundOrderReachesEveryGatewayOnce) {
  ManualClock clock;
  TerminateOrders orders(clock);
  orders.Push({"s1", "a"});
  orders.Push({"s2", "b"});
  auto taken = orders.TakeFor("gateway-a");
  ASSERT_EQ(taken.size(), 2u);
  EXPECT_EQ(taken[0].session_id, "s1");
  EXPECT_TRUE(orders.TakeFor("gateway-a").empty()) << "once each";
  EXPECT_EQ(orders.TakeFor("gateway-b").size(), 2u);
}

TEST(ComponentOrdersTest, ABoundOrderReachesOnlyItsGateway) {
  ManualClock clock;
  TerminateOrders orders(clock);
  orders.Bind("s1", "gateway-a");
  orders.Push({"s1", "policy"});
  EXPECT_TRUE(orders.TakeFor("gateway-b").empty());
  const auto taken = orders.TakeFor("gateway-a");
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].reason, "policy");
  EXPECT_EQ(orders.size(), 0u);
}

TEST(ComponentOrdersTest, BindingMovesAnOrderPushedJustBefore) {
  ManualClock clock;
  TerminateOrders orders(clock);
  orders.Push({"s1", "policy"});  // terminated while the gateway was redeeming
  orders.Bind("s1", "gateway-a");
  EXPECT_EQ(orders.TakeFor("gateway-a").size(), 1u);
}

TEST(ComponentOrdersTest, UnboundOrdersExpire) {
  ManualClock clock;
  TerminateOrders orders(clock);
  orders.Push({"s1", "policy"});
  clock.Advance(TerminateOrders::kUnboundLifetime);
  EXPECT_TRUE(orders.TakeFor("gateway-a").empty());
  EXPECT_EQ(orders.size(), 0u);
}

TEST(ComponentOrdersTest, ForgottenSessionsOrdersGoEverywhere) {
  ManualClock clock;
  TerminateOrders orders(clock);
  orders.Bind("s1", "gateway-a");
  orders.Forget("s1");
  orders.Push({"s1", "late"});
  EXPECT_EQ(orders.TakeFor("gateway-b").size(), 1u);
}

TEST(ComponentOrdersTest, CapDropsExtraOrders) {
  ManualClock clock;
  TerminateOrders orders(clock, 1);
  orders.Push({"s1", "a"});
  orders.Push({"s2", "b"});
  EXPECT_EQ(orders.size(), 1u);
}

class AgentReadinessTest : public ::testing::Test {
 protected:
  static constexpr std::chrono::milliseconds kTimeout{10'000};
  ManualClock clock_;
  MemoryAuditSink audit_;
  AgentRegistry agents_{clock_, audit_, kTimeout};
};

TEST_F(AgentReadinessTest, UnregisteredDesktopIsUnknown) {
  EXPECT_EQ(agents_.Readiness("d1"), AgentReadiness::kUnknown);
}

TEST_F(AgentReadinessTest, LockdownOkAndFreshIsReady) {
  ASSERT_TRUE(agents_.Register("d1", true).ok());
  EXPECT_EQ(agents_.Readiness("d1"), AgentReadiness::kReady);
}

TEST_F(AgentReadinessTest, LockdownFailedWinsOverFreshHeartbeats) {
  ASSERT_TRUE(agents_.Register("d1", false).ok());
  ASSERT_TRUE(agents_.Heartbeat("d1").ok());
  EXPECT_EQ(agents_.Readiness("d1"), AgentReadiness::kLockdownFailed);
}

TEST_F(AgentReadinessTest, StaleHeartbeatIsSilent) {
  ASSERT_TRUE(agents_.Register("d1", true).ok());
  clock_.Advance(kTimeout);
  EXPECT_EQ(agents_.Readiness("d1"), AgentReadiness::kSilent);
}

TEST_F(AgentReadinessTest, HeartbeatKeepsTheLockdownResult) {
  ASSERT_TRUE(agents_.Register("d1", true).ok());
  clock_.Advance(kTimeout);
  ASSERT_TRUE(agents_.Heartbeat("d1").ok());
  EXPECT_EQ(agents_.Readiness("d1"), AgentReadiness::kReady);
}

TEST_F(AgentReadinessTest, MarkLockdownFailedWithdrawsAReadyDesktop) {
  ASSERT_TRUE(agents_.Register("d1", true).ok());
  agents_.MarkLockdownFailed("d1");
  EXPECT_EQ(agents_.Readiness("d1"), AgentReadiness::kLockdownFailed);
}

TEST_F(AgentReadinessTest, ReRegisterWithLockdownOkRestoresReadiness) {
  ASSERT_TRUE(agents_.Register("d1", false).ok());
  ASSERT_TRUE(agents_.Register("d1", true).ok());
  EXPECT_EQ(agents_.Readiness("d1"), AgentReadiness::kReady);
}

}  // namespace
}  // namespace safedesk::broker
