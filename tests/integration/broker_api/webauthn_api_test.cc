// WebAuthn through the API: first-login registration, login, step-up and refusals, with
// a software authenticator (ES256, attestation "none") standing in for the browser.

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <memory>
#include <vector>

#include "common/crypto.h"
#include "common/encoding.h"
#include "tests/integration/broker_api/broker_api_harness.h"

namespace safedesk::testing {
namespace {

namespace json = boost::json;
using Bytes = std::vector<std::uint8_t>;

constexpr std::uint8_t kUserPresentVerified = 0x05;  // authData flags UP | UV

void Append(Bytes& out, const Bytes& more) { out.insert(out.end(), more.begin(), more.end()); }
Bytes Text(std::string_view text) { return Bytes(text.begin(), text.end()); }

// CBOR heads for the few items a "none" attestation object needs (RFC 8949 §3).
Bytes CborHead(std::uint8_t major, std::size_t length) {
  if (length < 24) return {static_cast<std::uint8_t>(major << 5 | length)};
  if (length < 256) return {static_cast<std::uint8_t>(major << 5 | 24), static_cast<std::uint8_t>(length)};
  return {static_cast<std::uint8_t>(major << 5 | 25), static_cast<std::uint8_t>(length >> 8),
          static_cast<std::uint8_t>(length)};
}
Bytes CborText(std::string_view text) {
  Bytes out = CborHead(3, text.size());
  Append(out, Text(text));
  return out;
}
Bytes CborBytes(const Bytes& bytes) {
  Bytes out = CborHead(2, bytes.size());
  Append(out, bytes);
  return out;
}

class SoftAuthenticator {
 public:
  SoftAuthenticator() : key_(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), EVP_PKEY_free) {}

  const Bytes& id() const { return id_; }

  // {"ceremonyId","credential"} for navigator.credentials.create's options.
  json::object Register(const ApiResponse& begun) const {
    const std::string client_data = ClientData("webauthn.create", begun);
    Bytes object = {0xa3};  // map(3): fmt, attStmt, authData
    Append(object, CborText("fmt"));
    Append(object, CborText("none"));
    Append(object, CborText("attStmt"));
    object.push_back(0xa0);  // empty map
    Append(object, CborText("authData"));
    Append(object, CborBytes(AuthData(0, true)));
    return {{"ceremonyId", begun.String("ceremonyId")},
            {"credential", Credential({{"clientDataJSON", Base64UrlEncode(AsBytes(client_data))},
                                       {"attestationObject", Base64UrlEncode(object)}})}};
  }

  // {"ceremonyId","credential"} for navigator.credentials.get's options.
  json::object Assert(const ApiResponse& begun, std::uint32_t count) const {
    const std::string client_data = ClientData("webauthn.get", begun);
    const Bytes auth_data = AuthData(count, false);
    Bytes signed_part = auth_data;
    const Sha256Digest hash = Sha256(AsBytes(client_data));
    signed_part.insert(signed_part.end(), hash.begin(), hash.end());
    return {{"ceremonyId", begun.String("ceremonyId")},
            {"credential", Credential({{"clientDataJSON", Base64UrlEncode(AsBytes(client_data))},
                                       {"authenticatorData", Base64UrlEncode(auth_data)},
                                       {"signature", Base64UrlEncode(Sign(signed_part))}})}};
  }

 private:
  static std::string ClientData(std::string_view type, const ApiResponse& begun) {
    const std::string challenge(begun.json.at("publicKey").at("challenge").as_string());
    return json::serialize(json::object{
        {"type", type}, {"challenge", challenge}, {"origin", kTestOrigin}, {"crossOrigin", false}});
  }
  json::object Credential(json::object response) const {
    const std::string id = Base64UrlEncode(id_);
    return {{"id", id}, {"rawId", id}, {"type", "public-key"}, {"response", std::move(response)}};
  }
  Bytes CoseKey() const {
    Bytes point(65);
    std::size_t length = 0;
    EVP_PKEY_get_octet_string_param(key_.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size(), &length);
    Bytes out = {0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01};  // kty EC2, alg ES256, crv P-256
    out.push_back(0x21);
    Append(out, CborBytes(Bytes(point.begin() + 1, point.begin() + 33)));
    out.push_back(0x22);
    Append(out, CborBytes(Bytes(point.begin() + 33, point.end())));
    return out;
  }
  Bytes AuthData(std::uint32_t count, bool attested) const {
    const Sha256Digest rp = Sha256(AsBytes("localhost"));
    Bytes out(rp.begin(), rp.end());
    out.push_back(kUserPresentVerified | (attested ? 0x40 : 0));
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(count >> shift));
    if (!attested) return out;
    out.insert(out.end(), 16, 0);  // AAGUID
    out.push_back(0);
    out.push_back(static_cast<std::uint8_t>(id_.size()));
    Append(out, id_);
    Append(out, CoseKey());
    return out;
  }
  Bytes Sign(const Bytes& message) const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get());
    std::size_t length = 0;
    EVP_DigestSign(ctx.get(), nullptr, &length, message.data(), message.size());
    Bytes signature(length);
    EVP_DigestSign(ctx.get(), signature.data(), &length, message.data(), message.size());
    signature.resize(length);
    return signature;
  }

  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key_;
  Bytes id_ = Bytes{0x0b, 0x5e, 0x77, 0x21, 0x9c, 0x40, 0x13, 0xa8, 0x6d, 0x02, 0xee, 0x51, 0x37, 0x88, 0xc4, 0x19};
};

