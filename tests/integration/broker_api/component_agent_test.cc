// The agent's component API and desktop health (broker/component_state.h AgentRegistry).
#include <gtest/gtest.h>

#include "tests/integration/broker_api/component_api_fixture.h"

namespace safedesk::testing {
namespace {

namespace json = boost::json;

class ComponentAgentTest : public ComponentApiTest {
 protected:
  ComponentResponse Call(const std::string& what, const std::string& desktop = "desk-1") {
    return Agent().Post("/api/agent/" + what, json::object{{"desktopId", desktop}});
  }
  std::chrono::milliseconds timeout() { return harness().config().broker.agent_heartbeat_timeout; }
};

TEST_F(ComponentAgentTest, HeartbeatsKeepTheDesktopHealthy) {
  ASSERT_EQ(Call("register").status, 200);
  for (int i = 0; i < 4; ++i) {
    harness().clock().Advance(timeout() / 2);
    ASSERT_EQ(Call("heartbeat").status, 200);
  }
  EXPECT_TRUE(components().agents.Healthy("desk-1"));
  EXPECT_TRUE(harness().AuditOfType("agent.unhealthy").empty());
}

TEST_F(ComponentAgentTest, SilenceMakesTheDesktopUnhealthyAuditedOnce) {
  ASSERT_EQ(Call("register").status, 200);
  harness().clock().Advance(timeout() + std::chrono::seconds(1));
  components().agents.Sweep();
  EXPECT_FALSE(components().agents.Healthy("desk-1"));
  components().agents.Sweep();
  ASSERT_EQ(harness().AuditOfType("agent.unhealthy").size(), 1u);
  EXPECT_EQ(std::get<std::string>(*harness().AuditOfType("agent.unhealthy")[0].Find("desktop")), "desk-1");
}

TEST_F(ComponentAgentTest, HeartbeatAfterSilenceHealsAndANewSilenceIsAuditedAgain) {
  ASSERT_EQ(Call("register").status, 200);
  harness().clock().Advance(timeout() + std::chrono::seconds(1));
  components().agents.Sweep();
  ASSERT_EQ(Call("heartbeat").status, 200);
  EXPECT_TRUE(components().agents.Healthy("desk-1"));
  harness().clock().Advance(timeout() + std::chrono::seconds(1));
  components().agents.Sweep();
  EXPECT_EQ(harness().AuditOfType("agent.unhealthy").size(), 2u);
}

TEST_F(ComponentAgentTest, HeartbeatWithoutRegistrationIsRefused) {
  EXPECT_EQ(Call("heartbeat", "never-registered").status, 404);
}

TEST_F(ComponentAgentTest, EventKindIsAudited) {
  ASSERT_EQ(Call("register").status, 200);
  const ComponentResponse answer =
      Agent().Post("/api/agent/events", json::object{{"desktopId", "desk-1"}, {"type", "window.masked"}});
  ASSERT_EQ(answer.status, 200);
  const auto events = harness().AuditOfType("agent.event");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<std::string>(*events[0].Find("kind")), "window.masked");
}

TEST_F(ComponentAgentTest, BadDesktopIdIsRefused) {
  EXPECT_EQ(Call("register", "../etc").status, 400);
}

}  // namespace
}  // namespace safedesk::testing
