#pragma once
// Signs gateway tickets (format: common/TICKET_FORMAT.md). The broker holds the Ed25519
// private key; the gateway's TicketRedeemer holds only the public key.

#include <chrono>
#include <string>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/random.h"
#include "common/result.h"
#include "common/secret.h"
#include "common/ticket.h"

namespace safedesk::auth {

struct TicketOptions {
  // A ticket is used within seconds of being handed out; short makes theft worthless.
  std::chrono::seconds ttl{30};
  std::string audience = "gateway";
  // Redeemer only: how far the issuer's clock may run ahead of the redeemer's.
  std::chrono::seconds max_clock_skew{5};
  // Redeemer only: most unexpired nonces remembered; when full, new tickets are refused.
  std::size_t nonce_cache_capacity = 100'000;
};

// What the issuer is told; times, nonce and audience it adds itself.
struct TicketRequest {
  std::string session_id;
  std::string researcher;
  std::string vm_endpoint;
  std::string source_address;
  Sha256Digest grant_digest{};
};

struct IssuedTicket {
  Secret text;    // a bearer credential: hand it to the browser, never log it
  Ticket ticket;  // the decoded fields (loggable; the nonce is not a secret once signed)
};

inline constexpr std::size_t kTicketNonceSize = 16;

class TicketIssuer {
 public:
  TicketIssuer(Ed25519PrivateKey key, TicketOptions options, const Clock& clock, Random& random);

  // Errors: a field breaks a cap or a rule (as EncodeTicketPayload), or randomness failed.
  Result<IssuedTicket> Issue(const TicketRequest& request) const;
  // What a redeemer verifies with, and the options it must share with the issuer.
  const Ed25519PublicKey& public_key() const { return key_.public_key(); }
  const TicketOptions& options() const { return options_; }

 private:
  Ed25519PrivateKey key_;
  TicketOptions options_;
  const Clock* clock_;
  Random* random_;
};

}  // namespace safedesk::auth
