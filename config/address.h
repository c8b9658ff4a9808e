#pragma once
// Network values found in the configuration: IP addresses, CIDR ranges, host:port pairs
// and https URLs. Parsers are strict: a value an operator may have mistyped is an error,
// never a guess.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace safedesk::config {

struct IpAddress {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};  // IPv4 uses the first four

  std::string ToString() const;
  bool operator==(const IpAddress&) const = default;
};

// "192.0.2.1" or "2001:db8::1" (no brackets, no zone id). An IPv4-mapped IPv6 address
// (::ffff:192.0.2.1) stays IPv6 here; Cidr::Contains maps it back.
Result<IpAddress> ParseIpAddress(std::string_view text);

struct Cidr {
  IpAddress network;  // host bits are always zero: ParseCidr rejects anything else
  int prefix_length = 0;

  // A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; those match IPv4 ranges,
  // so an allowlist written in IPv4 works whichever way the listener was bound.
  bool Contains(const IpAddress& address) const;
  // False for text that is not an address.
  bool Contains(std::string_view address) const;
  std::string ToString() const;
  bool operator==(const Cidr&) const = default;
};

// "10.0.0.0/8", "fd00::/64". The prefix is required (write /32 or /128 for one address).
// Host bits set ("10.0.0.1/8") are rejected: in an allowlist the operator meant either
// the network or the single address, and guessing wrong widens or narrows access.
Result<Cidr> ParseCidr(std::string_view text);

// 1-65535.
Result<std::uint16_t> ParsePort(std::string_view text);

// RFC 1123 host name: dot-separated labels of letters, digits and '-', at most 253 bytes.
bool IsValidHostname(std::string_view text);

struct HostPort {
  std::string host;  // an IPv4 address, an IPv6 address without brackets, or a host name
  std::uint16_t port = 0;

  // Brackets IPv6 hosts: "[::1]:8443".
  std::string ToString() const;
  bool operator==(const HostPort&) const = default;
};

enum class PortZero {
  kReject,
  kAllow,  // listen addresses only: port 0 lets the kernel pick (tests bind this way)
};

// "127.0.0.1:8443", "[::1]:8443", "gateway.example.org:8444".
Result<HostPort> ParseHostPort(std::string_view text, PortZero port_zero = PortZero::kReject);

struct HttpsUrl {
  std::string host;  // without brackets
  std::uint16_t port = 443;
  std::string path;  // empty or starting with '/'
};

// "https://host[:port][/path]". Plain http is refused: every safedesk link is TLS.
// No user info, query or fragment: none has a use in a service address.
Result<HttpsUrl> ParseHttpsUrl(std::string_view text);

// A WebAuthn origin: an https URL with no path, e.g. "https://localhost:8443".
Result<HttpsUrl> ParseOrigin(std::string_view text);

}  // namespace safedesk::config
