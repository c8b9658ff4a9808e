// Replays registrations and assertions captured from Chromium's virtual authenticator
// (fixtures/webauthn/, see its README) through WebAuthn, and checks that each way of
// tampering with them is refused with its own audited reason.

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "auth/webauthn.h"
#include "auth/webauthn_limits.h"
#include "common/audit_event.h"
#include "common/clock.h"
#include "common/encoding.h"
#include "common/random.h"
#include "tests/testing/test_support.h"

namespace safedesk::auth {
namespace {

namespace json = boost::json;
using std::chrono::seconds;

json::object LoadFixture(const std::string& name) {
  std::ifstream in(testing::SourceDir() / "tests/unit/auth/fixtures/webauthn" / name);
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str()).as_object();
}

std::vector<std::uint8_t> FromB64u(std::string_view text) { return Base64UrlDecode(text).value(); }

// The response members of a ceremony's posted body.
json::object& ResponseOf(json::object& ceremony) {
  return ceremony["body"].as_object()["credential"].as_object()["response"].as_object();
}
std::string ClientDataOf(json::object& ceremony) {
  return std::string(AsText(FromB64u(ResponseOf(ceremony)["clientDataJSON"].as_string())));
}
void SetClientData(json::object& ceremony, std::string_view client_data) {
  ResponseOf(ceremony)["clientDataJSON"] = Base64UrlEncode(AsBytes(client_data));
}

class WebAuthnFixtureTest : public ::testing::Test {
 protected:
  void SetUp() override { fixture_ = LoadFixture("es256_none.json"); }

  std::unique_ptr<WebAuthn> MakeRp(std::string rp_id = "localhost", std::string origin = "") {
    WebAuthnOptions options{.rp_id = std::move(rp_id),
                            .rp_name = "test",
                            .allowed_origins = {origin.empty() ? std::string(fixture_["origin"].as_string()) : origin},
                            .challenge_ttl = seconds(120)};
    return std::move(WebAuthn::Create(std::move(options), clock_, random_, audit_).value());
  }

  // A ceremony in the store with the challenge the browser answered.
  std::string Seed(WebAuthn& rp, const json::object& ceremony, CeremonyKind kind, bool require_uv = true,
                   std::string user = "alice") {
    Ceremony c{std::move(user), kind, FromB64u(ceremony.at("challenge").as_string()), {}, require_uv};
    if (const auto* handle = ceremony.if_contains("userHandle")) c.user_handle = FromB64u(handle->as_string());
    return rp.challenge_store().Put(std::move(c)).value();
  }
  static std::string Body(json::object ceremony, const std::string& ceremony_id) {
    json::object body = ceremony["body"].as_object();
    body["ceremonyId"] = ceremony_id;
    return json::serialize(body);
  }

  Result<StoredCredential> Register(WebAuthn& rp, const json::object& registration) {
    return rp.FinishRegistrationJson("alice", Body(registration, Seed(rp, registration, CeremonyKind::kRegistration)),
                                     {});
  }
  StoredCredential RegisterOk(WebAuthn& rp, const char* key = "registration") {
    Result<StoredCredential> credential = Register(rp, fixture_[key].as_object());
    EXPECT_TRUE(credential.ok()) << LastReason();
    return credential.ok() ? *credential : StoredCredential{};
  }
  Result<AssertionSuccess> Login(WebAuthn& rp, const json::object& login, const std::vector<StoredCredential>& creds,
                                 bool require_uv = true) {
    return rp.FinishAssertionJson("alice", Body(login, Seed(rp, login, CeremonyKind::kAssertion, require_uv)), creds);
  }
  json::object Step(const char* key) { return fixture_[key].as_object(); }

  std::string LastReason() const {
    const auto events = audit_.events();
    if (events.empty() || events.back().type != "factor.rejected") return "(none)";
    return std::get<std::string>(*events.back().Find("reason"));
  }

