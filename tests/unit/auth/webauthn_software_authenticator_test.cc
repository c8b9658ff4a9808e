// A software authenticator (OpenSSL keys, libcbor encoding) for what Chrome's virtual
// authenticator does not produce: "packed" self attestation for each algorithm, an
// authenticator without a counter, extensions, bad statements and weak keys.

#include <cbor.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>
#include <string>
#include <vector>

#include "auth/webauthn.h"
#include "common/audit_event.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "common/random.h"

namespace safedesk::auth {
namespace {

namespace json = boost::json;
using Bytes = std::vector<std::uint8_t>;

constexpr char kRpId[] = "gw.example";
constexpr char kOrigin[] = "https://gw.example";

struct EvpDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CborDeleter {
  void operator()(cbor_item_t* item) const { cbor_decref(&item); }
};
using CborItem = std::unique_ptr<cbor_item_t, CborDeleter>;

// CTAP2 canonical CBOR uses the shortest integer encoding.
cbor_item_t* Int(std::int64_t v) {
  const std::uint64_t n = v >= 0 ? static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(-1 - v);
  if (n < 256) return v >= 0 ? cbor_build_uint8(static_cast<std::uint8_t>(n)) : cbor_build_negint8(static_cast<std::uint8_t>(n));
  return v >= 0 ? cbor_build_uint16(static_cast<std::uint16_t>(n)) : cbor_build_negint16(static_cast<std::uint16_t>(n));
}
cbor_item_t* Blob(const Bytes& b) { return cbor_build_bytestring(b.data(), b.size()); }
void Add(cbor_item_t* map, cbor_item_t* key, cbor_item_t* value) {
  cbor_map_add(map, cbor_pair{cbor_move(key), cbor_move(value)});
}
Bytes Encode(const cbor_item_t* item) {
  unsigned char* buffer = nullptr;
  std::size_t capacity = 0;
  const std::size_t length = cbor_serialize_alloc(item, &buffer, &capacity);
  Bytes out(buffer, buffer + length);
  free(buffer);
  return out;
}
Bytes Concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

class SoftAuthenticator {
 public:
  explicit SoftAuthenticator(int alg, std::size_t rsa_bits = 2048) : alg_(alg) {
    if (alg == -7) key_.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    if (alg == -8) key_.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    if (alg == -257) key_.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", rsa_bits));
  }
  int alg() const { return alg_; }
  const Bytes& id() const { return id_; }

  Bytes CoseKey() const {
    CborItem map(cbor_new_definite_map(5));
    if (alg_ == -7) {
      Bytes point(65);
      std::size_t length = 0;
      EVP_PKEY_get_octet_string_param(key_.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size(), &length);
      Add(map.get(), Int(1), Int(2));
      Add(map.get(), Int(3), Int(-7));
      Add(map.get(), Int(-1), Int(1));
      Add(map.get(), Int(-2), Blob(Bytes(point.begin() + 1, point.begin() + 33)));
      Add(map.get(), Int(-3), Blob(Bytes(point.begin() + 33, point.end())));
    } else if (alg_ == -8) {
      Bytes x(32);
      std::size_t length = x.size();
      EVP_PKEY_get_raw_public_key(key_.get(), x.data(), &length);
      Add(map.get(), Int(1), Int(1));
      Add(map.get(), Int(3), Int(-8));
      Add(map.get(), Int(-1), Int(6));
      Add(map.get(), Int(-2), Blob(x));
    } else {
      Add(map.get(), Int(1), Int(3));
      Add(map.get(), Int(3), Int(-257));
      Add(map.get(), Int(-1), Blob(BigNum(OSSL_PKEY_PARAM_RSA_N)));
      Add(map.get(), Int(-2), Blob(BigNum(OSSL_PKEY_PARAM_RSA_E)));
    }
    return Encode(map.get());
  }

  Bytes Sign(const Bytes& message) const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    const EVP_MD* md = alg_ == -8 ? nullptr : EVP_sha256();  // Ed25519 hashes internally
    EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key_.get());
    std::size_t length = 0;
    EVP_DigestSign(ctx.get(), nullptr, &length, message.data(), message.size());
    Bytes signature(length);
    EVP_DigestSign(ctx.get(), signature.data(), &length, message.data(), message.size());
    signature.resize(length);
    return signature;
  }

