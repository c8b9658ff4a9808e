// What the begin calls hand the browser, and the options they refuse to run with.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "auth/webauthn.h"
#include "auth/webauthn_limits.h"
#include "common/audit_event.h"
#include "common/clock.h"
#include "common/encoding.h"
#include "common/random.h"

namespace safedesk::auth {
namespace {

namespace json = boost::json;

WebAuthnOptions Options() {
  return {.rp_id = "gw.example", .rp_name = "Gateway", .allowed_origins = {"https://gw.example"}};
}

class WebAuthnBeginTest : public ::testing::Test {
 protected:
  std::unique_ptr<WebAuthn> Make(WebAuthnOptions options = Options()) {
    return std::move(WebAuthn::Create(std::move(options), clock_, random_, audit_).value());
  }
  static StoredCredential Credential(std::uint8_t id) {
    StoredCredential credential;
    credential.credential_id = {id, id, id};
    credential.alg = -7;
    return credential;
  }

  ManualClock clock_;
  SeededRandom random_{3};
  MemoryAuditSink audit_;
  std::vector<std::uint8_t> handle_ = std::vector<std::uint8_t>(32, 0x42);
};

TEST_F(WebAuthnBeginTest, RegistrationOptionsRequireUvAndOfferThreeAlgorithms) {
  auto rp = Make();
  const std::vector<StoredCredential> existing = {Credential(9)};
  Result<CeremonyStart> start = rp->BeginRegistration("alice", "Alice A.", handle_, existing);
  ASSERT_TRUE(start.ok());
  const json::object o = json::parse(start->options_json).as_object();
  EXPECT_EQ(o.at("rp").at("id").as_string(), "gw.example");
  EXPECT_EQ(o.at("user").at("id").as_string(), Base64UrlEncode(handle_));
  EXPECT_EQ(o.at("user").at("displayName").as_string(), "Alice A.");
  EXPECT_EQ(Base64UrlDecode(o.at("challenge").as_string())->size(), 32u);
  EXPECT_EQ(o.at("authenticatorSelection").at("userVerification").as_string(), "required");
  EXPECT_EQ(o.at("attestation").as_string(), "none");
  std::vector<std::int64_t> algs;
  for (const auto& p : o.at("pubKeyCredParams").as_array()) algs.push_back(p.at("alg").as_int64());
  EXPECT_EQ(algs, (std::vector<std::int64_t>{-7, -8, -257}));
  EXPECT_EQ(o.at("excludeCredentials").at(0).at("id").as_string(), Base64UrlEncode(existing[0].credential_id));
  EXPECT_EQ(rp->challenge_store().pending(), 1u);
}

TEST_F(WebAuthnBeginTest, DirectAttestationIsAskedWhenConfigured) {
  WebAuthnOptions options = Options();
  options.attestation = AttestationConveyance::kDirect;
  auto rp = Make(options);
  const json::object o = json::parse(rp->BeginRegistration("alice", "", handle_, {})->options_json).as_object();
  EXPECT_EQ(o.at("attestation").as_string(), "direct");
  EXPECT_EQ(o.at("user").at("displayName").as_string(), "alice");
}

TEST_F(WebAuthnBeginTest, ChallengesDifferPerCeremony) {
  auto rp = Make();
  const auto a = json::parse(rp->BeginRegistration("alice", "", handle_, {})->options_json);
  const auto b = json::parse(rp->BeginRegistration("alice", "", handle_, {})->options_json);
  EXPECT_NE(a.at("challenge"), b.at("challenge"));
}

TEST_F(WebAuthnBeginTest, AssertionOptionsListTheUsersCredentials) {
  auto rp = Make();
  const std::vector<StoredCredential> creds = {Credential(1), Credential(2)};
  const json::object o = json::parse(rp->BeginAssertion("alice", creds)->options_json).as_object();
  EXPECT_EQ(o.at("rpId").as_string(), "gw.example");
  EXPECT_EQ(o.at("userVerification").as_string(), "required");
  EXPECT_EQ(o.at("allowCredentials").as_array().size(), 2u);
}

TEST_F(WebAuthnBeginTest, UvIsRelaxedOnlyWhenOptionsAndPolicyBothAllow) {
  const std::vector<StoredCredential> creds = {Credential(1)};
  auto strict = Make();
  EXPECT_EQ(json::parse(strict->BeginAssertion("alice", creds, UserVerification::kPreferred)->options_json)
                .at("userVerification").as_string(), "required");
  WebAuthnOptions options = Options();
  options.require_user_verification = false;
  auto relaxed = Make(options);
  EXPECT_EQ(json::parse(relaxed->BeginAssertion("alice", creds)->options_json).at("userVerification").as_string(),
            "required");
  EXPECT_EQ(json::parse(relaxed->BeginAssertion("alice", creds, UserVerification::kPreferred)->options_json)
                .at("userVerification").as_string(), "preferred");
}

TEST_F(WebAuthnBeginTest, RefusesBadInputs) {
  auto rp = Make();
  EXPECT_FALSE(rp->BeginRegistration("", "", handle_, {}).ok());
  EXPECT_FALSE(rp->BeginRegistration(std::string(kMaxUserNameBytes + 1, 'a'), "", handle_, {}).ok());
  EXPECT_FALSE(rp->BeginRegistration("alice", "", {}, {}).ok());
  EXPECT_FALSE(rp->BeginRegistration("alice", "", std::vector<std::uint8_t>(kMaxUserHandleBytes + 1, 1), {}).ok());
  const std::vector<StoredCredential> many(kMaxCredentialsPerUser, Credential(1));
  EXPECT_EQ(rp->BeginRegistration("alice", "", handle_, many).error().code, Errc::kLimitExceeded);
  EXPECT_EQ(rp->BeginAssertion("alice", {}).error().code, Errc::kNotFound);
  const std::vector<StoredCredential> too_many(kMaxCredentialsPerUser + 1, Credential(1));
  EXPECT_EQ(rp->BeginAssertion("alice", too_many).error().code, Errc::kLimitExceeded);
}

TEST_F(WebAuthnBeginTest, FullChallengeStoreFailsClosed) {
  WebAuthnOptions options = Options();
  options.max_pending_ceremonies = 2;
  auto rp = Make(options);
  const std::vector<StoredCredential> creds = {Credential(1)};
  ASSERT_TRUE(rp->BeginAssertion("alice", creds).ok());
  ASSERT_TRUE(rp->BeginAssertion("alice", creds).ok());
  EXPECT_EQ(rp->BeginAssertion("alice", creds).error().code, Errc::kLimitExceeded);
}

TEST(WebAuthnOptionsTest, Validation) {
  EXPECT_TRUE(ValidateWebAuthnOptions(Options()).ok());
  auto with = [](auto change) {
    WebAuthnOptions o = Options();
    change(o);
    return ValidateWebAuthnOptions(o).ok();
  };
  EXPECT_FALSE(with([](WebAuthnOptions& o) { o.rp_id.clear(); }));
  EXPECT_FALSE(with([](WebAuthnOptions& o) { o.allowed_origins.clear(); }));
  EXPECT_FALSE(with([](WebAuthnOptions& o) { o.allowed_origins = {"https://gw.example/"}; }));
  EXPECT_FALSE(with([](WebAuthnOptions& o) { o.challenge_ttl = std::chrono::seconds(0); }));
  EXPECT_FALSE(with([](WebAuthnOptions& o) { o.challenge_ttl = std::chrono::seconds(601); }));
  EXPECT_FALSE(with([](WebAuthnOptions& o) { o.max_pending_ceremonies = 0; }));
}

}  // namespace
}  // namespace safedesk::auth
