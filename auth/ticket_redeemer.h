#pragma once
// Redeems gateway tickets: signature (broker's public key), audience, time window, the
// connecting address, then single use. A rejected ticket never consumes its nonce; an
// accepted one can never be accepted again while it is unexpired, which is the only time
// it could be. Format: common/TICKET_FORMAT.md.

#include <cassert>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/ticket_issuer.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/result.h"
#include "common/ticket.h"

namespace safedesk::auth {

// Why a ticket was refused. Names are stable (logs, audit "ticket.rejected" reasons).
enum class TicketRejection {
  kMalformed,
  kTooLarge,
  kBadSignature,
  kWrongAudience,
  kNotYetValid,
  kExpired,
  kWrongSource,
  kReplayed,
  kNonceCacheFull,
};
std::string_view TicketRejectionName(TicketRejection rejection);

// Nonces of redeemed tickets, each kept until its ticket expires. Thread-safe. Bounded:
// when full of unexpired nonces it refuses new ones rather than forget any, because a
// forgotten nonce is a replayable ticket (fail closed).
class UsedNonceCache {
 public:
  enum class Outcome { kFresh, kReplayed, kFull };

  explicit UsedNonceCache(std::size_t capacity) : capacity_(capacity) {}

  // Records `nonce` as used until `expires_at` (Unix seconds). Entries whose expiry is at
  // or before `now` are dropped first: their tickets are refused as expired anyway.
  Outcome Use(std::span<const std::uint8_t> nonce, std::int64_t expires_at, std::int64_t now);
  std::size_t size() const;

 private:
  void DropExpiredLocked(std::int64_t now);

  mutable std::mutex mu_;
  std::size_t capacity_;
  std::map<std::vector<std::uint8_t>, std::int64_t> expiry_by_nonce_;
  std::set<std::pair<std::int64_t, std::vector<std::uint8_t>>> by_expiry_;
};

// Either the redeemed ticket or the reason it was refused.
class [[nodiscard]] Redemption {
 public:
  static Redemption Accepted(Ticket ticket);
  static Redemption Rejected(TicketRejection rejection);

  bool ok() const { return ticket_.has_value(); }
  const Ticket& ticket() const {
    assert(ok());
    return *ticket_;
  }
  TicketRejection rejection() const { return rejection_; }
  // The same outcome in the shared vocabulary: "ticket rejected: <name>".
  Error ToError() const;

 private:
  std::optional<Ticket> ticket_;
  TicketRejection rejection_ = TicketRejection::kMalformed;
};

class TicketRedeemer {
 public:
  TicketRedeemer(Ed25519PublicKey broker_key, TicketOptions options, const Clock& clock);

  // `peer_address` is the address the gateway sees the client connect from; it must be
  // the ticket's source address.
  Redemption Redeem(std::string_view text, std::string_view peer_address);

  std::size_t remembered_nonces() const { return used_.size(); }

 private:
  std::optional<TicketRejection> CheckClaims(const Ticket& ticket, std::string_view peer_address,
                                             std::int64_t now) const;

  Ed25519PublicKey broker_key_;
  TicketOptions options_;
  const Clock* clock_;
  UsedNonceCache used_;
};

}  // namespace safedesk::auth
