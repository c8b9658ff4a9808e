// Step-up, GET /api/me, logout and factor removal (broker/API.md, "Login and factors").

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "auth/totp.h"
#include "common/encoding.h"
#include "tests/integration/broker_api/broker_api_harness.h"

namespace safedesk::testing {
namespace {

namespace json = boost::json;

class FactorsApiTest : public BrokerApiTest {
 protected:
  void SetUp() override {
    BrokerApiTest::SetUp();
    harness().CreateUser("bea", {"researcher", "auditor"}, "Bea B.");
  }

  // Adds a second TOTP factor through the logged-in session; returns its id.
  std::int64_t AddSecondTotp(ApiClient& client) {
    const ApiResponse begun = client.Post("/api/enroll/totp/begin");
    EXPECT_EQ(begun.status, 200) << begun.body;
    const Secret seed(*Base32Decode(begun.String("secret")));
    auto code = auth::ComputeTotp(seed, harness().ctx().totp.options().params, harness().clock().Now());
    const ApiResponse done =
        client.Post("/api/enroll/totp/finish", json::object{{"code", std::string(code->reveal())}, {"label", "spare"}});
    EXPECT_EQ(done.status, 200) << done.body;
    return done.json.is_object() && done.json.as_object().contains("factorId") ? done.json.at("factorId").as_int64() : 0;
  }
  void LetStepUpLapse() { harness().clock().Advance(std::chrono::minutes(6)); }
};

TEST_F(FactorsApiTest, MeDescribesTheCallerAndHandsOutACsrfToken) {
  ApiClient bea = harness().LoginWithTotp("bea");
  const ApiResponse me = bea.Get("/api/me");
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.String("user"), "bea");
  EXPECT_EQ(me.String("displayName"), "Bea B.");
  EXPECT_EQ(me.json.at("roles"), (json::array{"researcher", "auditor"}));
  const json::array& factors = me.json.at("factors").as_array();
  ASSERT_EQ(factors.size(), 1u);
  EXPECT_EQ(factors[0].at("kind"), "totp");
  EXPECT_EQ(factors[0].at("label"), "harness");
  EXPECT_GT(me.json.at("stepUpUntil").as_int64(), UnixSeconds(harness().clock().Now()));
  // The rotated token is the one that works now.
  EXPECT_EQ(bea.csrf(), me.String("csrf"));
  EXPECT_EQ(bea.Post("/api/logout").status, 200);
}

TEST_F(FactorsApiTest, PostWithoutCsrfTokenIsRefused) {
  ApiClient bea = harness().LoginWithTotp("bea");
  bea.set_csrf("");
  EXPECT_EQ(bea.Post("/api/logout").status, 401);
  EXPECT_EQ(bea.Get("/api/me").status, 200);
}

TEST_F(FactorsApiTest, StepUpWithTotpMovesTheWindow) {
  ApiClient bea = harness().LoginWithTotp("bea");
  LetStepUpLapse();
  const ApiResponse stepped = harness().StepUpWithTotp(bea, "bea");
  ASSERT_EQ(stepped.status, 200) << stepped.body;
  EXPECT_EQ(stepped.json.at("stepUpUntil").as_int64(), UnixSeconds(harness().clock().Now()) + 5 * 60);
}

TEST_F(FactorsApiTest, StepUpWithAWrongCodeIsRefusedAndAudited) {
  ApiClient bea = harness().LoginWithTotp("bea");
  EXPECT_EQ(bea.Post("/api/stepup/totp", json::object{{"code", "000000"}}).status, 401);
  const auto rejected = harness().AuditOfType("factor.rejected");
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(std::get<std::string>(*rejected[0].Find("reason")), "wrong_code");
}

TEST_F(FactorsApiTest, StepUpThenRemoveAFactor) {
  ApiClient bea = harness().LoginWithTotp("bea");
  const std::int64_t spare = AddSecondTotp(bea);
  ASSERT_NE(spare, 0);
  LetStepUpLapse();
  ASSERT_EQ(harness().StepUpWithTotp(bea, "bea").status, 200);
  const ApiResponse removed = bea.Post("/api/factors/remove", json::object{{"factorId", spare}});
  EXPECT_EQ(removed.status, 200) << removed.body;
  EXPECT_EQ(bea.Get("/api/me").json.at("factors").as_array().size(), 1u);
  const auto audited = harness().AuditOfType("factor.removed");
  ASSERT_EQ(audited.size(), 1u);
  EXPECT_EQ(std::get<std::string>(*audited[0].Find("factor_id")), std::to_string(spare));
}

TEST_F(FactorsApiTest, RemovingWithoutAFreshStepUpIsRefused) {
  ApiClient bea = harness().LoginWithTotp("bea");
  const std::int64_t spare = AddSecondTotp(bea);
  LetStepUpLapse();
  const ApiResponse refused = bea.Post("/api/factors/remove", json::object{{"factorId", spare}});
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.Error(), "step_up_required");
  EXPECT_EQ(bea.Get("/api/me").json.at("factors").as_array().size(), 2u);
}

TEST_F(FactorsApiTest, TheLastFactorCannotBeRemoved) {
  ApiClient bea = harness().LoginWithTotp("bea");
  const std::int64_t only = bea.Get("/api/me").json.at("factors").as_array()[0].at("id").as_int64();
  const ApiResponse refused = bea.Post("/api/factors/remove", json::object{{"factorId", only}});
  EXPECT_EQ(refused.status, 409);
  EXPECT_TRUE(harness().AuditOfType("factor.removed").empty());
}

TEST_F(FactorsApiTest, AddingAFactorNeedsAFreshStepUp) {
  ApiClient bea = harness().LoginWithTotp("bea");
  LetStepUpLapse();
  const ApiResponse refused = bea.Post("/api/enroll/totp/begin");
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.Error(), "step_up_required");
}

TEST_F(FactorsApiTest, LogoutClearsTheCookieAndEndsTheSession) {
  ApiClient bea = harness().LoginWithTotp("bea");
  const std::string cookie = *bea.Cookie("__Host-safedesk");
  const ApiResponse out = bea.Post("/api/logout");
  ASSERT_EQ(out.status, 200);
  ASSERT_EQ(out.set_cookies.size(), 1u);
  EXPECT_EQ(out.set_cookies[0], "__Host-safedesk=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
  EXPECT_FALSE(bea.Cookie("__Host-safedesk").has_value());
  bea.SetCookie("__Host-safedesk", cookie);  // a copy kept by an attacker is dead too
  EXPECT_EQ(bea.Get("/api/me").status, 401);
}

TEST_F(FactorsApiTest, SecondFactorFailuresLockTheUsersSecondFactor) {
  ApiClient bea = harness().LoginWithTotp("bea");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(bea.Post("/api/stepup/totp", json::object{{"code", "000000"}}).status, 401);
  // Even the right code is refused now: the throttle, not the code, decides.
  EXPECT_EQ(harness().StepUpWithTotp(bea, "bea").status, 401);
  harness().clock().Advance(std::chrono::minutes(15));  // the failures leave the window
  EXPECT_EQ(harness().StepUpWithTotp(bea, "bea").status, 200);
}

}  // namespace
}  // namespace safedesk::testing
