// Sessions on the desktop pool (broker/desktop_pool.h) through the real API: a start
// beyond the pool's max_desktops is refused with "pool_full" before the approval is spent
// (audited), and a live session whose desktop dies (its X server killed by PID: the
// test's own HostProcessProvider started it) is ended by the broker with reason
// "desktop_crashed", a terminate order for the gateway and an audit record.
#include <signal.h>

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "broker/admin_api.h"
#include "broker/component_routes.h"
#include "broker/desktop_pool.h"
#include "broker/provider_host_process.h"
#include "broker/requests_api.h"
#include "broker/session_start.h"
#include "tests/integration/broker_api/broker_api_harness.h"

namespace safedesk::testing {
namespace {

class DesktopPoolSessionTest : public BrokerApiTest {
 protected:
  void AddRoutes(broker::Router& router, broker::BrokerContext& harness_ctx) override {
    config_ = harness_ctx.config;
    Adjust(config_);
    components_ = std::make_unique<broker::ComponentServices>(harness_ctx.tickets, harness_ctx.clock, harness_ctx.audit,
                                                              harness_ctx.config.broker.agent_heartbeat_timeout);
    ctx_ = std::make_unique<broker::BrokerContext>(broker::BrokerContext{
        config_, harness_ctx.store, harness_ctx.audit, harness_ctx.clock, harness_ctx.random,
        harness_ctx.web_sessions, harness_ctx.passwords, harness_ctx.totp, harness_ctx.secret_box,
        harness_ctx.webauthn, harness_ctx.tickets, &components_->vault, &components_->orders, nullptr});
    broker::HostProcessOptions options;
    options.runtime_dir = desktops_.path();
    options.stop_grace = std::chrono::milliseconds(500);
    provider_ = std::make_unique<broker::HostProcessProvider>(options, SystemRandom());
    pool_ = std::make_unique<broker::DesktopPool>(*provider_, config_, harness_ctx.store, harness_ctx.clock,
                                                 harness_ctx.audit);
    pool_->SetSessionHooks(
        [this](const std::string& id) { return broker::SessionLivenessOf(*ctx_, id); },
        [this](const std::string& session, const std::string& desktop) {
          broker::EndSessionOfLostDesktop(*ctx_, session, desktop);
        });
    broker::AddRequestRoutes(router, *ctx_, *pool_);
    broker::AddAdminRoutes(router, *ctx_, *pool_);
  }

  // One desktop for the test project, no spares.
  static void Adjust(config::Config& config) {
    config::PoolConfig pool;
    pool.name = "default";
    pool.max_desktops = 1;
    pool.warm_spares = 0;
    pool.screen = {640, 480};
    config.pools = {pool};
  }

  ApiClient User(const std::string& name, const std::vector<std::string>& roles) {
    harness().CreateUser(name, roles);
    config::Config synced = harness().config();
    Adjust(synced);
    config_ = synced;  // the handlers and the pool hold a reference: assign, never replace
    return harness().LoginWithTotp(name);
  }

  // rita asks, ada approves: the request id.
  std::string Approved(ApiClient& rita, ApiClient& ada) {
    const ApiResponse asked = rita.Post(
        "/api/requests", boost::json::object{{"project", kTestProject}, {"purpose", "cohort"}, {"durationSeconds", 600}});
    EXPECT_EQ(asked.status, 200) << asked.body;
    EXPECT_EQ(harness().StepUpWithTotp(ada, "ada").status, 200);
    const ApiResponse decided = ada.Post("/api/admin/requests/decide",
                                         boost::json::object{{"id", asked.String("id")}, {"approve", true}, {"reason", "ok"}});
    EXPECT_EQ(decided.String("state"), "approved") << decided.body;
    return asked.String("id");
  }

  ApiResponse Start(ApiClient& client, const std::string& request) {
    return client.Post("/api/requests/start", boost::json::object{{"id", request}});
  }

  void KillXServer(const std::string& desktop) {
    std::string display;
    for (const broker::DesktopInfo& info : provider_->List()) {
      if (info.id == desktop) display = info.display.substr(1);
    }
    ASSERT_FALSE(display.empty());
    std::ifstream lock("/tmp/.X" + display + "-lock");
    pid_t pid = 0;
    lock >> pid;
    ASSERT_GT(pid, 0);
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
  }

  void TearDown() override {
    if (HasFailure()) std::cerr << "broker log:\n" << harness().LogText();
    pool_.reset();
  }

  broker::DesktopPool& pool() { return *pool_; }
  broker::TerminateOrders& orders() { return components_->orders; }

 private:
  TempDir desktops_;
  config::Config config_;
  std::unique_ptr<broker::ComponentServices> components_;  // the vault and the gateway's terminate orders
  std::unique_ptr<broker::BrokerContext> ctx_;
  std::unique_ptr<broker::HostProcessProvider> provider_;
  std::unique_ptr<broker::DesktopPool> pool_;
};

TEST_F(DesktopPoolSessionTest, StartBeyondThePoolIsRefusedAndAuditedWithoutSpendingTheApproval) {
  ApiClient rita = User("rita", {"researcher"});
  ApiClient ada = User("ada", {"administrator"});
  const std::string first = Approved(rita, ada);
  const std::string second = Approved(rita, ada);
  ASSERT_EQ(Start(rita, first).status, 200);
  const ApiResponse refused = Start(rita, second);
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.Error(), "pool_full");
  const auto audited = harness().AuditOfType("session.start_refused");
  ASSERT_EQ(audited.size(), 1u);
  EXPECT_EQ(std::get<std::string>(*audited[0].Find("request")), second);
  EXPECT_EQ(std::get<std::string>(*audited[0].Find("pool")), "default");
  EXPECT_EQ(std::get<std::string>(*audited[0].Find("reason")), "pool_full");
  EXPECT_TRUE(harness().AuditOfType("session.start_failed").empty());
  EXPECT_EQ(pool().List().size(), 1u);
  auto kept = harness().store().GetRequest(second);
  ASSERT_TRUE(kept.ok() && kept->has_value());
  EXPECT_EQ((*kept)->state, broker::RequestState::kApproved);
}

TEST_F(DesktopPoolSessionTest, CrashedDesktopEndsItsSessionAudited) {
  ApiClient rita = User("rita", {"researcher"});
  ApiClient ada = User("ada", {"administrator"});
  const ApiResponse started = Start(rita, Approved(rita, ada));
  ASSERT_EQ(started.status, 200) << started.body;
  const std::string session = started.String("sessionId");
  ASSERT_EQ(pool().List().size(), 1u);
  const std::string desktop = pool().List()[0].id;
  pool().Maintain();  // live and well: nothing happens
  ASSERT_EQ(pool().List().size(), 1u);
  KillXServer(desktop);
  for (int i = 0; i < 200 && !pool().List().empty(); ++i) {
    pool().Maintain();
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_TRUE(pool().List().empty());
  auto record = harness().store().GetSession(session);
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_NE((*record)->ended_at, 0);
  EXPECT_EQ((*record)->end_reason, "desktop_crashed");
  const auto lost = harness().AuditOfType("session.desktop_lost");
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].session, session);
  EXPECT_EQ(std::get<std::string>(*lost[0].Find("desktop")), desktop);
  EXPECT_EQ(std::get<std::string>(*lost[0].Find("reason")), "desktop_crashed");
  EXPECT_EQ(orders().size(), 1u);  // the gateway is told to drop the connection
}

}  // namespace
}  // namespace safedesk::testing
