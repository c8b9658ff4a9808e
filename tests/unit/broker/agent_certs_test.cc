// Per-desktop agent certificates: CN agent-<desktop id>, clientAuth, verifiable against
// the issuer, validity from the injected clock, a fresh key each; a wrong key or a
// non-CA issuer is refused at load.
#include "broker/agent_certs.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <gtest/gtest.h>

#include <fstream>

#include "tests/testing/test_support.h"
#include "tests/testing/tls_test_certs.h"

namespace safedesk::broker {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

X509Ptr ParseFirst(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509Ptr cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return cert;
}

std::string CommonName(X509* cert) {
  char cn[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn));
  return cn;
}

class AgentCertsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_ = testing::MakeTestPki();
    Write("ca.crt", pki_.ca.certificate_pem);
    Write("ca.key", pki_.ca.private_key_pem);
    Write("server.crt", pki_.server.certificate_pem);
    Write("server.key", pki_.server.private_key_pem);
  }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_.path() / name) << text;
  }
  std::unique_ptr<AgentCertIssuer> Issuer() {
    auto issuer = AgentCertIssuer::Load(dir_.path() / "ca.crt", dir_.path() / "ca.key", clock_, std::chrono::hours(24));
    EXPECT_TRUE(issuer.ok()) << issuer.error().message;
    return issuer.ok() ? std::move(*issuer) : nullptr;
  }
  // True when `cert` verifies against the test CA for TLS client use at the clock's time.
  bool VerifiesAsClient(X509* cert) {
    X509Ptr ca = ParseFirst(pki_.ca.certificate_pem);
    X509_STORE* store = X509_STORE_new();
    X509_STORE_add_cert(store, ca.get());
    X509_STORE_CTX* ctx = X509_STORE_CTX_new();
    X509_STORE_CTX_init(ctx, store, cert, nullptr);
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
    X509_STORE_CTX_set_time(ctx, 0, static_cast<time_t>(UnixSeconds(clock_.Now())));
    const bool ok = X509_verify_cert(ctx) == 1;
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return ok;
  }

  testing::TempDir dir_;
  testing::TestPki pki_;
  // Today: the test CA is valid from an hour ago for 30 days.
  ManualClock clock_{SystemClock().Now()};
  SeededRandom random_{7};
};

TEST_F(AgentCertsTest, IssuesAClientCertificateNamedForTheDesktop) {
  auto issuer = Issuer();
  auto issued = issuer->Issue("sbx-0123abcd", random_);
  ASSERT_TRUE(issued.ok()) << issued.error().message;
  X509Ptr cert = ParseFirst(issued->cert_pem);
  ASSERT_TRUE(cert);
  EXPECT_EQ(CommonName(cert.get()), "agent-sbx-0123abcd");
  EXPECT_TRUE(VerifiesAsClient(cert.get()));
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  // The chain after the leaf: the issuer, for peers that know only the root.
  EXPECT_NE(issued->cert_pem.find(pki_.ca.certificate_pem), std::string::npos);
}

TEST_F(AgentCertsTest, KeyMatchesTheCertificate) {
  auto issued = Issuer()->Issue("sbx-1", random_);
  ASSERT_TRUE(issued.ok());
  X509Ptr cert = ParseFirst(issued->cert_pem);
  BIO* bio = BIO_new_mem_buf(issued->key_pem.reveal().data(), static_cast<int>(issued->key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(X509_check_private_key(cert.get(), key), 1);
  EVP_PKEY_free(key);
}

TEST_F(AgentCertsTest, ExpiresAfterItsLifetime) {
  auto issued = Issuer()->Issue("sbx-1", random_);
  ASSERT_TRUE(issued.ok());
  X509Ptr cert = ParseFirst(issued->cert_pem);
  clock_.Advance(std::chrono::hours(24) - std::chrono::minutes(1));
  EXPECT_TRUE(VerifiesAsClient(cert.get()));
  clock_.Advance(std::chrono::minutes(2));
  EXPECT_FALSE(VerifiesAsClient(cert.get()));
}

TEST_F(AgentCertsTest, EachDesktopGetsItsOwnKey) {
  auto issuer = Issuer();
  auto a = issuer->Issue("sbx-1", random_);
  auto b = issuer->Issue("sbx-2", random_);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->key_pem.reveal(), b->key_pem.reveal());
}

TEST_F(AgentCertsTest, RefusesAKeyThatIsNotTheIssuers) {
  auto issuer = AgentCertIssuer::Load(dir_.path() / "ca.crt", dir_.path() / "server.key", clock_, std::chrono::hours(1));
  ASSERT_FALSE(issuer.ok());
  EXPECT_EQ(issuer.error().code, Errc::kInvalidArgument);
}

TEST_F(AgentCertsTest, RefusesAnIssuerThatIsNotACa) {
  auto issuer =
      AgentCertIssuer::Load(dir_.path() / "server.crt", dir_.path() / "server.key", clock_, std::chrono::hours(1));
  ASSERT_FALSE(issuer.ok());
  EXPECT_NE(issuer.error().message.find("not a CA"), std::string::npos);
}

}  // namespace
}  // namespace safedesk::broker
