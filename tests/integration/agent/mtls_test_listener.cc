#include "tests/integration/agent/mtls_test_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace safedesk::testing {
namespace {

X509* PemCert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return cert;
}

EVP_PKEY* PemKey(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return key;
}

}  // namespace

MtlsTestListener::MtlsTestListener(const TestPki& pki, std::chrono::milliseconds read_timeout,
                                   std::function<void(SSL*)> serve, const std::string& host)
    : serve_(std::move(serve)), read_timeout_(read_timeout) {
  ctx_ = SSL_CTX_new(TLS_server_method());
  SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  X509* cert = PemCert(pki.server.certificate_pem);
  EVP_PKEY* key = PemKey(pki.server.private_key_pem);
  SSL_CTX_use_certificate(ctx_, cert);
  SSL_CTX_use_PrivateKey(ctx_, key);
  X509_free(cert);
  EVP_PKEY_free(key);
  X509* ca = PemCert(pki.ca.certificate_pem);
  X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx_), ca);
  X509_free(ca);
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  const int on = 1;
  setsockopt(fd_, IPPROTO_IP, IP_FREEBIND, &on, sizeof on);
  bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  listen(fd_, 8);
  socklen_t len = sizeof addr;
  getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

MtlsTestListener::~MtlsTestListener() {
  stop_ = true;
  thread_.join();
  close(fd_);
  SSL_CTX_free(ctx_);
}

std::string MtlsTestListener::PeerCommonName(SSL* ssl) {
  X509* peer = SSL_get1_peer_certificate(ssl);
  if (peer == nullptr) return {};
  char cn[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof cn);
  X509_free(peer);
  return cn;
}

void MtlsTestListener::Serve() {
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    const int client = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(read_timeout_).count();
    timeval tv{static_cast<time_t>(us / 1'000'000), static_cast<suseconds_t>(us % 1'000'000)};
    setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    SSL* ssl = SSL_new(ctx_);
    SSL_set_fd(ssl, client);
    if (SSL_accept(ssl) == 1) serve_(ssl);
    ERR_clear_error();
    SSL_free(ssl);
    close(client);
  }
}

}  // namespace safedesk::testing
