#include "auth/ticket_redeemer.h"

#include <fmt/format.h>

namespace safedesk::auth {

std::string_view TicketRejectionName(TicketRejection rejection) {
  switch (rejection) {
    case TicketRejection::kMalformed: return "malformed";
    case TicketRejection::kTooLarge: return "too_large";
    case TicketRejection::kBadSignature: return "bad_signature";
    case TicketRejection::kWrongAudience: return "wrong_audience";
    case TicketRejection::kNotYetValid: return "not_yet_valid";
    case TicketRejection::kExpired: return "expired";
    case TicketRejection::kWrongSource: return "wrong_source";
    case TicketRejection::kReplayed: return "replayed";
    case TicketRejection::kNonceCacheFull: return "nonce_cache_full";
  }
  return "unknown";
}

UsedNonceCache::Outcome UsedNonceCache::Use(std::span<const std::uint8_t> nonce, std::int64_t expires_at,
                                            std::int64_t now) {
  std::vector<std::uint8_t> key(nonce.begin(), nonce.end());
  std::lock_guard lock(mu_);
  DropExpiredLocked(now);
  if (expiry_by_nonce_.contains(key)) return Outcome::kReplayed;
  if (expiry_by_nonce_.size() >= capacity_) return Outcome::kFull;
  expiry_by_nonce_.emplace(key, expires_at);
  by_expiry_.emplace(expires_at, std::move(key));
  return Outcome::kFresh;
}

std::size_t UsedNonceCache::size() const {
  std::lock_guard lock(mu_);
  return expiry_by_nonce_.size();
}

void UsedNonceCache::DropExpiredLocked(std::int64_t now) {
  while (!by_expiry_.empty() && by_expiry_.begin()->first <= now) {
    expiry_by_nonce_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
  }
}

Redemption Redemption::Accepted(Ticket ticket) {
  Redemption r;
  r.ticket_ = std::move(ticket);
  return r;
}

Redemption Redemption::Rejected(TicketRejection rejection) {
  Redemption r;
  r.rejection_ = rejection;
  return r;
}

Error Redemption::ToError() const {
  Errc code = Errc::kInternal;
  switch (rejection_) {
    case TicketRejection::kMalformed: code = Errc::kInvalidArgument; break;
    case TicketRejection::kTooLarge: code = Errc::kLimitExceeded; break;
    case TicketRejection::kBadSignature: code = Errc::kUnauthenticated; break;
    case TicketRejection::kWrongAudience: code = Errc::kPermissionDenied; break;
    case TicketRejection::kNotYetValid: code = Errc::kExpired; break;
    case TicketRejection::kExpired: code = Errc::kExpired; break;
    case TicketRejection::kWrongSource: code = Errc::kPermissionDenied; break;
    case TicketRejection::kReplayed: code = Errc::kReplay; break;
    case TicketRejection::kNonceCacheFull: code = Errc::kUnavailable; break;
  }
  return MakeError(code, fmt::format("ticket rejected: {}", TicketRejectionName(rejection_)));
}

TicketRedeemer::TicketRedeemer(Ed25519PublicKey broker_key, TicketOptions options, const Clock& clock)
    : broker_key_(broker_key), options_(std::move(options)), clock_(&clock),
      used_(options_.nonce_cache_capacity) {}

std::optional<TicketRejection> TicketRedeemer::CheckClaims(const Ticket& ticket, std::string_view peer_address,
                                                           std::int64_t now) const {
  if (ticket.audience != options_.audience) return TicketRejection::kWrongAudience;
  // A lifetime longer than we would issue means a misconfigured or compromised issuer;
  // refusing it keeps the nonce cache's retention bounded by our own ttl.
  if (ticket.expires_at - ticket.issued_at > options_.ttl.count()) return TicketRejection::kMalformed;
  // Skew is allowed only for an issuer clock running ahead; expiry is strict.
  if (ticket.issued_at > now + options_.max_clock_skew.count()) return TicketRejection::kNotYetValid;
  if (now >= ticket.expires_at) return TicketRejection::kExpired;
  if (ticket.source_address != peer_address) return TicketRejection::kWrongSource;
  return std::nullopt;
}

Redemption TicketRedeemer::Redeem(std::string_view text, std::string_view peer_address) {
  auto split = SplitTicket(text);
  if (!split.ok()) {
    return Redemption::Rejected(split.error().code == Errc::kLimitExceeded ? TicketRejection::kTooLarge
                                                                           : TicketRejection::kMalformed);
  }
  // The signature is checked before any field is decoded or believed.
  if (!broker_key_.Verify(TicketSigningMessage(split->payload), split->signature)) {
    return Redemption::Rejected(TicketRejection::kBadSignature);
  }
  auto ticket = DecodeTicketPayload(split->payload);
  if (!ticket.ok()) {
    return Redemption::Rejected(ticket.error().code == Errc::kLimitExceeded ? TicketRejection::kTooLarge
                                                                            : TicketRejection::kMalformed);
  }
  const std::int64_t now = UnixSeconds(clock_->Now());
  if (auto rejection = CheckClaims(*ticket, peer_address, now)) return Redemption::Rejected(*rejection);
  switch (used_.Use(ticket->nonce, ticket->expires_at, now)) {
    case UsedNonceCache::Outcome::kFresh: return Redemption::Accepted(std::move(*ticket));
    case UsedNonceCache::Outcome::kReplayed: return Redemption::Rejected(TicketRejection::kReplayed);
    case UsedNonceCache::Outcome::kFull: return Redemption::Rejected(TicketRejection::kNonceCacheFull);
  }
  return Redemption::Rejected(TicketRejection::kMalformed);
}

}  // namespace safedesk::auth
