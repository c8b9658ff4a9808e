#pragma once
// In-memory ECDSA P-256 certificates for TLS tests: a CA, a server certificate for
// localhost/127.0.0.1 and client certificates, all signed by that CA.

#include <string>

namespace safedesk::testing {

struct TestCertificate {
  std::string certificate_pem;
  std::string private_key_pem;
};

struct TestPki {
  TestCertificate ca;
  // CN=localhost, SAN DNS:localhost, IP:127.0.0.1 and IP:10.77.0.1 (the sandboxes'
  // gateway address, where in-sandbox agents reach the broker and gateway).
  TestCertificate server;
  TestCertificate Client(const std::string& common_name) const;  // clientAuth
};

// A fresh PKI; each call generates new keys.
TestPki MakeTestPki();

}  // namespace safedesk::testing
