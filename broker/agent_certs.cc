#include "broker/agent_certs.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>

namespace safedesk::broker {
namespace {

constexpr std::size_t kSerialBytes = 16;  // RFC 5280: at most 20 octets, positive
// Started a minute in the past: a desktop host whose clock is a little behind still accepts it.
constexpr std::int64_t kBackdateSeconds = 60;

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

bool AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  const bool ok = ext != nullptr && X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// With OpenSSL's reason, which names no secret.
Error Failed(std::string_view what) {
  char reason[256] = "no detail";
  if (const unsigned long code = ERR_get_error(); code != 0) ERR_error_string_n(code, reason, sizeof(reason));
  ERR_clear_error();
  return MakeError(Errc::kInternal, "agent certificate: " + std::string(what) + ": " + reason);
}

}  // namespace

struct AgentCertIssuer::Keys {
  X509Ptr cert;
  PkeyPtr key;
  std::string cert_pem;
};

AgentCertIssuer::AgentCertIssuer(std::unique_ptr<Keys> keys, const Clock& clock, std::chrono::seconds lifetime)
    : keys_(std::move(keys)), clock_(clock), lifetime_(lifetime) {}

AgentCertIssuer::~AgentCertIssuer() = default;

Result<std::unique_ptr<AgentCertIssuer>> AgentCertIssuer::Load(const std::filesystem::path& cert,
                                                               const std::filesystem::path& key, const Clock& clock,
                                                               std::chrono::seconds lifetime) {
  auto keys = std::make_unique<Keys>();
  BioPtr cert_in(BIO_new_file(cert.c_str(), "r"));
  if (cert_in) keys->cert.reset(PEM_read_bio_X509(cert_in.get(), nullptr, nullptr, nullptr));
  if (!keys->cert) return MakeError(Errc::kInvalidArgument, "cannot read a certificate from " + cert.string());
  BioPtr key_in(BIO_new_file(key.c_str(), "r"));
  if (key_in) keys->key.reset(PEM_read_bio_PrivateKey(key_in.get(), nullptr, nullptr, nullptr));
  if (!keys->key) return MakeError(Errc::kInvalidArgument, "cannot read a private key from " + key.string());
  if (X509_check_private_key(keys->cert.get(), keys->key.get()) != 1) {
    return MakeError(Errc::kInvalidArgument, key.string() + " is not the key of " + cert.string());
  }
  if (X509_check_ca(keys->cert.get()) == 0) {
    return MakeError(Errc::kInvalidArgument, cert.string() + " is not a CA certificate");
  }
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!out || PEM_write_bio_X509(out.get(), keys->cert.get()) != 1) return Failed("cannot encode the issuer");
  keys->cert_pem = BioText(out.get());
  return std::unique_ptr<AgentCertIssuer>(new AgentCertIssuer(std::move(keys), clock, lifetime));
}

Result<AgentCredentials> AgentCertIssuer::Issue(std::string_view desktop_id, Random& random) const {
  PkeyPtr key(EVP_EC_gen("P-256"));
  X509Ptr cert(X509_new());
  auto serial_bytes = random.Bytes(kSerialBytes);
  if (!key || !cert || !serial_bytes) return Failed("no key or randomness");
  (*serial_bytes)[0] &= 0x7f;  // positive
  (*serial_bytes)[0] |= 0x01;  // and never shorter than 16 bytes
  std::unique_ptr<BIGNUM, BnFree> serial(BN_bin2bn(serial_bytes->data(), static_cast<int>(serial_bytes->size()), nullptr));
  const std::int64_t now = UnixSeconds(clock_.Now());
  const std::string cn = "agent-" + std::string(desktop_id);
  X509_NAME* name = X509_get_subject_name(cert.get());
  bool ok = serial && X509_set_version(cert.get(), 2) == 1 &&
            BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) != nullptr &&
            ASN1_TIME_set(X509_getm_notBefore(cert.get()), now - kBackdateSeconds) != nullptr &&
            ASN1_TIME_set(X509_getm_notAfter(cert.get()), now + lifetime_.count()) != nullptr &&
            X509_set_pubkey(cert.get(), key.get()) == 1 &&
            X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("safedesk"), -1,
                                       -1, 0) == 1 &&
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()),
                                       -1, -1, 0) == 1 &&
            X509_set_issuer_name(cert.get(), X509_get_subject_name(keys_->cert.get())) == 1;
  X509* issuer = keys_->cert.get();
  ok = ok && AddExtension(cert.get(), issuer, NID_basic_constraints, "critical,CA:FALSE") &&
       AddExtension(cert.get(), issuer, NID_key_usage, "critical,digitalSignature") &&
       AddExtension(cert.get(), issuer, NID_ext_key_usage, "clientAuth") &&
       AddExtension(cert.get(), issuer, NID_subject_key_identifier, "hash") &&
       // Chain building by key id where the issuer has one (every CA openssl makes).
       (X509_get0_subject_key_id(issuer) == nullptr ||
        AddExtension(cert.get(), issuer, NID_authority_key_identifier, "keyid")) &&
       X509_sign(cert.get(), keys_->key.get(), EVP_sha256()) > 0;
  if (!ok) return Failed("cannot build or sign");
  BioPtr cert_out(BIO_new(BIO_s_mem()));
  BioPtr key_out(BIO_new(BIO_s_secmem()));
  if (!cert_out || !key_out || PEM_write_bio_X509(cert_out.get(), cert.get()) != 1 ||
      PEM_write_bio_PrivateKey(key_out.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Failed("cannot encode");
  }
  AgentCredentials out;
  out.cert_pem = BioText(cert_out.get()) + keys_->cert_pem;
  char* data = nullptr;
  const long n = BIO_get_mem_data(key_out.get(), &data);
  out.key_pem = Secret(std::string_view(data, n > 0 ? static_cast<std::size_t>(n) : 0));
  return out;
}

}  // namespace safedesk::broker
