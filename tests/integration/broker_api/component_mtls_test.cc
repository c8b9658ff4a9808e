// The component listener's mutual TLS and certificate-CN authorisation
// (broker/component_routes.h).
#include <gtest/gtest.h>

#include "tests/integration/broker_api/component_api_fixture.h"

namespace safedesk::testing {
namespace {

namespace json = boost::json;

const json::object kProbe{{"ticket", "v1.x.y"}, {"source", "127.0.0.1"}};

TEST_F(ComponentApiTest, NoClientCertificateIsRefusedAtTheHandshake) {
  const ComponentResponse answer = Component(std::nullopt).Post("/api/gateway/redeem", kProbe);
  EXPECT_EQ(answer.status, 0) << "no HTTP answer without a client certificate";
  EXPECT_FALSE(answer.failure.empty());
}

TEST_F(ComponentApiTest, CertificateFromAnotherCaIsRefusedAtTheHandshake) {
  const TestPki other = MakeTestPki();
  ComponentClient stranger(harness().pki(), component_port(), other.Client("safedesk-gateway"));
  EXPECT_EQ(stranger.Post("/api/gateway/redeem", kProbe).status, 0);
}

TEST_F(ComponentApiTest, UnknownCommonNameIsForbidden) {
  const ComponentResponse answer = Component("someone-else").Post("/api/gateway/redeem", kProbe);
  EXPECT_EQ(answer.status, 403);
  EXPECT_EQ(answer.String("error"), "forbidden");
}

TEST_F(ComponentApiTest, AgentCertificateCannotCallGatewayRoutes) {
  EXPECT_EQ(Agent().Get("/api/gateway/orders").status, 403);
}

TEST_F(ComponentApiTest, GatewayCertificateCannotCallAgentRoutes) {
  EXPECT_EQ(Gateway().Post("/api/agent/register", json::object{{"desktopId", "d1"}}).status, 403);
}

TEST(ComponentRoleTest, CommonNamesMapToRoles) {
  EXPECT_EQ(broker::RoleOfSubject("safedesk-gateway"), broker::ComponentRole::kGateway);
  EXPECT_EQ(broker::RoleOfSubject("gateway-2"), broker::ComponentRole::kGateway);
  EXPECT_EQ(broker::RoleOfSubject("safedesk-agent"), std::nullopt);  // agents are bound: agent-<desktopId>
  EXPECT_EQ(broker::RoleOfSubject("agent-vm7"), broker::ComponentRole::kAgent);
  EXPECT_EQ(broker::RoleOfSubject("safedesk-gatewayx"), std::nullopt);
  EXPECT_EQ(broker::RoleOfSubject(""), std::nullopt);
}

}  // namespace
}  // namespace safedesk::testing
