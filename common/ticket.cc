#include "common/ticket.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "common/encoding.h"

namespace safedesk {
namespace {

constexpr std::string_view kSigningLabel = "safedesk-ticket-v1";
constexpr std::string_view kTextPrefix = "v1.";

Error Malformed(std::string_view what) {
  return MakeError(Errc::kInvalidArgument, fmt::format("malformed ticket: {}", what));
}
Error TooLarge(std::string_view what, std::size_t cap) {
  return MakeError(Errc::kLimitExceeded, fmt::format("ticket {} longer than {} bytes", what, cap));
}

// Identifiers, addresses and the audience are printable ASCII without spaces; the
// researcher's name may hold spaces and UTF-8 but never control bytes.
bool IsTokenText(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}
bool IsNameText(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    auto b = static_cast<unsigned char>(c);
    return b >= 0x20 && b != 0x7f;
  });
}

// host:port with a decimal port in 1..65535; the gateway connects to exactly this.
bool IsEndpoint(std::string_view s) {
  auto colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view port = s.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port[0] == '0') return false;
  unsigned value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value <= 65535;
}

struct FieldRule {
  const char* name;
  std::size_t cap;
  bool (*valid)(std::string_view);
};
constexpr FieldRule kSessionIdRule{"session_id", kMaxTicketSessionIdSize, IsTokenText};
constexpr FieldRule kResearcherRule{"researcher", kMaxTicketResearcherSize, IsNameText};
constexpr FieldRule kVmEndpointRule{"vm_endpoint", kMaxTicketVmEndpointSize,
                                    [](std::string_view s) { return IsTokenText(s) && IsEndpoint(s); }};
constexpr FieldRule kSourceRule{"source_address", kMaxTicketSourceAddressSize, IsTokenText};
constexpr FieldRule kAudienceRule{"audience", kMaxTicketAudienceSize, IsTokenText};

Result<void> CheckField(const FieldRule& rule, std::string_view value) {
  if (value.size() > rule.cap) return TooLarge(rule.name, rule.cap);
  if (value.empty() || !rule.valid(value)) return Malformed(rule.name);
  return Ok();
}

Result<void> CheckTicket(const Ticket& t) {
  SAFEDESK_TRY(CheckField(kSessionIdRule, t.session_id));
  SAFEDESK_TRY(CheckField(kResearcherRule, t.researcher));
  SAFEDESK_TRY(CheckField(kVmEndpointRule, t.vm_endpoint));
  SAFEDESK_TRY(CheckField(kSourceRule, t.source_address));
  SAFEDESK_TRY(CheckField(kAudienceRule, t.audience));
  if (t.nonce.size() > kMaxTicketNonceSize) return TooLarge("nonce", kMaxTicketNonceSize);
  if (t.nonce.size() < kMinTicketNonceSize) return Malformed("nonce too short");
  if (t.issued_at < 0 || t.expires_at <= t.issued_at) return Malformed("time window");
  return Ok();
}

class PayloadWriter {
 public:
  void U8(std::uint8_t v) { out_.push_back(v); }
  void I64(std::int64_t v) {
    auto u = static_cast<std::uint64_t>(v);
    for (int shift = 56; shift >= 0; shift -= 8) out_.push_back(static_cast<std::uint8_t>(u >> shift));
  }
  void Bytes(std::span<const std::uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void Str16(std::string_view s) {
    out_.push_back(static_cast<std::uint8_t>(s.size() >> 8));
    out_.push_back(static_cast<std::uint8_t>(s.size() & 0xff));
    Bytes(AsBytes(s));
  }
  std::vector<std::uint8_t> Take() { return std::move(out_); }

 private:
  std::vector<std::uint8_t> out_;
};

// Every read checks the remaining length first; a short payload is an error, not a crash.
class PayloadReader {
 public:
  explicit PayloadReader(std::span<const std::uint8_t> in) : in_(in) {}
  bool done() const { return pos_ == in_.size(); }

