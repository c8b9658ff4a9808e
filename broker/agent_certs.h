#pragma once
// Per-desktop agent certificates. The broker binds an agent to its desktop by the
// certificate's CN "agent-<desktop id>" (component_agent.cc), so each sandbox desktop gets
// its own: a fresh ECDSA P-256 key and a certificate (clientAuth, CA:FALSE) signed by the
// deployment's agent issuer (broker.agent_issuer_cert/key: client_ca or a CA under it),
// handed to that desktop only, through the sandbox helper, and gone with the desktop.

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/random.h"
#include "common/result.h"
#include "common/secret.h"

namespace safedesk::broker {

struct AgentCredentials {
  std::string cert_pem;  // the leaf, then the issuer's certificate (the chain the peer needs)
  Secret key_pem;        // PKCS#8; never logged
};

class AgentCertIssuer {
 public:
  // Errors name the file; kInvalidArgument when the key does not match the certificate or
  // the certificate is not a CA.
  static Result<std::unique_ptr<AgentCertIssuer>> Load(const std::filesystem::path& cert,
                                                        const std::filesystem::path& key, const Clock& clock,
                                                        std::chrono::seconds lifetime);
  ~AgentCertIssuer();
  AgentCertIssuer(const AgentCertIssuer&) = delete;
  AgentCertIssuer& operator=(const AgentCertIssuer&) = delete;

  // A certificate for CN "agent-<desktop_id>", valid from a minute ago for `lifetime`.
  Result<AgentCredentials> Issue(std::string_view desktop_id, Random& random) const;

 private:
  struct Keys;
  AgentCertIssuer(std::unique_ptr<Keys> keys, const Clock& clock, std::chrono::seconds lifetime);

  std::unique_ptr<Keys> keys_;
  const Clock& clock_;
  std::chrono::seconds lifetime_;
};

}  // namespace safedesk::broker