  // authData for a registration (with attested credential data) or an assertion.
  Bytes AuthData(std::uint8_t flags, std::uint32_t count, bool attested, const Bytes& extensions = {}) const {
    const Sha256Digest rp_hash = Sha256(AsBytes(kRpId));
    Bytes out(rp_hash.begin(), rp_hash.end());
    out.push_back(flags | (attested ? 0x40 : 0) | (extensions.empty() ? 0 : 0x80));
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(count >> shift));
    if (attested) {
      out.insert(out.end(), 16, 0);  // AAGUID: a software authenticator has none
      out.push_back(0);
      out.push_back(static_cast<std::uint8_t>(id_.size()));
      out = Concat(Concat(out, id_), CoseKey());
    }
    return Concat(out, extensions);
  }

 private:
  Bytes BigNum(const char* name) const {
    BIGNUM* bn = nullptr;
    EVP_PKEY_get_bn_param(key_.get(), name, &bn);
    Bytes out(static_cast<std::size_t>(BN_num_bytes(bn)));
    BN_bn2bin(bn, out.data());
    BN_free(bn);
    return out;
  }

  int alg_;
  std::unique_ptr<EVP_PKEY, EvpDeleter> key_;
  Bytes id_ = Bytes{0x51, 0x77, 0x3c, 0x10, 0x09, 0xaa, 0x42, 0x5e, 0x81, 0x12, 0x33, 0x64, 0x05, 0xde, 0xbe, 0xef};
};

constexpr std::uint8_t kUpUv = 0x05;

Bytes AttestationObject(const std::string& fmt, const Bytes& auth_data, cbor_item_t* statement) {
  CborItem map(cbor_new_definite_map(3));
  Add(map.get(), cbor_build_string("fmt"), cbor_build_string(fmt.c_str()));
  Add(map.get(), cbor_build_string("attStmt"), statement);
  Add(map.get(), cbor_build_string("authData"), Blob(auth_data));
  return Encode(map.get());
}
cbor_item_t* PackedSelf(int alg, const Bytes& signature) {
  cbor_item_t* statement = cbor_new_definite_map(2);
  Add(statement, cbor_build_string("alg"), Int(alg));
  Add(statement, cbor_build_string("sig"), Blob(signature));
  return statement;
}

class WebAuthnSoftwareTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WebAuthnOptions options{.rp_id = kRpId, .rp_name = "gw", .allowed_origins = {kOrigin}};
    rp_ = std::move(WebAuthn::Create(std::move(options), clock_, random_, audit_).value());
  }

  struct Ceremony {
    std::string id;
    std::string client_data;
  };
  Ceremony Seed(CeremonyKind kind) {
    Bytes challenge(32, static_cast<std::uint8_t>(++seeded_));
    auth::Ceremony c{"alice", kind, challenge, Bytes(16, 0x11), true};
    const std::string type = kind == CeremonyKind::kRegistration ? "webauthn.create" : "webauthn.get";
    return {rp_->challenge_store().Put(std::move(c)).value(),
            R"({"type":")" + type + R"(","challenge":")" + Base64UrlEncode(challenge) + R"(","origin":")" + kOrigin +
                R"(","crossOrigin":false})"};
  }
  static Bytes Hash(const std::string& client_data) {
    const Sha256Digest digest = Sha256(AsBytes(client_data));
    return Bytes(digest.begin(), digest.end());
  }

  // Registers with fmt/statement built by `make_statement(authData, clientDataHash)`.
  template <class MakeStatement>
  Result<StoredCredential> Register(const SoftAuthenticator& a, const std::string& fmt, const Bytes& auth_data,
                                    MakeStatement make_statement) {
    const Ceremony c = Seed(CeremonyKind::kRegistration);
    const Bytes object = AttestationObject(fmt, auth_data, make_statement(auth_data, Hash(c.client_data)));
    const json::object body{{"ceremonyId", c.id},
                            {"credential", {{"rawId", Base64UrlEncode(a.id())}, {"type", "public-key"},
                                            {"response", {{"clientDataJSON", Base64UrlEncode(AsBytes(c.client_data))},
                                                          {"attestationObject", Base64UrlEncode(object)}}}}}};
    return rp_->FinishRegistrationJson("alice", json::serialize(body), {});
  }
  Result<StoredCredential> RegisterPacked(const SoftAuthenticator& a, std::uint32_t count = 0, const Bytes& ext = {}) {
    return Register(a, "packed", a.AuthData(kUpUv, count, true, ext), [&a](const Bytes& ad, const Bytes& cdh) {
      return PackedSelf(a.alg(), a.Sign(Concat(ad, cdh)));
    });
  }
  Result<AssertionSuccess> Login(const SoftAuthenticator& a, const StoredCredential& credential, std::uint32_t count,
                                 std::uint8_t flags = kUpUv) {
    const Ceremony c = Seed(CeremonyKind::kAssertion);
    const Bytes auth_data = a.AuthData(flags, count, false);
    const json::object body{
        {"ceremonyId", c.id},
        {"credential", {{"rawId", Base64UrlEncode(a.id())}, {"type", "public-key"},
                        {"response", {{"clientDataJSON", Base64UrlEncode(AsBytes(c.client_data))},
                                      {"authenticatorData", Base64UrlEncode(auth_data)},
                                      {"signature", Base64UrlEncode(a.Sign(Concat(auth_data, Hash(c.client_data))))}}}}}};
    return rp_->FinishAssertionJson("alice", json::serialize(body), std::vector<StoredCredential>{credential});
  }
  std::string LastReason() const {
    const auto events = audit_.events();
    if (events.empty() || events.back().type != "factor.rejected") return "(none)";
    return std::get<std::string>(*events.back().Find("reason"));
  }

  ManualClock clock_;
  SeededRandom random_{9};
  MemoryAuditSink audit_;
  std::unique_ptr<WebAuthn> rp_;
  int seeded_ = 0;
};

