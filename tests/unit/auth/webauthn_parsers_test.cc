// The WebAuthn parsers on their own: every named cap has its oversized case, and each
// malformed shape its reason.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "auth/webauthn_authdata.h"
#include "auth/webauthn_cbor.h"
#include "auth/webauthn_client_data.h"
#include "auth/webauthn_cose.h"
#include "auth/webauthn_limits.h"
#include "auth/webauthn_verify.h"
#include "common/encoding.h"

namespace safedesk::auth {
namespace {

using Bytes = std::vector<std::uint8_t>;

template <class T>
std::string ReasonOf(const Checked<T>& checked) {
  return checked.ok() ? "ok" : std::string(WebAuthnReasonName(checked.reason()));
}

// --- base64url fields ---------------------------------------------------------------

TEST(WebAuthnDecodeFieldTest, OversizedTextIsTooLargeBeforeDecoding) {
  const std::string text = Base64UrlEncode(Bytes(kMaxSignatureBytes + 1, 0x41));
  EXPECT_EQ(ReasonOf(DecodeField(text, kMaxSignatureBytes)), "too_large");
  EXPECT_EQ(ReasonOf(DecodeField(std::string(1 << 20, 'A'), kMaxSignatureBytes)), "too_large");
}

TEST(WebAuthnDecodeFieldTest, FieldAtItsCapIsAccepted) {
  EXPECT_EQ(ReasonOf(DecodeField(Base64UrlEncode(Bytes(kMaxSignatureBytes, 1)), kMaxSignatureBytes)), "ok");
}

TEST(WebAuthnDecodeFieldTest, NonBase64UrlIsMalformed) {
  EXPECT_EQ(ReasonOf(DecodeField("a+b/", kMaxSignatureBytes)), "malformed");
  EXPECT_EQ(ReasonOf(DecodeField("ab$c", kMaxSignatureBytes)), "malformed");
}

// --- clientDataJSON -----------------------------------------------------------------

const std::vector<std::string> kOrigins = {"https://gw.example"};
Checked<Sha256Digest> Check(const std::string& json, std::string_view type = kClientDataTypeGet) {
  return CheckClientData(AsBytes(json), {type, "Y2hhbGxlbmdl", kOrigins});
}
std::string ClientData(const std::string& extra = "", const std::string& type = "webauthn.get") {
  return R"({"type":")" + type + R"(","challenge":"Y2hhbGxlbmdl","origin":"https://gw.example")" + extra + "}";
}

TEST(WebAuthnClientDataTest, AcceptsAndHashesTheExactBytes) {
  const std::string json = ClientData(R"(,"crossOrigin":false)");
  Checked<Sha256Digest> hash = Check(json);
  ASSERT_TRUE(hash.ok());
  EXPECT_EQ(hash.value(), Sha256(AsBytes(json)));
}

TEST(WebAuthnClientDataTest, OversizedIsTooLarge) {
  const std::string padding(kMaxClientDataJsonBytes, ' ');
  EXPECT_EQ(ReasonOf(Check(ClientData(R"(,"other":")" + padding + "\""))), "too_large");
}

TEST(WebAuthnClientDataTest, ReasonsInOrder) {
  EXPECT_EQ(ReasonOf(Check("not json")), "malformed");
  EXPECT_EQ(ReasonOf(Check("[1,2]")), "malformed");
  EXPECT_EQ(ReasonOf(Check(R"({"type":"webauthn.get","origin":"https://gw.example"})")), "malformed");
  EXPECT_EQ(ReasonOf(Check(ClientData(), kClientDataTypeCreate)), "wrong_type");
  EXPECT_EQ(ReasonOf(Check(R"({"type":"webauthn.get","challenge":"b3RoZXI","origin":"https://gw.example"})")),
            "wrong_challenge");
  EXPECT_EQ(ReasonOf(Check(R"({"type":"webauthn.get","challenge":"Y2hhbGxlbmdl","origin":"https://gw.example/"})")),
            "wrong_origin");
  EXPECT_EQ(ReasonOf(Check(ClientData(R"(,"crossOrigin":true)"))), "cross_origin");
  EXPECT_EQ(ReasonOf(Check(ClientData(R"(,"crossOrigin":"false")"))), "malformed");
  EXPECT_EQ(ReasonOf(Check(ClientData(R"(,"topOrigin":"https://evil.example")"))), "cross_origin");
}

TEST(WebAuthnClientDataTest, DeepNestingIsMalformed) {
  EXPECT_EQ(ReasonOf(Check(ClientData(R"(,"x":[[[[[[[[1]]]]]]]])"))), "malformed");
}

// --- CBOR scanning --------------------------------------------------------------------

TEST(WebAuthnCborTest, ScansAWellFormedItem) {
  const Bytes map = {0xa1, 0x61, 'a', 0x82, 0x01, 0x20};  // {"a": [1, -1]}
  EXPECT_EQ(webauthn_cbor::ScanCborItem(map), map.size());
}

TEST(WebAuthnCborTest, MapOverTheEntryCapIsRefused) {
  Bytes map = {0xb8, static_cast<std::uint8_t>(kMaxCborMapEntries + 1)};
  for (std::size_t i = 0; i <= kMaxCborMapEntries; ++i) map.insert(map.end(), {static_cast<std::uint8_t>(i % 24), 0});
  EXPECT_FALSE(webauthn_cbor::ScanCborItem(map).has_value());
}

TEST(WebAuthnCborTest, HugeAnnouncedCountIsRefusedWithoutAllocating) {
  EXPECT_FALSE(webauthn_cbor::ScanCborItem(Bytes{0xba, 0xff, 0xff, 0xff, 0xff}).has_value());
  EXPECT_FALSE(webauthn_cbor::ScanCborItem(Bytes{0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}).has_value());
}

TEST(WebAuthnCborTest, StringLongerThanTheInputIsRefused) {
  EXPECT_FALSE(webauthn_cbor::ScanCborItem(Bytes{0x5a, 0x00, 0x01, 0x00, 0x00, 0x01}).has_value());
}

TEST(WebAuthnCborTest, IndefiniteLengthsAreRefused) {
  EXPECT_FALSE(webauthn_cbor::ScanCborItem(Bytes{0xbf, 0x61, 'a', 0x01, 0xff}).has_value());
  EXPECT_FALSE(webauthn_cbor::ScanCborItem(Bytes{0x5f, 0x41, 0x00, 0xff}).has_value());
}

TEST(WebAuthnCborTest, NestingOverTheDepthCapIsRefused) {
  Bytes nested(webauthn_cbor::kMaxCborDepth + 1, 0x81);  // [[[[...]]]]
  nested.push_back(0x01);
  EXPECT_FALSE(webauthn_cbor::ScanCborItem(nested).has_value());
  Bytes shallow(webauthn_cbor::kMaxCborDepth, 0x81);
  shallow.push_back(0x01);
  EXPECT_TRUE(webauthn_cbor::ScanCborItem(shallow).has_value());
}

// --- COSE keys ------------------------------------------------------------------------

Bytes Es256Key(std::uint8_t coordinate_length = 32, std::uint8_t crv = 1) {
  Bytes key = {0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, crv, 0x21, 0x58, coordinate_length};
  key.insert(key.end(), coordinate_length, 0x11);
  key.insert(key.end(), {0x22, 0x58, 32});
  key.insert(key.end(), 32, 0x22);
  return key;
}
Bytes RsaKey(std::size_t modulus_bytes, Bytes exponent) {
  Bytes key = {0xa4, 0x01, 0x03, 0x03, 0x39, 0x01, 0x00, 0x20, 0x59,
               static_cast<std::uint8_t>(modulus_bytes >> 8), static_cast<std::uint8_t>(modulus_bytes)};
  key.insert(key.end(), modulus_bytes, 0xc1);
  key.insert(key.end(), {0x21, static_cast<std::uint8_t>(0x40 + exponent.size())});
  key.insert(key.end(), exponent.begin(), exponent.end());
  return key;
}

TEST(WebAuthnCoseTest, ParsesEs256) {
  Checked<CosePublicKey> key = ParseCosePublicKey(Es256Key());
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key.value().alg, kCoseEs256);
  EXPECT_EQ(key.value().raw.size(), 64u);
}

TEST(WebAuthnCoseTest, OversizedKeyIsTooLarge) {
  EXPECT_EQ(ReasonOf(ParseCosePublicKey(RsaKey(kMaxCoseKeyBytes, {1, 0, 1}))), "too_large");
}

TEST(WebAuthnCoseTest, OtherCurvesAndAlgorithmsAreUnsupported) {
  EXPECT_EQ(ReasonOf(ParseCosePublicKey(Es256Key(32, 2))), "unsupported_algorithm");  // P-384 curve
  const Bytes es384 = {0xa1, 0x03, 0x38, 0x22};                                      // {3: -35}
  EXPECT_EQ(ReasonOf(ParseCosePublicKey(es384)), "unsupported_algorithm");
  EXPECT_EQ(ReasonOf(ParseCosePublicKey(RsaKey(256, {3}))), "unsupported_algorithm");
  EXPECT_EQ(ReasonOf(ParseCosePublicKey(RsaKey(128, {1, 0, 1}))), "unsupported_algorithm");
  EXPECT_EQ(ReasonOf(ParseCosePublicKey(RsaKey(256, {1, 0, 1}))), "ok");
}

TEST(WebAuthnCoseTest, WrongShapesAreMalformed) {
  EXPECT_EQ(ReasonOf(ParseCosePublicKey(Es256Key(31))), "malformed");
  EXPECT_EQ(ReasonOf(ParseCosePublicKey(Bytes{0xa1, 0x01, 0x02})), "malformed");        // no alg
  EXPECT_EQ(ReasonOf(ParseCosePublicKey(Bytes{0xa2, 0x03, 0x26, 0x03, 0x26})), "malformed");  // duplicate key
  Bytes trailing = Es256Key();
  trailing.push_back(0x00);
  EXPECT_EQ(ReasonOf(ParseCosePublicKey(trailing)), "malformed");
}

// --- authenticator data ---------------------------------------------------------------

Bytes AuthData(std::uint8_t flags, const Bytes& tail = {}) {
  Bytes data(32, 0xab);
  data.push_back(flags);
  data.insert(data.end(), {0, 0, 0, 7});
  data.insert(data.end(), tail.begin(), tail.end());
  return data;
}
Bytes Attested(std::size_t id_length, std::size_t id_present, const Bytes& key) {
  Bytes tail(16, 0);
  tail.push_back(static_cast<std::uint8_t>(id_length >> 8));
  tail.push_back(static_cast<std::uint8_t>(id_length));
  tail.insert(tail.end(), id_present, 0x33);
  tail.insert(tail.end(), key.begin(), key.end());
  return tail;
}

TEST(WebAuthnAuthDataTest, ParsesAssertionData) {
  Checked<AuthenticatorData> parsed = ParseAuthenticatorData(AuthData(0x05));
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed.value().user_present());
  EXPECT_TRUE(parsed.value().user_verified());
  EXPECT_EQ(parsed.value().sign_count, 7u);
  EXPECT_FALSE(parsed.value().attested.has_value());
}

TEST(WebAuthnAuthDataTest, ParsesAttestedCredential) {
  Checked<AuthenticatorData> parsed = ParseAuthenticatorData(AuthData(0x45, Attested(16, 16, Es256Key())));
  ASSERT_TRUE(parsed.ok()) << ReasonOf(parsed);
  EXPECT_EQ(parsed.value().attested->credential_id.size(), 16u);
  EXPECT_EQ(parsed.value().attested->cose_key, Es256Key());
}

TEST(WebAuthnAuthDataTest, CredentialIdOverTheCapIsTooLarge) {
  const std::size_t length = kMaxCredentialIdBytes + 1;
  EXPECT_EQ(ReasonOf(ParseAuthenticatorData(AuthData(0x45, Attested(length, length, Es256Key())))), "too_large");
}

TEST(WebAuthnAuthDataTest, CoseKeyOverTheCapIsTooLarge) {
  EXPECT_EQ(ReasonOf(ParseAuthenticatorData(AuthData(0x45, Attested(16, 16, RsaKey(kMaxCoseKeyBytes, {1, 0, 1}))))),
            "too_large");
}

TEST(WebAuthnAuthDataTest, ExtensionsOverTheCapAreTooLarge) {
  Bytes extensions = {0xa1, 0x61, 'x', 0x59, 0x01, 0x00};
  extensions.insert(extensions.end(), 256, 0);
  EXPECT_EQ(ReasonOf(ParseAuthenticatorData(AuthData(0x85, extensions))), "too_large");
}

TEST(WebAuthnAuthDataTest, ReadsRegistrationExtensions) {
  const Bytes extensions = {0xa2, 0x6b, 'c', 'r', 'e', 'd', 'P', 'r', 'o', 't', 'e', 'c', 't', 0x02,
                            0x6b, 'h', 'm', 'a', 'c', '-', 's', 'e', 'c', 'r', 'e', 't', 0xf5};
  Checked<AuthenticatorData> parsed = ParseAuthenticatorData(AuthData(0x85, extensions));
  ASSERT_TRUE(parsed.ok()) << ReasonOf(parsed);
  EXPECT_EQ(parsed.value().extensions.cred_protect, 2);
  EXPECT_TRUE(parsed.value().extensions.hmac_secret);
}

TEST(WebAuthnAuthDataTest, BrokenLayoutsAreMalformed) {
  EXPECT_EQ(ReasonOf(ParseAuthenticatorData(Bytes(36, 0))), "malformed");
  EXPECT_EQ(ReasonOf(ParseAuthenticatorData(AuthData(0x05, {0x00}))), "malformed");   // trailing byte
  EXPECT_EQ(ReasonOf(ParseAuthenticatorData(AuthData(0x85))), "malformed");           // ED, no map
  EXPECT_EQ(ReasonOf(ParseAuthenticatorData(AuthData(0x45))), "malformed");           // AT, nothing
  EXPECT_EQ(ReasonOf(ParseAuthenticatorData(AuthData(0x45, Attested(0, 0, Es256Key())))), "malformed");
  EXPECT_EQ(ReasonOf(ParseAuthenticatorData(AuthData(0x45, Attested(40, 16, Es256Key())))), "malformed");
  EXPECT_EQ(ReasonOf(ParseAuthenticatorData(AuthData(0x85, {0xa1, 0x01, 0x02}))), "malformed");  // int key
}

// --- attestation object ------------------------------------------------------------------

TEST(WebAuthnAttestationObjectTest, OversizedIsTooLarge) {
  EXPECT_EQ(ReasonOf(ParseAttestationObject(Bytes(kMaxAttestationObjectBytes + 1, 0))), "too_large");
}

TEST(WebAuthnAttestationObjectTest, MissingMembersAreMalformed) {
  const Bytes no_auth_data = {0xa2, 0x63, 'f', 'm', 't', 0x64, 'n', 'o', 'n', 'e',
                              0x67, 'a', 't', 't', 'S', 't', 'm', 't', 0xa0};
  EXPECT_EQ(ReasonOf(ParseAttestationObject(no_auth_data)), "malformed");
  EXPECT_EQ(ReasonOf(ParseAttestationObject(Bytes{0x80})), "malformed");
}

}  // namespace
}  // namespace safedesk::auth
