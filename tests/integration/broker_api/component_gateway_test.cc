// The gateway's component API: ticket redemption, events, terminate orders
// (broker/API.md "Components").
#include <gtest/gtest.h>

#include <chrono>
#include <future>

#include "tests/integration/broker_api/component_api_fixture.h"

namespace safedesk::testing {
namespace {

namespace json = boost::json;

class ComponentGatewayTest : public ComponentApiTest {
 protected:
  void SetUp() override {
    ComponentApiTest::SetUp();
    rita_ = std::make_unique<ApiClient>(User("rita", {"researcher"}));
    ada_ = std::make_unique<ApiClient>(User("ada", {"administrator"}));
  }

  // rita asks, ada approves, rita starts: the start answer (sessionId, ticket).
  ApiResponse Started() {
    const std::string id = AskId(*rita_);
    EXPECT_EQ(StepUpAndDecide(*ada_, "ada", id).String("state"), "approved");
    ApiResponse started = Start(*rita_, id);
    EXPECT_EQ(started.status, 200) << started.body;
    return started;
  }

  ComponentResponse Redeem(const std::string& ticket, const std::string& source = "127.0.0.1") {
    return Gateway().Post("/api/gateway/redeem", json::object{{"ticket", ticket}, {"source", source}});
  }

  std::string RejectionReason() {
    const auto rejected = harness().AuditOfType("ticket.rejected");
    return rejected.empty() ? "" : std::get<std::string>(*rejected.back().Find("reason"));
  }

  std::unique_ptr<ApiClient> rita_, ada_;
};

TEST_F(ComponentGatewayTest, RedeemReturnsGrantEndpointAndVmCredential) {
  const ApiResponse started = Started();
  const ComponentResponse answer = Redeem(started.String("ticket"));
  ASSERT_EQ(answer.status, 200);
  EXPECT_EQ(answer.String("sessionId"), started.String("sessionId"));
  EXPECT_EQ(answer.String("researcher"), "rita");
  EXPECT_FALSE(answer.String("vmEndpoint").empty());
  EXPECT_EQ(answer.String("vmUsername"), "safedesk");
  const std::string password = answer.String("vmPassword");
  EXPECT_GE(password.size(), 16u);
  EXPECT_TRUE(answer.json.as_object().at("grant").is_object());
  ASSERT_EQ(harness().AuditOfType("ticket.redeemed").size(), 1u);
  EXPECT_EQ(harness().AuditText().find(password), std::string::npos) << "the credential never reaches the audit log";
  EXPECT_EQ(harness().LogText().find(password), std::string::npos) << "nor the log";
  EXPECT_EQ(components().vault.size(), 0u) << "handed out once, then forgotten";
}

TEST_F(ComponentGatewayTest, SecondRedemptionIsRefused) {
  const std::string ticket = Started().String("ticket");
  ASSERT_EQ(Redeem(ticket).status, 200);
  const ComponentResponse again = Redeem(ticket);
  EXPECT_EQ(again.status, 403);
  EXPECT_TRUE(again.String("vmPassword").empty());
  EXPECT_EQ(RejectionReason(), "replayed");
}

TEST_F(ComponentGatewayTest, TamperedTicketIsRefusedAndAudited) {
  std::string ticket = Started().String("ticket");
  ticket[ticket.size() - 2] = ticket[ticket.size() - 2] == 'A' ? 'B' : 'A';
  EXPECT_EQ(Redeem(ticket).status, 403);
  EXPECT_EQ(harness().AuditOfType("ticket.rejected").size(), 1u);
  EXPECT_EQ(components().vault.size(), 1u) << "a forged ticket spends nothing";
}

TEST_F(ComponentGatewayTest, ExpiredTicketIsRefusedAndAudited) {
  const std::string ticket = Started().String("ticket");
  harness().clock().Advance(harness().config().auth.ticket_ttl + std::chrono::seconds(1));
  EXPECT_EQ(Redeem(ticket).status, 403);
  EXPECT_EQ(RejectionReason(), "expired");
}

TEST_F(ComponentGatewayTest, WrongSourceIsRefused) {
  const std::string ticket = Started().String("ticket");
  EXPECT_EQ(Redeem(ticket, "127.0.0.2").status, 403);
  EXPECT_EQ(RejectionReason(), "wrong_source");
}

TEST_F(ComponentGatewayTest, TerminatedSessionIsNotRedeemable) {
  const ApiResponse started = Started();
  ASSERT_EQ(ada_->Post("/api/admin/sessions/terminate",
                       json::object{{"id", started.String("sessionId")}, {"reason", "policy"}})
                .status,
            200);
  EXPECT_EQ(Redeem(started.String("ticket")).status, 403);
  EXPECT_EQ(RejectionReason(), "session_ended");
}

TEST_F(ComponentGatewayTest, OrdersLongPollReturnsAnAdminTermination) {
  const ApiResponse started = Started();
  const std::string session = started.String("sessionId");
  ASSERT_EQ(Redeem(started.String("ticket")).status, 200);
  auto poll = std::async(std::launch::async, [this] { return Gateway().Get("/api/gateway/orders?wait=20"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto asked = std::chrono::steady_clock::now();
  ASSERT_EQ(ada_->Post("/api/admin/sessions/terminate", json::object{{"id", session}, {"reason", "policy"}}).status,
            200);
  const ComponentResponse orders = poll.get();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, std::chrono::seconds(5)) << "answered as soon as ordered";
  ASSERT_EQ(orders.status, 200);
  const auto& list = orders.json.at("orders").as_array();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].at("sessionId").as_string(), session);
  EXPECT_EQ(list[0].at("reason").as_string(), "policy");
}

// Two gateways on one broker: the order goes to the one holding the session, and the
// other never sees it (it would cut nobody, but must not drain it either).
TEST_F(ComponentGatewayTest, OrdersGoToTheGatewayThatRedeemedTheSession) {
  const ApiResponse started = Started();
  const std::string session = started.String("sessionId");
  const ComponentResponse redeemed = Component("gateway-east")
                                         .Post("/api/gateway/redeem", json::object{{"ticket", started.String("ticket")},
                                                                                   {"source", "127.0.0.1"}});
  ASSERT_EQ(redeemed.status, 200);
  ASSERT_EQ(ada_->Post("/api/admin/sessions/terminate", json::object{{"id", session}, {"reason", "policy"}}).status,
            200);
  EXPECT_TRUE(Component("gateway-west").Get("/api/gateway/orders").json.at("orders").as_array().empty());
  const auto list = Component("gateway-east").Get("/api/gateway/orders").json.at("orders").as_array();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].at("sessionId").as_string(), session);
}

