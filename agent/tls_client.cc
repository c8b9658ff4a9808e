#include "agent/tls_client.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <fmt/format.h>

namespace safedesk::agent {
namespace {

struct CtxDeleter {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslDeleter {
  void operator()(SSL* s) const { SSL_free(s); }
};

Error TlsError(std::string what) {
  ERR_clear_error();
  return MakeError(Errc::kUnavailable, std::move(what));
}

class OpenSslConnection final : public TlsConnection {
 public:
  OpenSslConnection(std::unique_ptr<SSL_CTX, CtxDeleter> ctx, std::unique_ptr<SSL, SslDeleter> ssl,
                    int fd)
      : ctx_(std::move(ctx)), ssl_(std::move(ssl)), fd_(fd) {}
  ~OpenSslConnection() override {
    SSL_shutdown(ssl_.get());
    ssl_.reset();
    close(fd_);
  }

  Result<void> WriteAll(std::string_view data) override {
    while (!data.empty()) {
      std::size_t written = 0;
      if (SSL_write_ex(ssl_.get(), data.data(), data.size(), &written) != 1) {
        return TlsError("tls write failed");
      }
      data.remove_prefix(written);
    }
    return Ok();
  }

  Result<std::string> ReadSome() override {
    char buffer[16 * 1024];
    std::size_t n = 0;
    if (SSL_read_ex(ssl_.get(), buffer, sizeof buffer, &n) != 1) {
      const int code = SSL_get_error(ssl_.get(), 0);
      if (code == SSL_ERROR_ZERO_RETURN) return std::string();
      return TlsError("tls read failed");
    }
    return std::string(buffer, n);
  }

 private:
  std::unique_ptr<SSL_CTX, CtxDeleter> ctx_;
  std::unique_ptr<SSL, SslDeleter> ssl_;
  int fd_;
};

Result<int> ConnectTcp(const std::string& host, std::uint16_t port,
                       std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (getaddrinfo(host.c_str(), service.c_str(), &hints, &found) != 0 || found == nullptr) {
    return MakeError(Errc::kUnavailable, fmt::format("cannot resolve {}", host));
  }
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> owned(found, freeaddrinfo);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) return fd;
    close(fd);
  }
  return MakeError(Errc::kUnavailable, fmt::format("cannot connect to {}:{}", host, port));
}

}  // namespace

Result<std::unique_ptr<TlsConnection>> ConnectTls(const TlsClientFiles& files,
                                                  const std::string& host, std::uint16_t port,
                                                  std::chrono::milliseconds timeout) {
  std::unique_ptr<SSL_CTX, CtxDeleter> ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return TlsError("tls: no context");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  if (SSL_CTX_load_verify_locations(ctx.get(), files.ca.c_str(), nullptr) != 1) {
    return TlsError("tls: cannot load ca_cert");
  }
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), files.cert.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx.get(), files.key.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx.get()) != 1) {
    return TlsError("tls: cannot load the agent certificate or key");
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  auto fd = ConnectTcp(host, port, timeout);
  if (!fd) return fd.error();
  std::unique_ptr<SSL, SslDeleter> ssl(SSL_new(ctx.get()));
  if (!ssl) {
    close(*fd);
    return TlsError("tls: no session");
  }
  in6_addr ip6{};
  in_addr ip4{};
  const bool is_ip = inet_pton(AF_INET, host.c_str(), &ip4) == 1 ||
                     inet_pton(AF_INET6, host.c_str(), &ip6) == 1;
  if (is_ip) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), host.c_str());
  } else {
    SSL_ctrl(ssl.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(host.c_str()));
    SSL_set1_host(ssl.get(), host.c_str());
  }
  SSL_set_fd(ssl.get(), *fd);
  if (SSL_connect(ssl.get()) != 1) {
    close(*fd);
    return TlsError(fmt::format("tls handshake with {}:{} failed", host, port));
  }
  return std::unique_ptr<TlsConnection>(
      std::make_unique<OpenSslConnection>(std::move(ctx), std::move(ssl), *fd));
}

}  // namespace safedesk::agent
