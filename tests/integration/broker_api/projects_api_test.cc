// Project administration (broker/API.md, "Administrator"): projects live in the store;
// administrators change members, dataset, pool, limits and mask rules with a fresh
// step-up and the version they read, and the change decides who may ask from then on.
#include <gtest/gtest.h>

#include "broker/projects.h"
#include "tests/integration/broker_api/requests_api_fixture.h"

namespace safedesk::testing {
namespace {

namespace json = boost::json;

class ProjectsApiTest : public ResearcherAndAdminTest {
 protected:

  // The project as the administrator's list shows it.
  json::object Read(const std::string& name) {
    const ApiResponse listed = ada().Get("/api/admin/projects");
    EXPECT_EQ(listed.status, 200) << listed.body;
    for (const json::value& project : listed.json.at("projects").as_array()) {
      if (project.at("name").as_string() == name) return project.as_object();
    }
    ADD_FAILURE() << "no project " << name << " in " << listed.body;
    return {};
  }
  // `project` as read, with members replaced, ready to post.
  static json::object WithMembers(json::object project, json::array members) {
    project["members"] = std::move(members);
    project.erase("updatedAt");
    project.erase("updatedBy");
    return project;
  }
  json::object Writable(const std::string& name) {
    json::object project = Read(name);
    project["datasetPath"] = harness().config().base_dir.string();
    project.erase("updatedAt");
    project.erase("updatedBy");
    return project;
  }
  ApiResponse Write(ApiClient& who, const json::object& project) { return who.Post("/api/admin/projects", project); }
};

TEST_F(ProjectsApiTest, ListShowsEveryProjectWithItsVersionAndThePools) {
  const ApiResponse listed = ada().Get("/api/admin/projects");
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(listed.json.at("projects").as_array().size(), 3u);
  EXPECT_EQ(listed.json.at("pools").as_array().size(), harness().config().pools.size());
  const json::object oncology = Read("oncology");
  EXPECT_TRUE(oncology.at("members").as_array().empty());
  EXPECT_GE(oncology.at("version").as_int64(), 1);
}

TEST_F(ProjectsApiTest, AddingAMemberLetsThemAsk) {
  EXPECT_EQ(Ask(rita(), "oncology").status, 403) << "not a member yet";
  const ApiResponse written = Write(ada(), WithMembers(Writable("oncology"), json::array{"rita"}));
  ASSERT_EQ(written.status, 200) << written.body;
  EXPECT_EQ(Ask(rita(), "oncology").status, 200);
  const auto audited = harness().AuditOfType("project.updated");
  ASSERT_FALSE(audited.empty());
  EXPECT_EQ(std::get<std::string>(*audited.back().Find("members")), "rita");
  EXPECT_EQ(std::get<std::string>(*audited.back().Find("by")), "ada");
}

TEST_F(ProjectsApiTest, RemovingAMemberRefusesTheirApprovedStart) {
  const std::string id = AskId(rita());
  ASSERT_EQ(StepUpAndDecide(ada(), "ada", id).String("state"), "approved");
  ASSERT_EQ(Write(ada(), WithMembers(Writable(kTestProject), json::array{"ada"})).status, 200);
  EXPECT_EQ(Start(rita(), id).status, 403);
  EXPECT_TRUE(provider().List().empty()) << "no desktop for a former member";
}

TEST_F(ProjectsApiTest, LoweringTheMaximumDurationBoundsNewRequests) {
  json::object project = Writable(kTestProject);
  project["maxDurationSeconds"] = 1800;
  ASSERT_EQ(Write(ada(), project).status, 200);
  EXPECT_EQ(Ask(rita(), kTestProject, 3600).status, 400);
  EXPECT_EQ(Ask(rita(), kTestProject, 1800).status, 200);
}

TEST_F(ProjectsApiTest, RequiringTwoApproversAppliesToNewRequests) {
  json::object project = Writable(kTestProject);
  project["requireTwoApprovers"] = true;
  ASSERT_EQ(Write(ada(), project).status, 200);
  const std::string id = AskId(rita());
  EXPECT_EQ(StepUpAndDecide(ada(), "ada", id).String("state"), "pending") << "one approval of two";
}

TEST_F(ProjectsApiTest, AStaleVersionIsAConflict) {
  const json::object read = Writable("oncology");
  ASSERT_EQ(Write(ada(), WithMembers(read, json::array{"rita"})).status, 200);
  const ApiResponse stale = Write(ada(), WithMembers(read, json::array{"ada"}));
  EXPECT_EQ(stale.status, 409) << "the second form was read before the first write";
  EXPECT_EQ(Read("oncology").at("members").as_array(), json::array{"rita"});
}

TEST_F(ProjectsApiTest, VersionZeroCreatesANewProject) {
  json::object fresh = Writable("oncology");
  fresh["name"] = "cardiology";
  fresh["version"] = 0;
  fresh["members"] = json::array{"rita"};
  ASSERT_EQ(Write(ada(), fresh).status, 200);
  EXPECT_EQ(Read("cardiology").at("version").as_int64(), 1);
  EXPECT_EQ(Write(ada(), fresh).status, 409) << "version 0 never overwrites";
  EXPECT_EQ(Ask(rita(), "cardiology").status, 200);
}

TEST_F(ProjectsApiTest, WritingNeedsAFreshStepUp) {
  const json::object project = WithMembers(Writable("oncology"), json::array{"rita"});
  harness().clock().Advance(harness().config().broker.step_up_window + std::chrono::seconds(1));
  const ApiResponse refused = Write(ada(), project);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.Error(), "step_up_required") << "the page asks for a step-up on this code";
  ASSERT_EQ(harness().StepUpWithTotp(ada(), "ada").status, 200);
  EXPECT_EQ(Write(ada(), project).status, 200);
}

TEST_F(ProjectsApiTest, ResearchersAndAuditorsCannotReadOrWriteProjects) {
  ApiClient otto = User("otto", {"auditor"});
  const json::object project = WithMembers(Writable("oncology"), json::array{"rita"});
  for (ApiClient* who : {&rita(), &otto}) {
    EXPECT_EQ(who->Get("/api/admin/projects").status, 403);
    EXPECT_EQ(Write(*who, project).status, 403);
  }
  EXPECT_TRUE(harness().AuditOfType("project.updated").size() <= 3u) << "only the seeds";
}

// Each bad field is named in the answer, so the administrator's form can point at it.
TEST_F(ProjectsApiTest, BadFieldsAreNamed) {
  const json::object good = Writable("oncology");
  struct Case {
    const char* field;
    json::value value;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {"datasetPath", "relative/dir", "datasetPath"},
      {"datasetPath", "/no/such/dataset/dir", "datasetPath"},
      {"datasetPath", "/srv/../etc", "datasetPath"},
      {"pool", "gpu", "pool"},
      {"members", json::array{"nobody"}, "members"},
      {"members", json::array{1}, "members"},
      {"maxDurationSeconds", 10, "maxDurationSeconds"},
      {"maxDurationSeconds", 30 * 24 * 3600, "maxDurationSeconds"},
      {"idleTimeoutSeconds", "15m", "idleTimeoutSeconds"},
      {"maskRules", json::array{json::object{{"wmClass", "("}, {"title", ""}}}, "maskRules"},
      {"maskRules", json::array{json::object{{"wmClass", ""}, {"title", ""}}}, "maskRules"},
      {"watermark", "yes", "watermark"},
      {"name", "../x", "name"},
      {"version", -1, "version"},
  };
  for (const Case& c : cases) {
    json::object bad = good;
    bad[c.field] = c.value;
    const ApiResponse answer = Write(ada(), bad);
    EXPECT_EQ(answer.status, 400) << c.field << " = " << json::serialize(c.value);
    EXPECT_EQ(answer.String("field"), c.expected) << c.field << " = " << json::serialize(c.value);
  }
  EXPECT_EQ(Read("oncology").at("version"), good.at("version")) << "nothing was written";
}

TEST_F(ProjectsApiTest, MaskRulesRoundTripInOrder) {
  json::object project = Writable("oncology");
  project["maskRules"] = json::array{json::object{{"wmClass", "^libreoffice"}, {"title", ""}},
                                     json::object{{"wmClass", ""}, {"title", "Patient [0-9]+"}}};
  ASSERT_EQ(Write(ada(), project).status, 200);
  EXPECT_EQ(Read("oncology").at("maskRules"), project.at("maskRules"));
}

TEST_F(ProjectsApiTest, SeedingAgainDoesNotUndoAnAdministratorsChange) {
  ASSERT_EQ(Write(ada(), WithMembers(Writable("oncology"), json::array{"rita"})).status, 200);
  config::Config file = harness().config();
  RequestsApiTest::Adjust(file);  // "oncology" has no members in the file
  broker::BrokerContext& ctx = harness().ctx();
  auto seeded = broker::SeedProjects(file, ctx.store, ctx.audit, harness().clock());
  ASSERT_TRUE(seeded.ok()) << seeded.error().message;
  EXPECT_EQ(*seeded, 0);
  EXPECT_EQ(Read("oncology").at("members").as_array(), json::array{"rita"});
}

}  // namespace
}  // namespace safedesk::testing
