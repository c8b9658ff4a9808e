// The agent's component API and desktop health (broker/component_state.h AgentRegistry):
// the CN binding (agent-<desktopId>), the lockdown report, readiness and event details.
#include <gtest/gtest.h>

#include "tests/integration/broker_api/component_api_fixture.h"

namespace safedesk::testing {
namespace {

namespace json = boost::json;
using broker::AgentReadiness;

json::object LockdownOk() { return json::object{{"ok", true}, {"failures", json::array{}}}; }

class ComponentAgentTest : public ComponentApiTest {
 protected:
  ComponentClient AgentOf(const std::string& desktop) { return Component("agent-" + desktop); }
  ComponentResponse Register(const std::string& desktop = "desk-1", json::object lockdown = LockdownOk()) {
    return AgentOf(desktop).Post("/api/agent/register",
                                 json::object{{"desktopId", desktop}, {"lockdown", std::move(lockdown)}});
  }
  ComponentResponse Beat(const std::string& desktop = "desk-1") {
    return AgentOf(desktop).Post("/api/agent/heartbeat", json::object{{"desktopId", desktop}});
  }
  ComponentResponse Event(const std::string& type, json::object detail) {
    return AgentOf("desk-1").Post("/api/agent/events", json::object{{"desktopId", "desk-1"},
                                                                    {"type", type},
                                                                    {"detail", std::move(detail)}});
  }
  std::chrono::milliseconds timeout() { return harness().config().broker.agent_heartbeat_timeout; }
  template <typename Record>
  std::string Field(const Record& event, std::string_view key) {
    const auto* value = event.Find(key);
    return value ? std::get<std::string>(*value) : std::string("<absent>");
  }
};

TEST_F(ComponentAgentTest, HeartbeatsKeepTheDesktopHealthy) {
  ASSERT_EQ(Register().status, 200);
  for (int i = 0; i < 4; ++i) {
    harness().clock().Advance(timeout() / 2);
    ASSERT_EQ(Beat().status, 200);
  }
  EXPECT_TRUE(components().agents.Healthy("desk-1"));
  EXPECT_TRUE(harness().AuditOfType("agent.unhealthy").empty());
}

TEST_F(ComponentAgentTest, SilenceMakesTheDesktopUnhealthyAuditedOnce) {
  ASSERT_EQ(Register().status, 200);
  harness().clock().Advance(timeout() + std::chrono::seconds(1));
  components().agents.Sweep();
  EXPECT_FALSE(components().agents.Healthy("desk-1"));
  components().agents.Sweep();
  ASSERT_EQ(harness().AuditOfType("agent.unhealthy").size(), 1u);
  EXPECT_EQ(Field(harness().AuditOfType("agent.unhealthy")[0], "desktop"), "desk-1");
}

TEST_F(ComponentAgentTest, HeartbeatAfterSilenceHealsAndANewSilenceIsAuditedAgain) {
  ASSERT_EQ(Register().status, 200);
  harness().clock().Advance(timeout() + std::chrono::seconds(1));
  components().agents.Sweep();
  ASSERT_EQ(Beat().status, 200);
  EXPECT_TRUE(components().agents.Healthy("desk-1"));
  harness().clock().Advance(timeout() + std::chrono::seconds(1));
  components().agents.Sweep();
  EXPECT_EQ(harness().AuditOfType("agent.unhealthy").size(), 2u);
}

TEST_F(ComponentAgentTest, HeartbeatWithoutRegistrationIsRefused) {
  EXPECT_EQ(Beat("never-registered").status, 404);
}

TEST_F(ComponentAgentTest, RegisteredWithLockdownOkIsReady) {
  ASSERT_EQ(Register().status, 200);
  EXPECT_EQ(components().agents.Readiness("desk-1"), AgentReadiness::kReady);
}

TEST_F(ComponentAgentTest, LockdownFailureMakesTheDesktopNotReadyAndIsAudited) {
  ASSERT_EQ(Register("desk-1", json::object{{"ok", false}, {"failures", json::array{"clipboard_bridge", "routes"}}})
                .status,
            200);
  EXPECT_EQ(components().agents.Readiness("desk-1"), AgentReadiness::kLockdownFailed);
  ASSERT_EQ(Beat().status, 200);
  EXPECT_EQ(components().agents.Readiness("desk-1"), AgentReadiness::kLockdownFailed);
  const auto failed = harness().AuditOfType("agent.lockdown_failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(Field(failed[0], "failures"), "clipboard_bridge,routes");
}

TEST_F(ComponentAgentTest, RegisterWithoutLockdownReportIsRefused) {
  const ComponentResponse answer = AgentOf("desk-1").Post("/api/agent/register", json::object{{"desktopId", "desk-1"}});
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(components().agents.Readiness("desk-1"), AgentReadiness::kUnknown);
}

TEST_F(ComponentAgentTest, LockdownOkWithFailuresListedIsRefused) {
  EXPECT_EQ(Register("desk-1", json::object{{"ok", true}, {"failures", json::array{"routes"}}}).status, 400);
}

TEST_F(ComponentAgentTest, SilentAgentIsNotReady) {
  ASSERT_EQ(Register().status, 200);
  harness().clock().Advance(timeout() + std::chrono::seconds(1));
  EXPECT_EQ(components().agents.Readiness("desk-1"), AgentReadiness::kSilent);
}

TEST_F(ComponentAgentTest, CertificateOfAnotherDesktopIsForbidden) {
  const ComponentResponse answer = AgentOf("desk-2").Post(
      "/api/agent/register", json::object{{"desktopId", "desk-1"}, {"lockdown", LockdownOk()}});
  EXPECT_EQ(answer.status, 403);
  EXPECT_EQ(components().agents.Readiness("desk-1"), AgentReadiness::kUnknown);
}

TEST_F(ComponentAgentTest, PlainSafedeskAgentCertificateIsForbidden) {
  const ComponentResponse answer = Component("safedesk-agent").Post(
      "/api/agent/register", json::object{{"desktopId", "desk-1"}, {"lockdown", LockdownOk()}});
  EXPECT_EQ(answer.status, 403);
}

TEST_F(ComponentAgentTest, ProcessStartedIsAuditedWithExeAndArgs) {
  ASSERT_EQ(Register().status, 200);
  ASSERT_EQ(Event("process.started", json::object{{"exe", "/usr/bin/xterm"}, {"args", "-T notes"}}).status, 200);
  const auto events = harness().AuditOfType("agent.event");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(Field(events[0], "kind"), "process.started");
  EXPECT_EQ(Field(events[0], "exe"), "/usr/bin/xterm");
  EXPECT_EQ(Field(events[0], "args"), "-T notes");
}

TEST_F(ComponentAgentTest, SensitiveWindowShownKeepsOnlyClassAndTitleDigest) {
  ASSERT_EQ(Register().status, 200);
  const std::string digest(64, 'a');
  ASSERT_EQ(Event("window.sensitive_shown", json::object{{"wmClass", "XTerm"}, {"titleSha256", digest}}).status, 200);
  const auto events = harness().AuditOfType("agent.event");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(Field(events[0], "wm_class"), "XTerm");
  EXPECT_EQ(Field(events[0], "title_sha256"), digest);
}

TEST_F(ComponentAgentTest, SensitiveWindowWithPlainTitleIsRefused) {
  ASSERT_EQ(Register().status, 200);
  EXPECT_EQ(Event("window.sensitive_shown", json::object{{"wmClass", "XTerm"}, {"titleSha256", "secret plan"}}).status,
            400);
}

TEST_F(ComponentAgentTest, LockdownFailedEventWithdrawsReadiness) {
  ASSERT_EQ(Register().status, 200);
  ASSERT_EQ(Event("lockdown.failed", json::object{{"check", "clipboard_bridge"}}).status, 200);
  EXPECT_EQ(components().agents.Readiness("desk-1"), AgentReadiness::kLockdownFailed);
  ASSERT_EQ(harness().AuditOfType("agent.lockdown_failed").size(), 1u);
}

TEST_F(ComponentAgentTest, UnknownEventTypeIsRefused) {
  ASSERT_EQ(Register().status, 200);
  EXPECT_EQ(Event("window.masked", json::object{}).status, 400);
}

TEST_F(ComponentAgentTest, BadDesktopIdIsRefused) {
  EXPECT_EQ(Register("../etc").status, 400);
}

}  // namespace
}  // namespace safedesk::testing
