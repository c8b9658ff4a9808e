#pragma once
// The far side of the agent's two mutual-TLS connections in its tests (the broker's
// component API, the gateway's mask feed): a loopback listener that requires a client
// certificate from the test CA and hands each accepted TLS connection to `serve`, one
// at a time, on its own thread. Bounded: the accept loop waits 100 ms at a time and
// stops in the destructor.

#include <openssl/ssl.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "tests/testing/tls_test_certs.h"

namespace safedesk::testing {

class MtlsTestListener {
 public:
  // `read_timeout`: SO_RCVTIMEO of each accepted connection. `host`: an IPv4 address,
  // bound even before it exists (IP_FREEBIND: the sandbox helper adds 10.77.0.1 later).
  MtlsTestListener(const TestPki& pki, std::chrono::milliseconds read_timeout, std::function<void(SSL*)> serve,
                   const std::string& host = "127.0.0.1");
  ~MtlsTestListener();
  MtlsTestListener(const MtlsTestListener&) = delete;
  MtlsTestListener& operator=(const MtlsTestListener&) = delete;

  std::uint16_t port() const { return port_; }
  // The subject CN of the connection's client certificate ("" without one).
  static std::string PeerCommonName(SSL* ssl);
  bool stopping() const { return stop_; }

 private:
  void Serve();

  std::function<void(SSL*)> serve_;
  std::chrono::milliseconds read_timeout_;
  SSL_CTX* ctx_ = nullptr;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace safedesk::testing
