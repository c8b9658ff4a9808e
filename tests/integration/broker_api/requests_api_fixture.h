#pragma once
// The researcher/administrator/auditor routes on the shared harness, with a real
// HostProcessProvider. The handlers get their own BrokerContext whose config is a copy of
// the harness's plus what these tests need: a role "lead" that may both request and
// approve, a project "twokeys" requiring two approvers, a project "oncology" with no
// members, and a 2 h maximum on the test
// project. CreateUser below keeps the copy in step with the harness's membership list.

#include <boost/json.hpp>

#include <iostream>
#include <memory>

#include "broker/admin_api.h"
#include "broker/audit_api_routes.h"
#include "broker/provider_host_process.h"
#include "broker/requests_api.h"
#include "common/audit_record.h"
#include "tests/integration/broker_api/broker_api_harness.h"

namespace safedesk::testing {

inline constexpr const char* kTwoKeysProject = "twokeys";
inline constexpr std::int64_t kTestProjectMaxSeconds = 2 * 3600;

class RequestsApiTest : public BrokerApiTest {
 protected:
  void AddRoutes(broker::Router& router, broker::BrokerContext& harness_ctx) override {
    config_ = harness_ctx.config;
    Adjust(config_);
    harness().WriteProjects(config_);  // projects live in the store
    ctx_ = std::make_unique<broker::BrokerContext>(broker::BrokerContext{
        config_, harness_ctx.store, harness_ctx.audit, harness_ctx.clock, harness_ctx.random,
        harness_ctx.web_sessions, harness_ctx.passwords, harness_ctx.totp, harness_ctx.secret_box,
        harness_ctx.webauthn, harness_ctx.tickets, harness_ctx.vm_credentials, harness_ctx.terminate_orders,
        harness_ctx.agents});
    broker::HostProcessOptions options;
    options.runtime_dir = desktops_.path();
    provider_ = std::make_unique<broker::HostProcessProvider>(options, SystemRandom());
    broker::AddRequestRoutes(router, *ctx_, *provider_);
    broker::AddAdminRoutes(router, *ctx_, *provider_);
    broker::AddAuditRoutes(router, *ctx_, HarnessAuditSource(harness_ctx));
  }

  static void Adjust(config::Config& config) {
    config::RoleConfig lead;
    lead.name = "lead";
    lead.can_request = lead.can_approve = lead.can_admin = true;
    config.roles.push_back(lead);
    config.projects.front().max_duration = std::chrono::seconds(kTestProjectMaxSeconds);
    config::ProjectConfig two = config.projects.front();
    two.name = kTwoKeysProject;
    two.require_two_approvers = true;
    config.projects.push_back(two);
    config::ProjectConfig closed = config.projects.front();
    closed.name = "oncology";  // nobody is a member
    closed.members.clear();
    config.projects.push_back(closed);
  }

  // The harness opens <base_dir>/audit.log with the first key its SeededRandom(0x5afe)
  // makes, and exposes neither; this rebuilds both, and Verified() below fails loudly if
  // the harness changes that.
  static broker::AuditLogSource HarnessAuditSource(const broker::BrokerContext& ctx) {
    SeededRandom same_seed(0x5afe);
    auto key = Ed25519PrivateKey::Generate(same_seed);
    EXPECT_TRUE(key.ok());
    return {ctx.config.base_dir / "audit.log", {key->public_key()}};
  }

  // A user in the store, PAM and both projects; returns a logged-in client.
  ApiClient User(const std::string& name, const std::vector<std::string>& roles) {
    harness().CreateUser(name, roles);
    config::Config synced = harness().config();
    Adjust(synced);
    config_ = synced;  // the handlers hold a reference to config_: assign, never replace
    harness().WriteProjects(config_);
    return harness().LoginWithTotp(name);
  }

  ApiResponse Ask(ApiClient& client, const std::string& project = kTestProject, std::int64_t seconds = 3600) {
    return client.Post("/api/requests", boost::json::object{
                                            {"project", project}, {"purpose", "cohort study"}, {"durationSeconds", seconds}});
  }
  std::string AskId(ApiClient& client, const std::string& project = kTestProject) {
    ApiResponse answer = Ask(client, project);
    EXPECT_EQ(answer.status, 200) << answer.body;
    return answer.String("id");
  }
  ApiResponse Decide(ApiClient& admin, const std::string& id, bool approve, const std::string& reason = "ok") {
    return admin.Post("/api/admin/requests/decide",
                      boost::json::object{{"id", id}, {"approve", approve}, {"reason", reason}});
  }
  // Steps up with the admin's TOTP, then decides.
  ApiResponse StepUpAndDecide(ApiClient& admin, const std::string& admin_name, const std::string& id,
                              bool approve = true, const std::string& reason = "ok") {
    const ApiResponse stepped = harness().StepUpWithTotp(admin, admin_name);
    EXPECT_EQ(stepped.status, 200) << stepped.body;
    return Decide(admin, id, approve, reason);
  }
  ApiResponse Start(ApiClient& client, const std::string& id) {
    return client.Post("/api/requests/start", boost::json::object{{"id", id}});
  }
  // rita asks, ada approves, rita starts: the session id.
  std::string LiveSession(ApiClient& rita, ApiClient& ada) {
    const std::string id = AskId(rita);
    EXPECT_EQ(StepUpAndDecide(ada, "ada", id).String("state"), "approved");
    const ApiResponse started = Start(rita, id);
    EXPECT_EQ(started.status, 200) << started.body;
    return started.String("sessionId");
  }

  broker::HostProcessProvider& provider() { return *provider_; }
  // Each desktop's files (logs included) sit in desktops_dir()/desktop-<id> while it runs.
  const std::filesystem::path& desktops_dir() const { return desktops_.path(); }

  void TearDown() override {
    if (HasFailure()) std::cerr << "broker log:\n" << harness().LogText();
  }

 private:
  TempDir desktops_;
  config::Config config_;
  std::unique_ptr<broker::BrokerContext> ctx_;
  std::unique_ptr<broker::HostProcessProvider> provider_;
};

// The usual pair: rita (researcher) and ada (administrator), logged in with TOTP.
class ResearcherAndAdminTest : public RequestsApiTest {
 protected:
  void SetUp() override {
    RequestsApiTest::SetUp();
    rita_ = std::make_unique<ApiClient>(User("rita", {"researcher"}));
    ada_ = std::make_unique<ApiClient>(User("ada", {"administrator"}));
  }
  ApiClient& rita() { return *rita_; }
  ApiClient& ada() { return *ada_; }

 private:
  std::unique_ptr<ApiClient> rita_, ada_;
};

}  // namespace safedesk::testing
