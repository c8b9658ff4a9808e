#include "tests/testing/tls_test_certs.h"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace safedesk::testing {
namespace {

struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct X509Free { void operator()(X509* p) const { X509_free(p); } };
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Cert = std::unique_ptr<X509, X509Free>;

Pkey NewKey() { return Pkey(EVP_EC_gen("P-256")); }

std::string Pem(int (*write)(BIO*, const X509*), const X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  write(bio, cert);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  return out;
}

std::string KeyPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  return out;
}

void AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

Cert MakeCert(const std::string& cn, EVP_PKEY* key, X509* issuer, long serial) {
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400L * 30);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name);
  X509* signer = issuer != nullptr ? issuer : cert.get();
  if (issuer == nullptr) {
    AddExt(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    AddExt(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    AddExt(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    AddExt(cert.get(), signer, NID_key_usage, "critical,digitalSignature");
  }
  return cert;
}

TestCertificate Issue(const TestCertificate& ca, const std::string& cn, bool server, long serial) {
  BIO* kb = BIO_new_mem_buf(ca.private_key_pem.data(), static_cast<int>(ca.private_key_pem.size()));
  Pkey ca_key(PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr));
  BIO_free(kb);
  BIO* cb = BIO_new_mem_buf(ca.certificate_pem.data(), static_cast<int>(ca.certificate_pem.size()));
  Cert ca_cert(PEM_read_bio_X509(cb, nullptr, nullptr, nullptr));
  BIO_free(cb);
  Pkey key = NewKey();
  Cert cert = MakeCert(cn, key.get(), ca_cert.get(), serial);
  if (server) {
    AddExt(cert.get(), ca_cert.get(), NID_ext_key_usage, "serverAuth");
    AddExt(cert.get(), ca_cert.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:10.77.0.1");
  } else {
    AddExt(cert.get(), ca_cert.get(), NID_ext_key_usage, "clientAuth");
  }
  X509_sign(cert.get(), ca_key.get(), EVP_sha256());
  return {Pem(PEM_write_bio_X509, cert.get()), KeyPem(key.get())};
}

}  // namespace

TestCertificate TestPki::Client(const std::string& common_name) const {
  static long serial = 100;
  return Issue(ca, common_name, false, ++serial);
}

TestPki MakeTestPki() {
  TestPki pki;
  Pkey ca_key = NewKey();
  Cert ca_cert = MakeCert("safedesk test CA", ca_key.get(), nullptr, 1);
  X509_sign(ca_cert.get(), ca_key.get(), EVP_sha256());
  pki.ca = {Pem(PEM_write_bio_X509, ca_cert.get()), KeyPem(ca_key.get())};
  pki.server = Issue(pki.ca, "localhost", true, 2);
  return pki;
}

}  // namespace safedesk::testing