  std::optional<std::uint8_t> U8() {
    if (in_.size() - pos_ < 1) return std::nullopt;
    return in_[pos_++];
  }
  std::optional<std::int64_t> I64() {
    if (in_.size() - pos_ < 8) return std::nullopt;
    std::uint64_t u = 0;
    for (int i = 0; i < 8; ++i) u = (u << 8) | in_[pos_++];
    return static_cast<std::int64_t>(u);
  }
  std::optional<std::span<const std::uint8_t>> Bytes(std::size_t n) {
    if (in_.size() - pos_ < n) return std::nullopt;
    auto out = in_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  // The cap is checked on the declared length, before anything is copied.
  Result<std::string> Str16(const FieldRule& rule) {
    auto hi = U8();
    auto lo = U8();
    if (!hi || !lo) return Malformed("truncated");
    std::size_t size = (static_cast<std::size_t>(*hi) << 8) | *lo;
    if (size > rule.cap) return TooLarge(rule.name, rule.cap);
    auto bytes = Bytes(size);
    if (!bytes) return Malformed("truncated");
    return std::string(AsText(*bytes));
  }

 private:
  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
};

Result<void> ReadStrings(PayloadReader& r, Ticket& t) {
  const std::pair<const FieldRule*, std::string*> fields[] = {
      {&kSessionIdRule, &t.session_id}, {&kResearcherRule, &t.researcher}, {&kVmEndpointRule, &t.vm_endpoint},
      {&kSourceRule, &t.source_address}, {&kAudienceRule, &t.audience}};
  for (const auto& [rule, value] : fields) {
    auto s = r.Str16(*rule);
    if (!s.ok()) return s.error();
    *value = std::move(*s);
  }
  return Ok();
}

Result<void> ReadFixed(PayloadReader& r, Ticket& t) {
  auto digest = r.Bytes(t.grant_digest.size());
  auto issued = r.I64();
  auto expires = r.I64();
  auto nonce_size = r.U8();
  if (!digest || !issued || !expires || !nonce_size) return Malformed("truncated");
  if (*nonce_size > kMaxTicketNonceSize) return TooLarge("nonce", kMaxTicketNonceSize);
  auto nonce = r.Bytes(*nonce_size);
  if (!nonce) return Malformed("truncated");
  std::copy(digest->begin(), digest->end(), t.grant_digest.begin());
  t.issued_at = *issued;
  t.expires_at = *expires;
  t.nonce.assign(nonce->begin(), nonce->end());
  return Ok();
}

// Strict base64url: no padding, and the text must be the canonical encoding of what it
// decodes to, so one ticket has exactly one spelling.
std::optional<std::vector<std::uint8_t>> DecodeStrict(std::string_view text) {
  if (text.find('=') != std::string_view::npos) return std::nullopt;
  auto bytes = Base64UrlDecode(text);
  if (!bytes || Base64UrlEncode(*bytes) != text) return std::nullopt;
  return bytes;
}

}  // namespace

Result<std::vector<std::uint8_t>> EncodeTicketPayload(const Ticket& ticket) {
  SAFEDESK_TRY(CheckTicket(ticket));
  PayloadWriter w;
  w.U8(kTicketVersion);
  w.Str16(ticket.session_id);
  w.Str16(ticket.researcher);
  w.Str16(ticket.vm_endpoint);
  w.Str16(ticket.source_address);
  w.Str16(ticket.audience);
  w.Bytes(ticket.grant_digest);
  w.I64(ticket.issued_at);
  w.I64(ticket.expires_at);
  w.U8(static_cast<std::uint8_t>(ticket.nonce.size()));
  w.Bytes(ticket.nonce);
  return w.Take();
}

Result<Ticket> DecodeTicketPayload(std::span<const std::uint8_t> payload) {
  if (payload.size() > kMaxTicketPayloadSize) return TooLarge("payload", kMaxTicketPayloadSize);
  PayloadReader r(payload);
  auto version = r.U8();
  if (!version) return Malformed("truncated");
  if (*version != kTicketVersion) return Malformed("unknown version");
  Ticket t;
  SAFEDESK_TRY(ReadStrings(r, t));
  SAFEDESK_TRY(ReadFixed(r, t));
  if (!r.done()) return Malformed("trailing bytes");
  SAFEDESK_TRY(CheckTicket(t));
  return t;
}

std::vector<std::uint8_t> TicketSigningMessage(std::span<const std::uint8_t> payload) {
  std::vector<std::uint8_t> message(kSigningLabel.begin(), kSigningLabel.end());
  message.push_back(0);  // the label can never run into the payload
  message.insert(message.end(), payload.begin(), payload.end());
  return message;
}

std::string JoinTicket(const SignedTicket& ticket) {
  return fmt::format("{}{}.{}", kTextPrefix, Base64UrlEncode(ticket.payload), Base64UrlEncode(ticket.signature));
}

Result<SignedTicket> SplitTicket(std::string_view text) {
  if (text.size() > kMaxTicketSize) return TooLarge("text", kMaxTicketSize);
  if (!text.starts_with(kTextPrefix)) return Malformed("unknown version");
  text.remove_prefix(kTextPrefix.size());
  auto dot = text.find('.');
  if (dot == std::string_view::npos) return Malformed("no signature");
  auto payload = DecodeStrict(text.substr(0, dot));
  auto signature = DecodeStrict(text.substr(dot + 1));
  if (!payload || !signature) return Malformed("bad base64url");
  if (signature->size() != Ed25519Signature{}.size()) return Malformed("signature size");
  if (payload->size() > kMaxTicketPayloadSize) return TooLarge("payload", kMaxTicketPayloadSize);
  SignedTicket out;
  out.payload = std::move(*payload);
  std::copy(signature->begin(), signature->end(), out.signature.begin());
  return out;
}

}  // namespace safedesk
