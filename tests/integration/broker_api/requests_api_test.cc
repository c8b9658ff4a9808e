// The researcher's API (broker/API.md, "Researcher") and the refusals every API shares.
#include <gtest/gtest.h>

#include "tests/integration/broker_api/requests_api_fixture.h"

namespace safedesk::testing {
namespace {

namespace json = boost::json;

class ResearcherApiTest : public RequestsApiTest {
 protected:
  void SetUp() override {
    RequestsApiTest::SetUp();
    rita_ = std::make_unique<ApiClient>(User("rita", {"researcher"}));
  }
  ApiClient& rita() { return *rita_; }
  std::unique_ptr<ApiClient> rita_;
};

TEST_F(ResearcherApiTest, ListsOnlyMemberProjects) {
  const ApiResponse answer = rita().Get("/api/projects");
  ASSERT_EQ(answer.status, 200) << answer.body;
  const auto& projects = answer.json.at("projects").as_array();
  ASSERT_EQ(projects.size(), 2u);
  EXPECT_EQ(projects[0].at("name").as_string(), kTestProject);
  EXPECT_EQ(projects[0].at("maxDurationSeconds").as_int64(), kTestProjectMaxSeconds);
  EXPECT_EQ(projects[1].at("requireTwoApprovers").as_bool(), true);
}

TEST_F(ResearcherApiTest, CreatesAPendingRequestAndAuditsIt) {
  const ApiResponse answer = Ask(rita());
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(answer.String("state"), "pending");
  const auto created = harness().AuditOfType("request.created");
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(std::get<std::string>(*created[0].Find("request")), answer.String("id"));
  const ApiResponse mine = rita().Get("/api/requests");
  ASSERT_EQ(mine.json.at("requests").as_array().size(), 1u);
  EXPECT_EQ(mine.json.at("requests").as_array()[0].at("purpose").as_string(), "cohort study");
}

TEST_F(ResearcherApiTest, ProjectNotAMemberOfIsForbidden) {
  const ApiResponse answer = Ask(rita(), "oncology");
  EXPECT_EQ(answer.status, 403) << answer.body;
  EXPECT_EQ(answer.Error(), "forbidden");
}

TEST_F(ResearcherApiTest, DurationAboveProjectMaximumIsBadRequest) {
  const ApiResponse answer = Ask(rita(), kTestProject, kTestProjectMaxSeconds + 1);
  EXPECT_EQ(answer.status, 400) << answer.body;
  EXPECT_TRUE(harness().AuditOfType("request.created").empty());
}

TEST_F(ResearcherApiTest, PurposeIsRequired) {
  const ApiResponse answer =
      rita().Post("/api/requests", json::object{{"project", kTestProject}, {"purpose", "  "}, {"durationSeconds", 60}});
  EXPECT_EQ(answer.status, 400);
}

TEST_F(ResearcherApiTest, ResearcherApprovingIsForbidden) {
  ApiClient rob = User("rob", {"researcher"});
  const std::string id = AskId(rob);
  const ApiResponse answer = StepUpAndDecide(rita(), "rita", id);
  EXPECT_EQ(answer.status, 403) << answer.body;
}

TEST_F(ResearcherApiTest, StateChangeWithoutCsrfTokenIsUnauthenticated) {
  rita().set_csrf("");
  const ApiResponse answer = Ask(rita());
  EXPECT_EQ(answer.status, 401);
  EXPECT_EQ(answer.Error(), "unauthenticated");
}

TEST_F(ResearcherApiTest, CookieFromAnotherAddressIsUnauthenticated) {
  rita().set_source("127.0.0.2");
  EXPECT_EQ(rita().Get("/api/requests").status, 401);
  EXPECT_EQ(Ask(rita()).status, 401);
}

TEST_F(ResearcherApiTest, ExpiredCookieIsUnauthenticated) {
  harness().clock().Advance(std::chrono::hours(13));  // past idle and absolute lifetimes
  EXPECT_EQ(rita().Get("/api/requests").status, 401);
}

TEST_F(ResearcherApiTest, MalformedJsonIsBadRequest) {
  EXPECT_EQ(rita().PostRaw("/api/requests", "{\"project\": ").status, 400);
  EXPECT_EQ(rita().PostRaw("/api/requests", "[1,2]").status, 400);
  EXPECT_EQ(rita().PostRaw("/api/requests/start", std::string(40, '[')).status, 400);
  EXPECT_EQ(rita().Get("/api/requests").status, 200) << "the server is still there";
}

TEST_F(ResearcherApiTest, OversizedBodyIsTooLarge) {
  // Declares the oversized length without sending it: a client still writing megabytes
  // after the 413 may see a reset instead of the answer (the server stops reading).
  EXPECT_EQ(rita().PostDeclaringLength("/api/requests", harness().config().broker.max_body_bytes + 1).status, 413);
  EXPECT_EQ(rita().Get("/api/requests").status, 200) << "the server is still there";
}

TEST_F(ResearcherApiTest, StartOfAPendingRequestIsRefused) {
  const std::string id = AskId(rita());
  EXPECT_EQ(Start(rita(), id).status, 409);
}

TEST_F(ResearcherApiTest, SomeoneElsesRequestCannotBeStarted) {
  ApiClient ada = User("ada", {"administrator"});
  ApiClient rob = User("rob", {"researcher"});
  const std::string id = AskId(rob);
  ASSERT_EQ(StepUpAndDecide(ada, "ada", id).status, 200);
  EXPECT_EQ(Start(rita(), id).status, 404);
}

TEST_F(ResearcherApiTest, StartingTwiceIsRefused) {
  ApiClient ada = User("ada", {"administrator"});
  const std::string id = AskId(rita());
  ASSERT_EQ(StepUpAndDecide(ada, "ada", id).String("state"), "approved");
  const ApiResponse first = Start(rita(), id);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_FALSE(first.String("ticket").empty());
  EXPECT_EQ(first.String("desktopUrl").find(first.String("ticket")), std::string::npos);
  const ApiResponse second = Start(rita(), id);
  EXPECT_EQ(second.status, 409);
  EXPECT_EQ(provider().List().size(), 1u) << "the refused start started nothing";
}

TEST_F(ResearcherApiTest, ApprovalAfterItsWindowIsRefused) {
  ApiClient ada = User("ada", {"administrator"});
  const std::string id = AskId(rita());
  ASSERT_EQ(StepUpAndDecide(ada, "ada", id).String("state"), "approved");
  harness().clock().Advance(harness().config().broker.approval_validity + std::chrono::seconds(1));
  ApiClient later = harness().LoginWithTotp("rita");  // the old cookie expired meanwhile
  EXPECT_EQ(Start(later, id).status, 409);
  EXPECT_TRUE(provider().List().empty());
  const ApiResponse mine = later.Get("/api/requests");
  EXPECT_EQ(mine.json.at("requests").as_array()[0].at("state").as_string(), "expired");
}

TEST_F(ResearcherApiTest, StartAnswersTicketAndRecordsTheSession) {
  ApiClient ada = User("ada", {"administrator"});
  const std::string session = LiveSession(rita(), ada);
  ASSERT_FALSE(session.empty());
  ASSERT_EQ(provider().List().size(), 1u);
  EXPECT_EQ(provider().List()[0].session_id, session);
  const ApiResponse mine = rita().Get("/api/sessions");
  ASSERT_EQ(mine.json.at("sessions").as_array().size(), 1u);
  EXPECT_EQ(mine.json.at("sessions").as_array()[0].at("source").as_string(), "127.0.0.1");
  EXPECT_EQ(harness().AuditOfType("session.start").size(), 1u);
  EXPECT_EQ(harness().AuditOfType("ticket.issued").size(), 1u);
}

}  // namespace
}  // namespace safedesk::testing