TEST_F(ComponentGatewayTest, AnUnredeemedSessionsOrderReachesEveryGateway) {
  const std::string session = Started().String("sessionId");
  ASSERT_EQ(ada_->Post("/api/admin/sessions/terminate", json::object{{"id", session}, {"reason", "policy"}}).status,
            200);
  EXPECT_EQ(Component("gateway-east").Get("/api/gateway/orders").json.at("orders").as_array().size(), 1u);
  EXPECT_EQ(Component("gateway-west").Get("/api/gateway/orders").json.at("orders").as_array().size(), 1u);
}

TEST_F(ComponentGatewayTest, OrdersWithoutWaitAnswersAtOnce) {
  const ComponentResponse orders = Gateway().Get("/api/gateway/orders");
  ASSERT_EQ(orders.status, 200);
  EXPECT_TRUE(orders.json.at("orders").as_array().empty());
}

TEST_F(ComponentGatewayTest, ChannelBlockedEventIsAudited) {
  const std::string session = Started().String("sessionId");
  const ComponentResponse answer = Gateway().Post(
      "/api/gateway/events",
      json::object{{"sessionId", session}, {"type", "channel.blocked"},
                   {"detail", json::object{{"channel", "cliprdr"}, {"bytes", 42}}}});
  ASSERT_EQ(answer.status, 200);
  const auto blocked = harness().AuditOfType("channel.blocked");
  ASSERT_EQ(blocked.size(), 1u);
  EXPECT_EQ(std::get<std::int64_t>(*blocked[0].Find("bytes")), 42);
}

TEST_F(ComponentGatewayTest, SessionEndEventEndsTheSession) {
  const std::string session = Started().String("sessionId");
  const ComponentResponse answer = Gateway().Post(
      "/api/gateway/events",
      json::object{{"sessionId", session}, {"type", "session.end"}, {"detail", json::object{{"reason", "logout"}}}});
  ASSERT_EQ(answer.status, 200);
  auto record = harness().store().GetSession(session);
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_NE((*record)->ended_at, 0);
  EXPECT_EQ(harness().AuditOfType("session.end").size(), 1u);
}

TEST_F(ComponentGatewayTest, SessionEndEventStopsTheDesktop) {
  const std::string session = Started().String("sessionId");
  ASSERT_EQ(provider().List().size(), 1u);
  ASSERT_EQ(Gateway()
                .Post("/api/gateway/events", json::object{{"sessionId", session},
                                                          {"type", "session.end"},
                                                          {"detail", json::object{{"reason", "logout"}}}})
                .status,
            200);
  EXPECT_TRUE(provider().List().empty()) << "a desktop never outlives its session";
}

TEST_F(ComponentGatewayTest, UnknownEventTypeIsRefused) {
  const std::string session = Started().String("sessionId");
  EXPECT_EQ(Gateway()
                .Post("/api/gateway/events",
                      json::object{{"sessionId", session}, {"type", "clipboard.content"}, {"detail", json::object{}}})
                .status,
            400);
}

}  // namespace
}  // namespace safedesk::testing
