// The administrator's API (broker/API.md, "Administrator").
#include <gtest/gtest.h>

#include "tests/integration/broker_api/requests_api_fixture.h"

namespace safedesk::testing {
namespace {

namespace json = boost::json;

using AdminApiTest = ResearcherAndAdminTest;

TEST_F(AdminApiTest, PendingListShowsRequesterProjectPurposeDuration) {
  const std::string id = AskId(rita());
  const ApiResponse answer = ada().Get("/api/admin/requests");
  ASSERT_EQ(answer.status, 200) << answer.body;
  const auto& pending = answer.json.at("requests").as_array();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].at("id").as_string(), id);
  EXPECT_EQ(pending[0].at("user").as_string(), "rita");
  EXPECT_EQ(pending[0].at("project").as_string(), kTestProject);
  EXPECT_EQ(pending[0].at("purpose").as_string(), "cohort study");
  EXPECT_EQ(pending[0].at("durationSeconds").as_int64(), 3600);
}

TEST_F(AdminApiTest, ApprovingOwnRequestIsForbidden) {
  ApiClient lena = User("lena", {"lead"});
  const std::string id = AskId(lena);
  EXPECT_EQ(StepUpAndDecide(lena, "lena", id).status, 403);
  EXPECT_TRUE(harness().AuditOfType("request.approved").empty());
}

TEST_F(AdminApiTest, ApprovalWithoutRecentStepUpIsForbidden) {
  const std::string id = AskId(rita());
  // The login's own second factor counts as a step-up; let it age past the window.
  harness().clock().Advance(harness().config().broker.step_up_window + std::chrono::seconds(1));
  const ApiResponse refused = Decide(ada(), id, true);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.Error(), "step_up_required") << "not a plain forbidden: the page asks for a step-up";
  EXPECT_TRUE(harness().AuditOfType("request.approved").empty());
  ASSERT_EQ(harness().StepUpWithTotp(ada(), "ada").status, 200);
  EXPECT_EQ(Decide(ada(), id, true).status, 200) << "a fresh step-up";
}

TEST_F(AdminApiTest, TwoApproversRequired) {
  ApiClient alan = User("alan", {"administrator"});
  const std::string id = AskId(rita(), kTwoKeysProject);
  const ApiResponse first = StepUpAndDecide(ada(), "ada", id);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.String("state"), "pending");
  EXPECT_EQ(Start(rita(), id).status, 409) << "one approval of two starts nothing";
  EXPECT_EQ(StepUpAndDecide(ada(), "ada", id).status, 409) << "the same approver twice";
  const ApiResponse second = StepUpAndDecide(alan, "alan", id);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(second.String("state"), "approved");
  EXPECT_EQ(harness().AuditOfType("request.approved").size(), 2u);
}

TEST_F(AdminApiTest, DenyWithReason) {
  const std::string id = AskId(rita());
  EXPECT_EQ(StepUpAndDecide(ada(), "ada", id, false, "").status, 400) << "a denial says why";
  const ApiResponse denied = StepUpAndDecide(ada(), "ada", id, false, "no ethics approval on file");
  ASSERT_EQ(denied.status, 200) << denied.body;
  EXPECT_EQ(denied.String("state"), "denied");
  const auto audited = harness().AuditOfType("request.denied");
  ASSERT_EQ(audited.size(), 1u);
  EXPECT_EQ(std::get<std::string>(*audited[0].Find("reason")), "no ethics approval on file");
  const ApiResponse mine = rita().Get("/api/requests");
  const auto& request = mine.json.at("requests").as_array()[0].as_object();
  EXPECT_EQ(request.at("state").as_string(), "denied");
  EXPECT_EQ(request.at("decisions").as_array()[0].at("reason").as_string(), "no ethics approval on file");
  EXPECT_EQ(Start(rita(), id).status, 409);
}

