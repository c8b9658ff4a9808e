// POST /api/login/password and /api/login/totp, the pending login between them, and the
// first-login TOTP enrollment (broker/API.md, "Login and factors").

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "broker/pending_login.h"
#include "broker/web_sessions.h"
#include "common/encoding.h"
#include "tests/integration/broker_api/broker_api_harness.h"

namespace safedesk::testing {
namespace {

namespace json = boost::json;

constexpr char kGeneric[] = R"({"error":"unauthenticated"})";

class LoginApiTest : public BrokerApiTest {
 protected:
  void SetUp() override {
    BrokerApiTest::SetUp();
    harness().CreateUser("alice", {"researcher"}, "Alice A.");
  }

  // Alice with TOTP enrolled, logged out again (a fresh client).
  void EnrollAlice() {
    ApiClient first = harness().NewClient();
    ASSERT_EQ(harness().LoginWithTotp(first, "alice", DefaultPassword("alice")).status, 200);
  }
  ApiResponse Password(ApiClient& client, const std::string& user, const std::string& password) {
    return client.Post("/api/login/password", json::object{{"username", user}, {"password", password}});
  }
  static bool HasSetCookie(const ApiResponse& r, std::string_view prefix, std::string_view part) {
    for (const std::string& c : r.set_cookies) {
      if (c.rfind(prefix, 0) == 0 && c.find(part) != std::string::npos) return true;
    }
    return false;
  }
  std::size_t FailuresWithReason(std::string_view reason) {
    std::size_t n = 0;
    for (const AuditRecord& r : harness().AuditOfType("login.failure")) {
      const auto* value = r.Find("reason");
      if (value != nullptr && std::get<std::string>(*value) == reason) ++n;
    }
    return n;
  }
};

TEST_F(LoginApiTest, PasswordAndTotpGiveAHardenedSessionCookieAndCsrfToken) {
  EnrollAlice();
  ApiClient client = harness().NewClient();
  const ApiResponse step = Password(client, "alice", DefaultPassword("alice"));
  ASSERT_EQ(step.status, 200) << step.body;
  EXPECT_EQ(step.String("next"), "totp");
  EXPECT_TRUE(HasSetCookie(step, "__Host-safedesk-login=", "; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=300"));
  const ApiResponse done = client.Post("/api/login/totp", json::object{{"code", harness().NextTotpCode("alice")}});
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_EQ(done.String("user"), "alice");
  EXPECT_EQ(done.json.at("roles"), (json::array{"researcher"}));
  EXPECT_GE(done.String("csrf").size(), 32u);
  EXPECT_TRUE(HasSetCookie(done, "__Host-safedesk=", "; Path=/; Secure; HttpOnly; SameSite=Strict"));
  EXPECT_TRUE(HasSetCookie(done, "__Host-safedesk-login=;", "Max-Age=0"));
  EXPECT_FALSE(client.Cookie("__Host-safedesk-login").has_value());
  EXPECT_EQ(client.Get("/api/me").status, 200);
  const auto successes = harness().AuditOfType("login.success");
  ASSERT_EQ(successes.size(), 2u);
  EXPECT_EQ(std::get<std::string>(*successes.back().Find("factors")), "password+totp");
}

TEST_F(LoginApiTest, WrongPasswordIsGeneric401AndAudited) {
  ApiClient client = harness().NewClient();
  const ApiResponse r = Password(client, "alice", "not her password");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, kGeneric);
  EXPECT_FALSE(client.Cookie("__Host-safedesk-login").has_value());
  EXPECT_EQ(FailuresWithReason("wrong_password"), 1u);
}

TEST_F(LoginApiTest, UnknownUserGetsTheSameAnswer) {
  ApiClient client = harness().NewClient();
  const ApiResponse wrong = Password(client, "alice", "not her password");
  const ApiResponse unknown = Password(client, "mallory", "whatever");
  EXPECT_EQ(unknown.status, wrong.status);
  EXPECT_EQ(unknown.body, wrong.body);
  EXPECT_EQ(unknown.set_cookies, wrong.set_cookies);
}

TEST_F(LoginApiTest, PamAccountWithoutBrokerUserIsRefusedAlike) {
  harness().AddPamAccount("oscar", "oscar's right password");
  ApiClient client = harness().NewClient();
  const ApiResponse r = Password(client, "oscar", "oscar's right password");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, kGeneric);
  EXPECT_EQ(FailuresWithReason("not_registered"), 1u);
}

TEST_F(LoginApiTest, LockedOutAfterThresholdFailures) {
  ApiClient client = harness().NewClient();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Password(client, "alice", "guess " + std::to_string(i)).status, 401);
  const ApiResponse r = Password(client, "alice", DefaultPassword("alice"));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, kGeneric);
  EXPECT_GE(FailuresWithReason("locked_out"), 1u);
  EXPECT_FALSE(harness().AuditOfType("login.lockout").empty());
}

TEST_F(LoginApiTest, TotpCodeCannotBeUsedTwice) {
  EnrollAlice();
  const std::string code = harness().NextTotpCode("alice");
  ApiClient first = harness().NewClient();
  ASSERT_EQ(Password(first, "alice", DefaultPassword("alice")).status, 200);
  ASSERT_EQ(first.Post("/api/login/totp", json::object{{"code", code}}).status, 200);
  ApiClient second = harness().NewClient();
  ASSERT_EQ(Password(second, "alice", DefaultPassword("alice")).status, 200);
  const ApiResponse replay = second.Post("/api/login/totp", json::object{{"code", code}});
  EXPECT_EQ(replay.status, 401);
  EXPECT_EQ(replay.body, kGeneric);
  EXPECT_EQ(FailuresWithReason("replay"), 1u);
}

