#pragma once
// A small blocking mutual-TLS client: the agent's one thread writes mask lines to the
// gateway and JSON requests to the broker with it. OpenSSL types stay in tls_client.cc.
// TODO(net): move onto net/tls_context.h's client context once that library settles.

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace safedesk::agent {

struct TlsClientFiles {
  std::filesystem::path ca;    // verifies the server
  std::filesystem::path cert;  // this agent's certificate (CN agent-<desktop id>)
  std::filesystem::path key;
};

class TlsConnection {
 public:
  virtual ~TlsConnection() = default;
  // Writes all of `data`; an error means the connection is unusable.
  virtual Result<void> WriteAll(std::string_view data) = 0;
  // Reads what is available, blocking up to the connection's timeout; "" at EOF.
  virtual Result<std::string> ReadSome() = 0;
};

// Connects to host:port, verifies the server's certificate against `files.ca` and its
// name against `host`, and presents this agent's certificate. Every socket operation is
// bounded by `timeout`.
Result<std::unique_ptr<TlsConnection>> ConnectTls(const TlsClientFiles& files,
                                                  const std::string& host, std::uint16_t port,
                                                  std::chrono::milliseconds timeout);

}  // namespace safedesk::agent
