#include "auth/ticket_issuer.h"

#include <utility>

namespace safedesk::auth {

TicketIssuer::TicketIssuer(Ed25519PrivateKey key, TicketOptions options, const Clock& clock, Random& random)
    : key_(std::move(key)), options_(std::move(options)), clock_(&clock), random_(&random) {}

Result<IssuedTicket> TicketIssuer::Issue(const TicketRequest& request) const {
  Ticket ticket;
  ticket.session_id = request.session_id;
  ticket.researcher = request.researcher;
  ticket.vm_endpoint = request.vm_endpoint;
  ticket.source_address = request.source_address;
  ticket.grant_digest = request.grant_digest;
  ticket.audience = options_.audience;
  ticket.issued_at = UnixSeconds(clock_->Now());
  ticket.expires_at = ticket.issued_at + options_.ttl.count();
  auto nonce = random_->Bytes(kTicketNonceSize);
  if (!nonce.ok()) return nonce.error();
  ticket.nonce = std::move(*nonce);

  auto payload = EncodeTicketPayload(ticket);
  if (!payload.ok()) return payload.error();
  SignedTicket signed_ticket;
  signed_ticket.signature = key_.Sign(TicketSigningMessage(*payload));
  signed_ticket.payload = std::move(*payload);
  std::string text = JoinTicket(signed_ticket);
  IssuedTicket out{Secret(std::string_view(text)), std::move(ticket)};
  WipeBytes(text.data(), text.size());
  return out;
}

}  // namespace safedesk::auth