class WebAuthnApiTest : public BrokerApiTest {
 protected:
  void SetUp() override {
    BrokerApiTest::SetUp();
    harness().CreateUser("carl", {"researcher"});
  }
  ApiResponse Password(ApiClient& client) {
    return client.Post("/api/login/password",
                       json::object{{"username", "carl"}, {"password", DefaultPassword("carl")}});
  }
  // First login with a security key; leaves `client` logged in.
  void EnrollKey(ApiClient& client) {
    ASSERT_EQ(Password(client).String("next"), "enroll");
    const ApiResponse begun = client.Post("/api/enroll/webauthn/begin");
    ASSERT_EQ(begun.status, 200) << begun.body;
    json::object body = key_.Register(begun);
    body["label"] = "blue key";
    const ApiResponse done = client.Post("/api/enroll/webauthn/finish", body);
    ASSERT_EQ(done.status, 200) << done.body;
  }
  ApiResponse LoginWithKey(ApiClient& client, std::uint32_t count) {
    const ApiResponse step = Password(client);
    EXPECT_EQ(step.String("next"), "webauthn");
    const ApiResponse begun = client.Post("/api/login/webauthn/begin");
    EXPECT_EQ(begun.status, 200) << begun.body;
    return client.Post("/api/login/webauthn/finish", key_.Assert(begun, count));
  }

  SoftAuthenticator key_;
};

TEST_F(WebAuthnApiTest, FirstLoginRegistersAKeyThatThenLogsIn) {
  ApiClient first = harness().NewClient();
  EnrollKey(first);
  EXPECT_TRUE(first.Cookie("__Host-safedesk").has_value());
  EXPECT_EQ(harness().AuditOfType("factor.enrolled").size(), 1u);
  ApiClient later = harness().NewClient();
  const ApiResponse done = LoginWithKey(later, 1);
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_EQ(done.String("user"), "carl");
  const auto successes = harness().AuditOfType("login.success");
  ASSERT_EQ(successes.size(), 2u);
  EXPECT_EQ(std::get<std::string>(*successes.back().Find("factors")), "password+webauthn");
  const ApiResponse me = later.Get("/api/me");
  const json::array& factors = me.json.at("factors").as_array();
  ASSERT_EQ(factors.size(), 1u);
  EXPECT_EQ(factors[0].at("label"), "blue key");
}

TEST_F(WebAuthnApiTest, LoginBeginAsksForTheUsersCredentialWithUserVerification) {
  ApiClient client = harness().NewClient();
  EnrollKey(client);
  ApiClient later = harness().NewClient();
  ASSERT_EQ(Password(later).status, 200);
  const ApiResponse begun = later.Post("/api/login/webauthn/begin");
  ASSERT_EQ(begun.status, 200);
  const json::value& options = begun.json.at("publicKey");
  EXPECT_EQ(options.at("userVerification"), "required");
  EXPECT_EQ(options.at("allowCredentials").as_array()[0].at("id").as_string(), Base64UrlEncode(key_.id()));
}

TEST_F(WebAuthnApiTest, TamperedSignatureIsRefused) {
  ApiClient client = harness().NewClient();
  EnrollKey(client);
  ApiClient later = harness().NewClient();
  ASSERT_EQ(Password(later).status, 200);
  const ApiResponse begun = later.Post("/api/login/webauthn/begin");
  json::object body = key_.Assert(begun, 1);
  json::object& response = body["credential"].as_object()["response"].as_object();
  auto client_data = *Base64UrlDecode(std::string(response["clientDataJSON"].as_string()));
  client_data.push_back(' ');  // still valid JSON, but the signature covered the exact bytes
  response["clientDataJSON"] = Base64UrlEncode(client_data);
  const ApiResponse refused = later.Post("/api/login/webauthn/finish", body);
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(refused.Error(), "unauthenticated");
  EXPECT_FALSE(later.Cookie("__Host-safedesk").has_value());
  EXPECT_EQ(harness().AuditOfType("factor.rejected").size(), 1u);
  EXPECT_EQ(harness().AuditOfType("login.failure").size(), 1u);
}

TEST_F(WebAuthnApiTest, CounterThatDoesNotGrowIsRefused) {
  ApiClient client = harness().NewClient();
  EnrollKey(client);
  ApiClient first = harness().NewClient();
  ASSERT_EQ(LoginWithKey(first, 7).status, 200);
  ApiClient clone = harness().NewClient();
  EXPECT_EQ(LoginWithKey(clone, 7).status, 401);
}

TEST_F(WebAuthnApiTest, StepUpWithTheKey) {
  ApiClient client = harness().NewClient();
  EnrollKey(client);
  harness().clock().Advance(std::chrono::minutes(6));
  const ApiResponse begun = client.Post("/api/stepup/webauthn/begin");
  ASSERT_EQ(begun.status, 200) << begun.body;
  const ApiResponse stepped = client.Post("/api/stepup/webauthn/finish", key_.Assert(begun, 3));
  ASSERT_EQ(stepped.status, 200) << stepped.body;
  EXPECT_EQ(stepped.json.at("stepUpUntil").as_int64(), UnixSeconds(harness().clock().Now()) + 5 * 60);
}

TEST_F(WebAuthnApiTest, FinishWithoutBeginIsRefused) {
  ApiClient client = harness().NewClient();
  ASSERT_EQ(Password(client).status, 200);
  const ApiResponse refused = client.Post(
      "/api/enroll/webauthn/finish",
      json::object{{"ceremonyId", "AAAAAAAAAAAAAAAAAAAAAA"},
                   {"credential", {{"rawId", "AAAA"}, {"type", "public-key"}, {"response", json::object{}}}}});
  EXPECT_EQ(refused.status, 401);
  EXPECT_FALSE(client.Cookie("__Host-safedesk").has_value());
}

}  // namespace
}  // namespace safedesk::testing