TEST_F(LoginApiTest, WrongTotpCodeIsRefusedAndSpendsThePendingLogin) {
  EnrollAlice();
  ApiClient client = harness().NewClient();
  ASSERT_EQ(Password(client, "alice", DefaultPassword("alice")).status, 200);
  EXPECT_EQ(client.Post("/api/login/totp", json::object{{"code", "000000"}}).status, 401);
  // One guess per password: the right code now needs the password again.
  EXPECT_EQ(client.Post("/api/login/totp", json::object{{"code", harness().NextTotpCode("alice")}}).status, 401);
  EXPECT_EQ(FailuresWithReason("wrong_code"), 1u);
}

TEST_F(LoginApiTest, PendingLoginFromAnotherAddressIsRefused) {
  EnrollAlice();
  ApiClient client = harness().NewClient();
  ASSERT_EQ(Password(client, "alice", DefaultPassword("alice")).status, 200);
  ApiClient thief = harness().NewClient("127.0.0.2");
  thief.SetCookie("__Host-safedesk-login", *client.Cookie("__Host-safedesk-login"));
  const std::string code = harness().NextTotpCode("alice");
  const ApiResponse stolen = thief.Post("/api/login/totp", json::object{{"code", code}});
  EXPECT_EQ(stolen.status, 401);
  EXPECT_EQ(stolen.body, kGeneric);
  EXPECT_EQ(FailuresWithReason("pending_other_source"), 1u);
  // The rightful browser can still finish.
  EXPECT_EQ(client.Post("/api/login/totp", json::object{{"code", code}}).status, 200);
}

TEST_F(LoginApiTest, PendingLoginExpiresAfterFiveMinutes) {
  EnrollAlice();
  ApiClient client = harness().NewClient();
  ASSERT_EQ(Password(client, "alice", DefaultPassword("alice")).status, 200);
  harness().clock().Advance(std::chrono::minutes(5));
  const ApiResponse late = client.Post("/api/login/totp", json::object{{"code", harness().NextTotpCode("alice")}});
  EXPECT_EQ(late.status, 401);
  EXPECT_EQ(FailuresWithReason("pending_expired"), 1u);
}

TEST_F(LoginApiTest, SecondFactorWithoutPasswordStepIsRefused) {
  EnrollAlice();
  ApiClient client = harness().NewClient();
  const ApiResponse r = client.Post("/api/login/totp", json::object{{"code", harness().NextTotpCode("alice")}});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, kGeneric);
  ApiClient forged = harness().NewClient();
  forged.SetCookie("__Host-safedesk-login", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  EXPECT_EQ(forged.Post("/api/login/totp", json::object{{"code", "123456"}}).status, 401);
}

TEST_F(LoginApiTest, FirstLoginEnrollsTotpWithAValidFirstCode) {
  ApiClient client = harness().NewClient();
  const ApiResponse step = Password(client, "alice", DefaultPassword("alice"));
  ASSERT_EQ(step.status, 200);
  EXPECT_EQ(step.String("next"), "enroll");
  EXPECT_EQ(step.json.at("methods"), (json::array{"totp", "webauthn"}));
  const ApiResponse begun = client.Post("/api/enroll/totp/begin");
  ASSERT_EQ(begun.status, 200) << begun.body;
  const std::string secret = begun.String("secret");
  EXPECT_EQ(begun.String("otpauthUri").rfind("otpauth://totp/safedesk:alice?secret=" + secret, 0), 0u);
  EXPECT_EQ(begun.String("qrSvg").rfind("<svg xmlns=", 0), 0u);
  EXPECT_NE(begun.String("qrSvg").find("<path"), std::string::npos);
  const ApiResponse wrong = client.Post("/api/enroll/totp/finish", json::object{{"code", "000000"}});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(harness().AuditOfType("factor.rejected").size(), 1u);
  harness().SetTotpSecret("alice", Secret(*Base32Decode(secret)));
  const ApiResponse done =
      client.Post("/api/enroll/totp/finish", json::object{{"code", harness().NextTotpCode("alice")}, {"label", "phone"}});
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_FALSE(done.String("csrf").empty());
  EXPECT_TRUE(client.Cookie("__Host-safedesk").has_value());
  EXPECT_EQ(harness().AuditOfType("factor.enrolled").size(), 1u);
  // The seed never reaches the audit log or the broker's log.
  EXPECT_EQ(harness().AuditText().find(secret), std::string::npos);
  EXPECT_EQ(harness().LogText().find(secret), std::string::npos);
}

TEST_F(LoginApiTest, PendingLoginOfAUserWithAFactorCannotEnroll) {
  EnrollAlice();
  ApiClient client = harness().NewClient();
  ASSERT_EQ(Password(client, "alice", DefaultPassword("alice")).status, 200);
  EXPECT_EQ(client.Post("/api/enroll/totp/begin").status, 401);
  EXPECT_EQ(client.Post("/api/enroll/webauthn/begin").status, 401);
}

TEST_F(LoginApiTest, MalformedJsonIs400) {
  ApiClient client = harness().NewClient();
  const ApiResponse r = client.PostRaw("/api/login/password", "{\"username\": \"alice\", ");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Error(), "bad_request");
  EXPECT_EQ(client.PostRaw("/api/login/password", "[1,2]").status, 400);
  EXPECT_EQ(client.Post("/api/login/password", json::object{{"username", 7}}).status, 400);
}

TEST_F(LoginApiTest, OversizedBodyIs413AndTheServerCarriesOn) {
  ApiClient client = harness().NewClient();
  const ApiResponse r = client.PostDeclaringLength("/api/login/password", 2 << 20);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.Error(), "too_large");
  EXPECT_EQ(Password(client, "alice", DefaultPassword("alice")).status, 200);
}

}  // namespace
}  // namespace safedesk::testing