class WebAuthnAlgorithmTest : public WebAuthnSoftwareTest, public ::testing::WithParamInterface<int> {};

TEST_P(WebAuthnAlgorithmTest, PackedSelfAttestationRegistersAndLogsIn) {
  SoftAuthenticator a(GetParam());
  Result<StoredCredential> credential = RegisterPacked(a, 5);
  ASSERT_TRUE(credential.ok()) << LastReason();
  EXPECT_EQ(credential->alg, GetParam());
  EXPECT_EQ(credential->sign_count, 5u);
  Result<AssertionSuccess> success = Login(a, *credential, 6);
  ASSERT_TRUE(success.ok()) << LastReason();
  EXPECT_EQ(success->sign_count, 6u);
}

TEST_P(WebAuthnAlgorithmTest, NoneAttestationRegisters) {
  SoftAuthenticator a(GetParam());
  Result<StoredCredential> credential = Register(a, "none", a.AuthData(kUpUv, 0, true),
                                                [](const Bytes&, const Bytes&) { return cbor_new_definite_map(0); });
  ASSERT_TRUE(credential.ok()) << LastReason();
}

TEST_P(WebAuthnAlgorithmTest, AssertionFromAnotherKeyIsRefused) {
  SoftAuthenticator a(GetParam());
  SoftAuthenticator impostor(GetParam());
  Result<StoredCredential> credential = RegisterPacked(a);
  ASSERT_TRUE(credential.ok()) << LastReason();
  EXPECT_FALSE(Login(impostor, *credential, 1).ok());
  EXPECT_EQ(LastReason(), "bad_signature");
}

TEST_P(WebAuthnAlgorithmTest, AssertionWithoutUvIsRefused) {
  SoftAuthenticator a(GetParam());
  Result<StoredCredential> credential = RegisterPacked(a);
  ASSERT_TRUE(credential.ok()) << LastReason();
  EXPECT_FALSE(Login(a, *credential, 1, /*flags=*/0x01).ok());
  EXPECT_EQ(LastReason(), "user_not_verified");
}

INSTANTIATE_TEST_SUITE_P(Cose, WebAuthnAlgorithmTest, ::testing::Values(-7, -8, -257));

TEST_F(WebAuthnSoftwareTest, AuthenticatorWithoutCounterMayStayAtZero) {
  SoftAuthenticator a(-7);
  Result<StoredCredential> credential = RegisterPacked(a, 0);
  ASSERT_TRUE(credential.ok()) << LastReason();
  EXPECT_TRUE(Login(a, *credential, 0).ok()) << LastReason();
  EXPECT_TRUE(Login(a, *credential, 0).ok()) << LastReason();
}

