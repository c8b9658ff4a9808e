// The auditor's API (broker/API.md, "Auditor"): read-only, trails built from the
// verified audit log.
#include <gtest/gtest.h>

#include "tests/integration/broker_api/requests_api_fixture.h"

namespace safedesk::testing {
namespace {

namespace json = boost::json;

class AuditApiTest : public RequestsApiTest {
 protected:
  void SetUp() override {
    RequestsApiTest::SetUp();
    rita_ = std::make_unique<ApiClient>(User("rita", {"researcher"}));
    ada_ = std::make_unique<ApiClient>(User("ada", {"administrator"}));
    audrey_ = std::make_unique<ApiClient>(User("audrey", {"auditor"}));
  }
  std::unique_ptr<ApiClient> rita_, ada_, audrey_;
};

TEST_F(AuditApiTest, TheHarnessAuditKeyIsTheOneTrusted) {
  const ApiResponse log = audrey_->Get("/api/audit/log");
  ASSERT_EQ(log.status, 200) << log.body;
  EXPECT_EQ(log.String("verify").rfind("OK:", 0), 0u) << log.String("verify");
  EXPECT_FALSE(log.json.at("records").as_array().empty());
}

TEST_F(AuditApiTest, SessionTrailIncludesApprovals) {
  const std::string session = LiveSession(*rita_, *ada_);
  const ApiResponse trail = audrey_->Get("/api/audit/session?id=" + session);
  ASSERT_EQ(trail.status, 200) << trail.body;
  std::vector<std::string> types;
  for (const auto& record : trail.json.at("trail").as_array()) types.emplace_back(record.at("type").as_string());
  for (const char* expected : {"login.success", "request.created", "request.approved", "request.started",
                               "session.start", "ticket.issued"}) {
    EXPECT_NE(std::find(types.begin(), types.end(), expected), types.end()) << expected;
  }
  EXPECT_EQ(trail.json.at("request").at("decisions").as_array()[0].at("approver").as_string(), "ada");
  EXPECT_EQ(trail.String("verify").rfind("OK:", 0), 0u);
  EXPECT_EQ(trail.body.find(DefaultPassword("rita")), std::string::npos);
}

TEST_F(AuditApiTest, FiltersSessions) {
  const std::string session = LiveSession(*rita_, *ada_);
  auto count = [&](const std::string& query) {
    const ApiResponse answer = audrey_->Get("/api/audit/sessions" + query);
    EXPECT_EQ(answer.status, 200) << answer.body;
    return answer.json.is_object() ? answer.json.at("sessions").as_array().size() : 0u;
  };
  EXPECT_EQ(count(""), 1u);
  EXPECT_EQ(count("?user=rita&project=" + std::string(kTestProject)), 1u);
  EXPECT_EQ(count("?user=rob"), 0u);
  EXPECT_EQ(count("?approver=ada"), 1u);
  EXPECT_EQ(count("?approver=alan"), 0u);
  EXPECT_EQ(count("?blocked=true"), 0u);
  EXPECT_EQ(count("?blocked=false"), 1u);
  const std::int64_t now = UnixSeconds(harness().clock().Now());
  EXPECT_EQ(count("?from=" + std::to_string(now + 10)), 0u);
  EXPECT_EQ(count("?from=0&to=" + std::to_string(now)), 1u);
  EXPECT_EQ(audrey_->Get("/api/audit/sessions?bogus=1").status, 400);
}

TEST_F(AuditApiTest, AuditorChangingAnythingIsForbidden) {
  const std::string id = AskId(*rita_);
  EXPECT_EQ(audrey_->Post("/api/audit/sessions").status, 403);
  EXPECT_EQ(audrey_->Post("/api/audit/log").status, 403);
  EXPECT_EQ(audrey_->Post("/api/audit/session", json::object{{"id", "x"}}).status, 403);
  EXPECT_EQ(harness().StepUpWithTotp(*audrey_, "audrey").status, 200);
  EXPECT_EQ(Decide(*audrey_, id, true).status, 403);
  EXPECT_EQ(audrey_->Post("/api/admin/users/update", json::object{{"name", "rita"}, {"disabled", true}}).status, 403);
  EXPECT_EQ(Ask(*audrey_).status, 403);
}

TEST_F(AuditApiTest, OthersCannotReadTheAuditApi) {
  EXPECT_EQ(rita_->Get("/api/audit/log").status, 403);
  EXPECT_EQ(ada_->Get("/api/audit/sessions").status, 403);
}

}  // namespace
}  // namespace safedesk::testing
