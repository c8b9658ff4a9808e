#pragma once
// The gateway ticket: what the broker hands a browser so it can open the gateway once.
// Both the broker (issuer) and the gateway (redeemer) link this; the format is written
// down in TICKET_FORMAT.md and this code follows it. Signing and redeeming live in auth/.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/crypto.h"
#include "common/result.h"

namespace safedesk {

// Caps, each with the reason for its size (TICKET_FORMAT.md repeats them).
// Session ids are 128-bit values in hex or UUID form (32-36 chars); 64 leaves room.
inline constexpr std::size_t kMaxTicketSessionIdSize = 64;
// Login names are short (POSIX suggests 32); 128 allows e-mail-style names.
inline constexpr std::size_t kMaxTicketResearcherSize = 128;
// host:port where host is a DNS name (253) or a bracketed IPv6 literal, port 5 digits.
inline constexpr std::size_t kMaxTicketVmEndpointSize = 261;
// Textual IPv6 with a zone id stays under 64.
inline constexpr std::size_t kMaxTicketSourceAddressSize = 64;
// Audiences are short fixed words ("gateway").
inline constexpr std::size_t kMaxTicketAudienceSize = 32;
// 16 bytes make guessing or colliding hopeless; more than 32 buys nothing.
inline constexpr std::size_t kMinTicketNonceSize = 16;
inline constexpr std::size_t kMaxTicketNonceSize = 32;

inline constexpr std::uint8_t kTicketVersion = 1;
// Largest payload the caps allow: version, five u16-prefixed strings, digest, two i64
// times, u8-prefixed nonce.
inline constexpr std::size_t kMaxTicketPayloadSize =
    1 + 5 * 2 + kMaxTicketSessionIdSize + kMaxTicketResearcherSize + kMaxTicketVmEndpointSize +
    kMaxTicketSourceAddressSize + kMaxTicketAudienceSize + 32 + 8 + 8 + 1 + kMaxTicketNonceSize;
// Whole ticket text: "v1." + base64url(payload) + "." + base64url(signature). A ticket
// travels in a URL or a WebSocket message, so anything longer is refused before decoding.
inline constexpr std::size_t kMaxTicketSize = 3 + (kMaxTicketPayloadSize * 4 + 2) / 3 + 1 + 86;
static_assert(kMaxTicketSize <= 1024, "a ticket must fit comfortably in a URL");

struct Ticket {
  std::string session_id;
  std::string researcher;
  std::string vm_endpoint;     // host:port of the VM's RDP endpoint
  std::string source_address;  // the researcher's (VPN) address the broker saw
  Sha256Digest grant_digest{};  // SHA-256 of the canonical SessionGrant JSON
  std::int64_t issued_at = 0;   // Unix seconds
  std::int64_t expires_at = 0;  // Unix seconds; the ticket is void at and after this
  std::vector<std::uint8_t> nonce;
  std::string audience;

  bool operator==(const Ticket&) const = default;
};

// The binary payload (TICKET_FORMAT.md). Encoding refuses a ticket that breaks a cap or
// a field rule, so the issuer cannot produce what the redeemer would refuse.
Result<std::vector<std::uint8_t>> EncodeTicketPayload(const Ticket& ticket);
// Errors: kLimitExceeded when a cap is broken, kInvalidArgument for anything else.
Result<Ticket> DecodeTicketPayload(std::span<const std::uint8_t> payload);

// The bytes the Ed25519 signature covers: a domain-separation label, then the payload.
std::vector<std::uint8_t> TicketSigningMessage(std::span<const std::uint8_t> payload);

struct SignedTicket {
  std::vector<std::uint8_t> payload;
  Ed25519Signature signature{};
};
std::string JoinTicket(const SignedTicket& ticket);
// Splits and decodes the ticket text; does not verify. Errors as for DecodeTicketPayload.
Result<SignedTicket> SplitTicket(std::string_view text);

}  // namespace safedesk