  json::object fixture_;
  ManualClock clock_;
  SeededRandom random_{42};
  MemoryAuditSink audit_;
};

TEST_F(WebAuthnFixtureTest, RegistersChromeEs256Credential) {
  auto rp = MakeRp();
  const StoredCredential credential = RegisterOk(*rp);
  EXPECT_EQ(credential.alg, -7);
  EXPECT_EQ(Base64UrlEncode(credential.credential_id),
            fixture_["registration"].at("body").at("credential").at("rawId").as_string());
  EXPECT_EQ(Base64UrlEncode(credential.user_handle), fixture_["registration"].at("userHandle").as_string());
  EXPECT_EQ(credential.created, clock_.Now());
  EXPECT_EQ(audit_.CountOfType("factor.enrolled"), 1u);
}

TEST_F(WebAuthnFixtureTest, LogsInTwiceWithAGrowingCounter) {
  auto rp = MakeRp();
  std::vector<StoredCredential> creds{RegisterOk(*rp)};
  Result<AssertionSuccess> first = Login(*rp, Step("login1"), creds);
  ASSERT_TRUE(first.ok()) << LastReason();
  EXPECT_TRUE(first->user_verified);
  EXPECT_GT(first->sign_count, creds[0].sign_count);
  creds[0].sign_count = first->sign_count;
  Result<AssertionSuccess> second = Login(*rp, Step("login2"), creds);
  ASSERT_TRUE(second.ok()) << LastReason();
  EXPECT_GT(second->sign_count, first->sign_count);
  EXPECT_EQ(audit_.CountOfType("factor.rejected"), 0u);
}

TEST_F(WebAuthnFixtureTest, WrongChallengeIsRefused) {
  auto rp = MakeRp();
  std::vector<StoredCredential> creds{RegisterOk(*rp)};
  json::object login = Step("login1");
  login["challenge"] = Step("login2")["challenge"];  // the server issued another one
  EXPECT_FALSE(Login(*rp, login, creds).ok());
  EXPECT_EQ(LastReason(), "wrong_challenge");
}

TEST_F(WebAuthnFixtureTest, ReusedCeremonyIsRefusedEvenAfterSuccess) {
  auto rp = MakeRp();
  std::vector<StoredCredential> creds{RegisterOk(*rp)};
  const json::object login = Step("login1");
  const std::string body = Body(login, Seed(*rp, login, CeremonyKind::kAssertion));
  ASSERT_TRUE(rp->FinishAssertionJson("alice", body, creds).ok());
  EXPECT_FALSE(rp->FinishAssertionJson("alice", body, creds).ok());
  EXPECT_EQ(LastReason(), "challenge_reused");
}

TEST_F(WebAuthnFixtureTest, CeremonyIsSpentByAFailedAttempt) {
  auto rp = MakeRp();
  std::vector<StoredCredential> creds{RegisterOk(*rp)};
  json::object login = Step("login1");
  const std::string id = Seed(*rp, login, CeremonyKind::kAssertion);
  std::vector<StoredCredential> none;
  EXPECT_FALSE(rp->FinishAssertionJson("alice", Body(login, id), none).ok());
  EXPECT_FALSE(rp->FinishAssertionJson("alice", Body(login, id), creds).ok());
  EXPECT_EQ(LastReason(), "challenge_reused");
}

TEST_F(WebAuthnFixtureTest, ExpiredChallengeIsRefused) {
  auto rp = MakeRp();
  std::vector<StoredCredential> creds{RegisterOk(*rp)};
  const json::object login = Step("login1");
  const std::string id = Seed(*rp, login, CeremonyKind::kAssertion);
  clock_.Advance(seconds(121));
  EXPECT_FALSE(rp->FinishAssertionJson("alice", Body(login, id), creds).ok());
  EXPECT_EQ(LastReason(), "challenge_expired");
}

TEST_F(WebAuthnFixtureTest, UnknownCeremonyIsRefused) {
  auto rp = MakeRp();
  std::vector<StoredCredential> creds{RegisterOk(*rp)};
  EXPECT_FALSE(rp->FinishAssertionJson("alice", Body(Step("login1"), "AAAAAAAAAAAAAAAAAAAAAA"), creds).ok());
  EXPECT_EQ(LastReason(), "challenge_unknown");
}

TEST_F(WebAuthnFixtureTest, AnotherUsersCeremonyIsRefused) {
  auto rp = MakeRp();
  std::vector<StoredCredential> creds{RegisterOk(*rp)};
  const json::object login = Step("login1");
  const std::string id = Seed(*rp, login, CeremonyKind::kAssertion, true, "mallory");
  EXPECT_FALSE(rp->FinishAssertionJson("alice", Body(login, id), creds).ok());
  EXPECT_EQ(LastReason(), "ceremony_mismatch");
}

TEST_F(WebAuthnFixtureTest, RegistrationCeremonyCannotFinishALogin) {
  auto rp = MakeRp();
  std::vector<StoredCredential> creds{RegisterOk(*rp)};
  const json::object login = Step("login1");
  EXPECT_FALSE(rp->FinishAssertionJson("alice", Body(login, Seed(*rp, login, CeremonyKind::kRegistration)), creds).ok());
  EXPECT_EQ(LastReason(), "ceremony_mismatch");
}

TEST_F(WebAuthnFixtureTest, WrongOriginIsRefused) {
  auto rp = MakeRp();
  std::vector<StoredCredential> creds{RegisterOk(*rp)};
  auto other = MakeRp("localhost", "https://gateway.example.org");
  EXPECT_FALSE(Login(*other, Step("login1"), creds).ok());
  EXPECT_EQ(LastReason(), "wrong_origin");
}

TEST_F(WebAuthnFixtureTest, WrongRpIdIsRefusedAtRegistration) {
  auto rp = MakeRp("example.org");
  EXPECT_FALSE(Register(*rp, Step("registration")).ok());
  EXPECT_EQ(LastReason(), "wrong_rp_id");
}

TEST_F(WebAuthnFixtureTest, WrongRpIdIsRefusedAtLogin) {
  auto rp = MakeRp();
  std::vector<StoredCredential> creds{RegisterOk(*rp)};
  auto other = MakeRp("example.org");
  EXPECT_FALSE(Login(*other, Step("login1"), creds).ok());
  EXPECT_EQ(LastReason(), "wrong_rp_id");
}

TEST_F(WebAuthnFixtureTest, WrongTypeIsNamedBeforeTheSignatureFails) {
  auto rp = MakeRp();
  std::vector<StoredCredential> creds{RegisterOk(*rp)};
  json::object login = Step("login1");
  std::string client_data = ClientDataOf(login);
  client_data.replace(client_data.find("webauthn.get"), 12, "webauthn.create");
  SetClientData(login, client_data);
  EXPECT_FALSE(Login(*rp, login, creds).ok());
  EXPECT_EQ(LastReason(), "wrong_type");
}

TEST_F(WebAuthnFixtureTest, CreateResponseCannotRegisterAsLogin) {
  auto rp = MakeRp();
  json::object registration = Step("registration");
  std::string client_data = ClientDataOf(registration);
  client_data.replace(client_data.find("webauthn.create"), 15, "webauthn.get");
  SetClientData(registration, client_data);
  EXPECT_FALSE(Register(*rp, registration).ok());
  EXPECT_EQ(LastReason(), "wrong_type");
}

TEST_F(WebAuthnFixtureTest, CrossOriginIsRefused) {
  auto rp = MakeRp();
  std::vector<StoredCredential> creds{RegisterOk(*rp)};
  json::object login = Step("login1");
  std::string client_data = ClientDataOf(login);
  const auto at = client_data.find("\"crossOrigin\":false");
  ASSERT_NE(at, std::string::npos) << client_data;
  client_data.replace(at, 19, "\"crossOrigin\":true");
  SetClientData(login, client_data);
  EXPECT_FALSE(Login(*rp, login, creds).ok());
  EXPECT_EQ(LastReason(), "cross_origin");
}

TEST_F(WebAuthnFixtureTest, ChangedAuthDataByteBreaksTheSignature) {
  auto rp = MakeRp();
  std::vector<StoredCredential> creds{RegisterOk(*rp)};
  json::object login = Step("login1");
  std::vector<std::uint8_t> auth_data = FromB64u(ResponseOf(login)["authenticatorData"].as_string());
  auth_data[36] ^= 0x40;  // the counter's low byte: still parses, still a larger count
  ResponseOf(login)["authenticatorData"] = Base64UrlEncode(auth_data);
  EXPECT_FALSE(Login(*rp, login, creds).ok());
  EXPECT_EQ(LastReason(), "bad_signature");
}

TEST_F(WebAuthnFixtureTest, ReserialisedClientDataBreaksTheSignature) {
  auto rp = MakeRp();
  std::vector<StoredCredential> creds{RegisterOk(*rp)};
  json::object login = Step("login1");
  const std::string original = ClientDataOf(login);
  // Same members, reversed order: the meaning is unchanged, the bytes are not.
  json::object parsed = json::parse(original).as_object();
  json::object reordered;
  for (auto it = parsed.end(); it != parsed.begin();) {
    --it;
    reordered[it->key()] = it->value();
  }
  const std::string reserialised = json::serialize(reordered);
  ASSERT_NE(reserialised, original);
  SetClientData(login, reserialised);
  EXPECT_FALSE(Login(*rp, login, creds).ok());
  EXPECT_EQ(LastReason(), "bad_signature");
}

TEST_F(WebAuthnFixtureTest, ReplayedAssertionIsRefusedByTheCounter) {
  auto rp = MakeRp();
  std::vector<StoredCredential> creds{RegisterOk(*rp)};
  Result<AssertionSuccess> first = Login(*rp, Step("login1"), creds);
  ASSERT_TRUE(first.ok()) << LastReason();
  creds[0].sign_count = first->sign_count;
  // Even a ceremony reissued with the very same challenge does not let it through twice.
  EXPECT_FALSE(Login(*rp, Step("login1"), creds).ok());
  EXPECT_EQ(LastReason(), "counter_regressed");
}

TEST_F(WebAuthnFixtureTest, CounterGoingBackwardsIsRefused) {
  auto rp = MakeRp();
  std::vector<StoredCredential> creds{RegisterOk(*rp)};
  creds[0].sign_count = 1000;
  EXPECT_FALSE(Login(*rp, Step("login1"), creds).ok());
  EXPECT_EQ(LastReason(), "counter_regressed");
}

TEST_F(WebAuthnFixtureTest, MissingUserVerificationIsRefused) {
  auto rp = MakeRp();
  std::vector<StoredCredential> creds{RegisterOk(*rp)};
  EXPECT_FALSE(Login(*rp, Step("loginNoUv"), creds).ok());
  EXPECT_EQ(LastReason(), "user_not_verified");
}

TEST_F(WebAuthnFixtureTest, MissingUserVerificationPassesOnlyWhenRelaxed) {
  auto rp = MakeRp();
  std::vector<StoredCredential> creds{RegisterOk(*rp)};
  Result<AssertionSuccess> success = Login(*rp, Step("loginNoUv"), creds, /*require_uv=*/false);
  ASSERT_TRUE(success.ok()) << LastReason();
  EXPECT_FALSE(success->user_verified);
}

TEST_F(WebAuthnFixtureTest, MissingUserPresenceFromTheBrowserIsRefused) {
  auto rp = MakeRp();
  std::vector<StoredCredential> creds{RegisterOk(*rp)};
  EXPECT_FALSE(Login(*rp, Step("loginNoUp"), creds).ok());
  EXPECT_EQ(LastReason(), "user_not_present");
}

TEST_F(WebAuthnFixtureTest, ClearedUpBitIsNamedBeforeTheSignatureFails) {
  auto rp = MakeRp();
  std::vector<StoredCredential> creds{RegisterOk(*rp)};
  json::object login = Step("login1");
  std::vector<std::uint8_t> auth_data = FromB64u(ResponseOf(login)["authenticatorData"].as_string());
  auth_data[32] &= static_cast<std::uint8_t>(~0x01);
  ResponseOf(login)["authenticatorData"] = Base64UrlEncode(auth_data);
  EXPECT_FALSE(Login(*rp, login, creds, /*require_uv=*/false).ok());
  EXPECT_EQ(LastReason(), "user_not_present");
}

TEST_F(WebAuthnFixtureTest, UnknownCredentialIsRefused) {
  auto rp = MakeRp();
  StoredCredential credential = RegisterOk(*rp);
  credential.credential_id[0] ^= 1;  // the user holds some other credential
  std::vector<StoredCredential> creds{credential};
  EXPECT_FALSE(Login(*rp, Step("login1"), creds).ok());
  EXPECT_EQ(LastReason(), "unknown_credential");
}

TEST_F(WebAuthnFixtureTest, UserHandleOfAnotherUserIsRefused) {
  auto rp = MakeRp();
  std::vector<StoredCredential> creds{RegisterOk(*rp)};
  json::object login = Step("login1");
  json::object& response = ResponseOf(login);
  ASSERT_TRUE(response["userHandle"].is_string());
  response["userHandle"] = "b3RoZXI";
  EXPECT_FALSE(Login(*rp, login, creds).ok());
  EXPECT_EQ(LastReason(), "user_handle_mismatch");
}

TEST_F(WebAuthnFixtureTest, RegistrationWithoutUserVerificationIsRefused) {
  fixture_ = LoadFixture("registration_no_uv.json");
  auto rp = MakeRp();
  EXPECT_FALSE(Register(*rp, Step("registration")).ok());
  EXPECT_EQ(LastReason(), "user_not_verified");
}

TEST_F(WebAuthnFixtureTest, SameCredentialCannotBeRegisteredTwice) {
  auto rp = MakeRp();
  std::vector<StoredCredential> creds{RegisterOk(*rp)};
  const json::object registration = Step("registration");
  const std::string id = Seed(*rp, registration, CeremonyKind::kRegistration);
  EXPECT_FALSE(rp->FinishRegistrationJson("alice", Body(registration, id), creds).ok());
  EXPECT_EQ(LastReason(), "credential_exists");
}

TEST_F(WebAuthnFixtureTest, RawIdMustMatchTheAttestedCredential) {
  auto rp = MakeRp();
  json::object registration = Step("registration");
  json::object& credential = registration["body"].as_object()["credential"].as_object();
  credential["rawId"] = "AAAA";
  credential["id"] = "AAAA";
  EXPECT_FALSE(Register(*rp, registration).ok());
  EXPECT_EQ(LastReason(), "credential_id_mismatch");
}

TEST_F(WebAuthnFixtureTest, MalformedBodyIsRefused) {
  auto rp = MakeRp();
  EXPECT_FALSE(rp->FinishAssertionJson("alice", "{\"ceremonyId\":", {}).ok());
  EXPECT_EQ(LastReason(), "malformed");
}

TEST_F(WebAuthnFixtureTest, ClientLearnsNothingOfTheReason) {
  auto rp = MakeRp();
  std::vector<StoredCredential> creds{RegisterOk(*rp)};
  Result<AssertionSuccess> no_uv = Login(*rp, Step("loginNoUv"), creds);
  Result<AssertionSuccess> unknown = rp->FinishAssertionJson("alice", Body(Step("login1"), "nope"), creds);
  ASSERT_FALSE(no_uv.ok());
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(no_uv.error().code, Errc::kUnauthenticated);
  EXPECT_EQ(no_uv.error().code, unknown.error().code);
  EXPECT_EQ(no_uv.error().message, unknown.error().message);
}

// Each base64url field of a finish body has its own cap (auth/webauthn_limits.h).
class WebAuthnOversizedFieldTest : public WebAuthnFixtureTest,
                                   public ::testing::WithParamInterface<std::pair<const char*, std::size_t>> {};

TEST_P(WebAuthnOversizedFieldTest, AssertionFieldOverItsCapIsTooLarge) {
  auto rp = MakeRp();
  std::vector<StoredCredential> creds{RegisterOk(*rp)};
  json::object login = Step("login1");
  const auto [field, cap] = GetParam();
  ResponseOf(login)[field] = Base64UrlEncode(std::vector<std::uint8_t>(cap + 1, 0x61));
  EXPECT_FALSE(Login(*rp, login, creds).ok());
  EXPECT_EQ(LastReason(), "too_large") << field;
}

INSTANTIATE_TEST_SUITE_P(Caps, WebAuthnOversizedFieldTest,
                         ::testing::Values(std::pair{"clientDataJSON", kMaxClientDataJsonBytes},
                                           std::pair{"authenticatorData", kMaxAssertionAuthDataBytes},
                                           std::pair{"signature", kMaxSignatureBytes},
                                           std::pair{"userHandle", kMaxUserHandleBytes}));

TEST_F(WebAuthnFixtureTest, OversizedCredentialIdIsTooLarge) {
  auto rp = MakeRp();
  std::vector<StoredCredential> creds{RegisterOk(*rp)};
  json::object login = Step("login1");
  const std::string id = Base64UrlEncode(std::vector<std::uint8_t>(kMaxCredentialIdBytes + 1, 1));
  login["body"].as_object()["credential"].as_object()["rawId"] = id;
  login["body"].as_object()["credential"].as_object()["id"] = id;
  EXPECT_FALSE(Login(*rp, login, creds).ok());
  EXPECT_EQ(LastReason(), "too_large");
}

TEST_F(WebAuthnFixtureTest, OversizedAttestationObjectIsTooLarge) {
  auto rp = MakeRp();
  json::object registration = Step("registration");
  ResponseOf(registration)["attestationObject"] =
      Base64UrlEncode(std::vector<std::uint8_t>(kMaxAttestationObjectBytes + 1, 0));
  EXPECT_FALSE(Register(*rp, registration).ok());
  EXPECT_EQ(LastReason(), "too_large");
}

TEST_F(WebAuthnFixtureTest, OversizedFinishBodyIsTooLarge) {
  auto rp = MakeRp();
  std::string body = Body(Step("login1"), "x");
  body.insert(1, std::string(kMaxFinishRequestBytes, ' '));
  EXPECT_FALSE(rp->FinishAssertionJson("alice", body, {}).ok());
  EXPECT_EQ(LastReason(), "too_large");
}

// Every fixture that the browser produced for an algorithm or attestation format.
class WebAuthnFormatFixtureTest : public WebAuthnFixtureTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(WebAuthnFormatFixtureTest, RegistersAndLogsIn) {
  fixture_ = LoadFixture(GetParam());
  auto rp = MakeRp();
  std::vector<StoredCredential> creds{RegisterOk(*rp)};
  if (!fixture_.contains("login1")) return;
  Result<AssertionSuccess> success = Login(*rp, Step("login1"), creds);
  EXPECT_TRUE(success.ok()) << LastReason();
}

INSTANTIATE_TEST_SUITE_P(Chrome, WebAuthnFormatFixtureTest,
                         ::testing::Values("es256_none.json", "es256_packed.json", "es256_packed_extension.json",
                                           "rs256_none.json", "eddsa_none.json"));

TEST_F(WebAuthnFixtureTest, PackedStatementFromChromeIsVerified) {
  fixture_ = LoadFixture("es256_packed.json");
  auto rp = MakeRp();
  json::object registration = Step("registration");
  std::vector<std::uint8_t> object = FromB64u(ResponseOf(registration)["attestationObject"].as_string());
  // attStmt's "sig": a text key (0x63 's' 'i' 'g'), a byte string header (0x58 len), then
  // a DER ECDSA signature; a byte inside r keeps the DER well-formed.
  const std::uint8_t key[] = {0x63, 's', 'i', 'g', 0x58};
  const auto at = std::search(object.begin(), object.end(), std::begin(key), std::end(key));
  ASSERT_NE(at, object.end());
  *(at + 6 + 10) ^= 0x01;
  ResponseOf(registration)["attestationObject"] = Base64UrlEncode(object);
  EXPECT_FALSE(Register(*rp, registration).ok());
  EXPECT_EQ(LastReason(), "bad_attestation");
}

}  // namespace
}  // namespace safedesk::auth