TEST_F(AdminApiTest, TerminateALiveSession) {
  const std::string session = LiveSession(rita(), ada());
  ASSERT_EQ(provider().List().size(), 1u);
  const ApiResponse live = ada().Get("/api/admin/sessions");
  ASSERT_EQ(live.json.at("sessions").as_array().size(), 1u);
  EXPECT_EQ(live.json.at("sessions").as_array()[0].at("user").as_string(), "rita");
  const ApiResponse ended =
      ada().Post("/api/admin/sessions/terminate", json::object{{"id", session}, {"reason", "policy breach"}});
  ASSERT_EQ(ended.status, 200) << ended.body;
  EXPECT_TRUE(provider().List().empty());
  EXPECT_TRUE(ada().Get("/api/admin/sessions").json.at("sessions").as_array().empty());
  const auto audited = harness().AuditOfType("session.terminated");
  ASSERT_EQ(audited.size(), 1u);
  EXPECT_EQ(audited[0].session, session);
  EXPECT_EQ(ada().Post("/api/admin/sessions/terminate", json::object{{"id", session}, {"reason", "again"}}).status,
            409);
}

TEST_F(AdminApiTest, ResearcherCannotTerminate) {
  const std::string session = LiveSession(rita(), ada());
  EXPECT_EQ(rita().Post("/api/admin/sessions/terminate", json::object{{"id", session}, {"reason", "x"}}).status, 403);
  EXPECT_EQ(provider().List().size(), 1u);
}

TEST_F(AdminApiTest, CreatesUpdatesAndResetsUsers) {
  ASSERT_EQ(ada().Post("/api/admin/users",
                       json::object{{"name", "nina"}, {"displayName", "Nina"}, {"roles", json::array{"researcher"}}})
                .status,
            200);
  EXPECT_EQ(ada().Post("/api/admin/users", json::object{{"name", "nina"}, {"displayName", ""}, {"roles", json::array{}}})
                .status,
            409);
  EXPECT_EQ(ada().Post("/api/admin/users",
                       json::object{{"name", "zed"}, {"displayName", ""}, {"roles", json::array{"superuser"}}})
                .status,
            400)
      << "roles must exist in the configuration";
  ASSERT_EQ(ada().Post("/api/admin/users/update", json::object{{"name", "rita"}, {"disabled", true}}).status, 200);
  EXPECT_EQ(rita().Get("/api/requests").status, 401) << "a disabled user's session stops working";
  ASSERT_EQ(ada().Post("/api/admin/users/reset-factors", json::object{{"name", "rita"}}).status, 200);
  const ApiResponse users = ada().Get("/api/admin/users");
  for (const auto& user : users.json.at("users").as_array()) {
    if (user.at("name").as_string() != "rita") continue;
    EXPECT_TRUE(user.at("disabled").as_bool());
    EXPECT_EQ(user.at("factors").as_int64(), 0);
  }
  EXPECT_EQ(harness().AuditOfType("user.created").size(), 1u);
  EXPECT_EQ(harness().AuditOfType("user.updated").size(), 1u);
  EXPECT_EQ(harness().AuditOfType("user.factors_reset").size(), 1u);
  EXPECT_EQ(rita().Post("/api/admin/users", json::object{{"name", "x"}, {"displayName", ""}, {"roles", json::array{}}})
                .status,
            401);
}

TEST_F(AdminApiTest, UserChangesNeedAFreshStepUp) {
  harness().clock().Advance(harness().config().broker.step_up_window + std::chrono::seconds(1));
  const json::object nina{{"name", "nina"}, {"displayName", "Nina"}, {"roles", json::array{"researcher"}}};
  EXPECT_EQ(ada().Post("/api/admin/users", nina).Error(), "step_up_required");
  EXPECT_EQ(ada().Post("/api/admin/users/update", json::object{{"name", "rita"}, {"roles", json::array{"administrator"}}})
                .Error(),
            "step_up_required");
  EXPECT_EQ(ada().Post("/api/admin/users/reset-factors", json::object{{"name", "rita"}}).Error(), "step_up_required");
  EXPECT_TRUE(harness().AuditOfType("user.factors_reset").empty());
  EXPECT_TRUE(harness().AuditOfType("user.updated").empty());
  ASSERT_EQ(harness().StepUpWithTotp(ada(), "ada").status, 200);
  EXPECT_EQ(ada().Post("/api/admin/users/reset-factors", json::object{{"name", "rita"}}).status, 200);
}

}  // namespace
}  // namespace safedesk::testing