TEST_F(WebAuthnSoftwareTest, CounterThatStartedCannotReturnToZero) {
  SoftAuthenticator a(-7);
  Result<StoredCredential> credential = RegisterPacked(a, 3);
  ASSERT_TRUE(credential.ok()) << LastReason();
  EXPECT_FALSE(Login(a, *credential, 0).ok());
  EXPECT_EQ(LastReason(), "counter_regressed");
}

TEST_F(WebAuthnSoftwareTest, PackedWithCredProtectExtensionIsDeclaredToLibfido2) {
  SoftAuthenticator a(-7);
  CborItem extensions(cbor_new_definite_map(1));
  Add(extensions.get(), cbor_build_string("credProtect"), Int(2));
  Result<StoredCredential> credential = RegisterPacked(a, 0, Encode(extensions.get()));
  EXPECT_TRUE(credential.ok()) << LastReason();
}

TEST_F(WebAuthnSoftwareTest, PackedSignatureOverOtherDataIsRefused) {
  SoftAuthenticator a(-7);
  EXPECT_FALSE(Register(a, "packed", a.AuthData(kUpUv, 0, true), [&a](const Bytes& ad, const Bytes&) {
                 return PackedSelf(-7, a.Sign(ad));  // the client data hash left out
               }).ok());
  EXPECT_EQ(LastReason(), "bad_attestation");
}

TEST_F(WebAuthnSoftwareTest, PackedAlgorithmMismatchIsRefused) {
  SoftAuthenticator a(-7);
  EXPECT_FALSE(Register(a, "packed", a.AuthData(kUpUv, 0, true), [&a](const Bytes& ad, const Bytes& cdh) {
                 return PackedSelf(-257, a.Sign(Concat(ad, cdh)));
               }).ok());
  EXPECT_EQ(LastReason(), "bad_attestation");
}

TEST_F(WebAuthnSoftwareTest, OtherAttestationFormatsAreUnsupported) {
  SoftAuthenticator a(-7);
  for (const char* fmt : {"tpm", "fido-u2f", "android-key", "apple"}) {
    EXPECT_FALSE(Register(a, fmt, a.AuthData(kUpUv, 0, true), [](const Bytes&, const Bytes&) {
                   return cbor_new_definite_map(0);
                 }).ok());
    EXPECT_EQ(LastReason(), "unsupported_attestation") << fmt;
  }
}

TEST_F(WebAuthnSoftwareTest, NoneWithAStatementIsMalformed) {
  SoftAuthenticator a(-7);
  EXPECT_FALSE(Register(a, "none", a.AuthData(kUpUv, 0, true), [&a](const Bytes& ad, const Bytes& cdh) {
                 return PackedSelf(-7, a.Sign(Concat(ad, cdh)));
               }).ok());
  EXPECT_EQ(LastReason(), "malformed");
}

TEST_F(WebAuthnSoftwareTest, Rsa1024IsRefused) {
  SoftAuthenticator a(-257, 1024);
  EXPECT_FALSE(RegisterPacked(a).ok());
  EXPECT_EQ(LastReason(), "unsupported_algorithm");
}

TEST_F(WebAuthnSoftwareTest, Rsa3072IsRefused) {
  SoftAuthenticator a(-257, 3072);
  EXPECT_FALSE(RegisterPacked(a).ok());
  EXPECT_EQ(LastReason(), "unsupported_algorithm");
}

TEST_F(WebAuthnSoftwareTest, AttestedDataInAnAssertionIsMalformed) {
  SoftAuthenticator a(-7);
  Result<StoredCredential> credential = RegisterPacked(a);
  ASSERT_TRUE(credential.ok()) << LastReason();
  const Ceremony c = Seed(CeremonyKind::kAssertion);
  const Bytes auth_data = a.AuthData(kUpUv, 1, true);
  const json::object body{
      {"ceremonyId", c.id},
      {"credential", {{"rawId", Base64UrlEncode(a.id())}, {"type", "public-key"},
                      {"response", {{"clientDataJSON", Base64UrlEncode(AsBytes(c.client_data))},
                                    {"authenticatorData", Base64UrlEncode(auth_data)},
                                    {"signature", Base64UrlEncode(a.Sign(Concat(auth_data, Hash(c.client_data))))}}}}}};
  EXPECT_FALSE(rp_->FinishAssertionJson("alice", json::serialize(body), std::vector{*credential}).ok());
  EXPECT_EQ(LastReason(), "malformed");
}

}  // namespace
}  // namespace safedesk::auth
