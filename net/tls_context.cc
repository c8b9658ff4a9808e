#include "net/tls_context.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <fmt/format.h>

#include "common/crypto.h"

namespace safedesk::net {
namespace {

namespace ssl = boost::asio::ssl;

// TLS 1.2 suites: ECDHE with AEAD only. TLS 1.3 suites are OpenSSL's defaults (all AEAD).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256";

Result<std::unique_ptr<ssl::context>> BaseContext() {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return MakeError(Errc::kInternal, "cannot apply TLS settings");
  }
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                  SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
  return ctx;
}

Result<void> RequireClientCertificates(ssl::context& ctx, std::string_view ca_pem) {
  boost::system::error_code ec;
  ctx.add_certificate_authority(boost::asio::buffer(ca_pem.data(), ca_pem.size()), ec);
  if (ec) return MakeError(Errc::kInvalidArgument, "client CA: " + ec.message());
  ctx.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
  if (ec) return MakeError(Errc::kInternal, "client CA: " + ec.message());
  return Ok();
}

}  // namespace

Result<std::unique_ptr<ssl::context>> MakeServerTlsContextFromPem(std::string_view certificate_chain_pem,
                                                                  std::string_view private_key_pem,
                                                                  std::string_view client_ca_pem) {
  auto ctx = BaseContext();
  if (!ctx) return ctx.error();
  boost::system::error_code ec;
  (*ctx)->use_certificate_chain(boost::asio::buffer(certificate_chain_pem.data(), certificate_chain_pem.size()), ec);
  if (ec) return MakeError(Errc::kInvalidArgument, "certificate: " + ec.message());
  (*ctx)->use_private_key(boost::asio::buffer(private_key_pem.data(), private_key_pem.size()),
                          ssl::context::pem, ec);
  if (ec) return MakeError(Errc::kInvalidArgument, "private key: " + ec.message());
  if (SSL_CTX_check_private_key((*ctx)->native_handle()) != 1) {
    return MakeError(Errc::kInvalidArgument, "private key does not match the certificate");
  }
  if (!client_ca_pem.empty()) SAFEDESK_TRY(RequireClientCertificates(**ctx, client_ca_pem));
  return ctx;
}

Result<std::unique_ptr<ssl::context>> MakeServerTlsContext(const TlsFiles& files) {
  constexpr std::size_t kMaxPemBytes = 256 * 1024;  // a chain of a few certificates
  auto chain = ReadSmallFile(files.certificate_chain, kMaxPemBytes);
  if (!chain) return chain.error();
  SAFEDESK_TRY(CheckPrivateFileMode(files.private_key));
  auto key = ReadSmallFile(files.private_key, kMaxPemBytes);
  if (!key) return key.error();
  std::string ca;
  if (!files.client_ca.empty()) {
    auto ca_text = ReadSmallFile(files.client_ca, kMaxPemBytes);
    if (!ca_text) return ca_text.error();
    ca = std::move(*ca_text);
  }
  auto ctx = MakeServerTlsContextFromPem(*chain, *key, ca);
  WipeBytes(key->data(), key->size());
  if (!ctx) {
    return MakeError(ctx.error().code, fmt::format("{}: {}", files.certificate_chain.string(), ctx.error().message));
  }
  return ctx;
}

Result<std::unique_ptr<ssl::context>> MakeClientTlsContextFromPem(std::string_view ca_pem,
                                                                  std::string_view certificate_chain_pem,
                                                                  std::string_view private_key_pem) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  SSL_CTX* native = ctx->native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return MakeError(Errc::kInternal, "cannot apply TLS settings");
  }
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  boost::system::error_code ec;
  ctx->add_certificate_authority(boost::asio::buffer(ca_pem.data(), ca_pem.size()), ec);
  if (ec) return MakeError(Errc::kInvalidArgument, "CA: " + ec.message());
  ctx->set_verify_mode(ssl::verify_peer, ec);
  if (ec) return MakeError(Errc::kInternal, "verify mode: " + ec.message());
  ctx->use_certificate_chain(boost::asio::buffer(certificate_chain_pem.data(), certificate_chain_pem.size()), ec);
  if (ec) return MakeError(Errc::kInvalidArgument, "certificate: " + ec.message());
  ctx->use_private_key(boost::asio::buffer(private_key_pem.data(), private_key_pem.size()), ssl::context::pem, ec);
  if (ec) return MakeError(Errc::kInvalidArgument, "private key: " + ec.message());
  if (SSL_CTX_check_private_key(native) != 1) {
    return MakeError(Errc::kInvalidArgument, "private key does not match the certificate");
  }
  return ctx;
}

Result<std::unique_ptr<ssl::context>> MakeClientTlsContext(const ClientTlsFiles& files) {
  constexpr std::size_t kMaxPemBytes = 256 * 1024;
  auto ca = ReadSmallFile(files.ca, kMaxPemBytes);
  if (!ca) return ca.error();
  auto chain = ReadSmallFile(files.certificate_chain, kMaxPemBytes);
  if (!chain) return chain.error();
  SAFEDESK_TRY(CheckPrivateFileMode(files.private_key));
  auto key = ReadSmallFile(files.private_key, kMaxPemBytes);
  if (!key) return key.error();
  auto ctx = MakeClientTlsContextFromPem(*ca, *chain, *key);
  WipeBytes(key->data(), key->size());
  if (!ctx) {
    return MakeError(ctx.error().code, fmt::format("{}: {}", files.certificate_chain.string(), ctx.error().message));
  }
  return ctx;
}

std::string PeerCommonName(const SSL* ssl) {
  if (ssl == nullptr) return {};
  X509* peer = SSL_get0_peer_certificate(ssl);
  if (peer == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return {};
  char name[256] = {};
  const int length = X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, name, sizeof(name));
  if (length <= 0 || static_cast<std::size_t>(length) >= sizeof(name)) return {};
  return std::string(name, static_cast<std::size_t>(length));
}

}  // namespace safedesk::net
