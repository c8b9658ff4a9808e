#include "config/address.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>

#include "config/values.h"

namespace safedesk::config {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool AllDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), IsDigit);
}

Error AddressError(std::string_view what, std::string_view text, std::string_view why = {}) {
  return MakeError(Errc::kInvalidArgument, fmt::format("expected {}, found {}{}{}", what,
                                                       Quote(text), why.empty() ? "" : ": ", why));
}

// ::ffff:a.b.c.d -> a.b.c.d; anything else unchanged.
IpAddress UnmapV4(const IpAddress& address) {
  static constexpr std::array<std::uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0,    0,
                                                                 0, 0, 0, 0, 0xff, 0xff};
  if (!address.v6 ||
      !std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), address.bytes.begin())) {
    return address;
  }
  IpAddress v4;
  std::copy_n(address.bytes.begin() + 12, 4, v4.bytes.begin());
  return v4;
}

// `address` with every bit after the first `prefix` cleared.
IpAddress Masked(const IpAddress& address, int prefix) {
  IpAddress masked{address.v6, {}};
  for (int bit = 0; bit < prefix; ++bit) {
    const auto byte = static_cast<std::size_t>(bit / 8);
    masked.bytes[byte] |= static_cast<std::uint8_t>(address.bytes[byte] & (0x80 >> (bit % 8)));
  }
  return masked;
}

// Splits "host:port" where an IPv6 host is bracketed; false when the shape is wrong.
bool SplitHostPort(std::string_view text, std::string_view& host, std::string_view& port,
                   bool& bracketed) {
  bracketed = !text.empty() && text.front() == '[';
  if (bracketed) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return false;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    return true;
  }
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return false;
  host = text.substr(0, colon);
  port = text.substr(colon + 1);
  return true;
}

// Checks a host taken from an address: bracketed ones must be IPv6, others IPv4 or names.
std::string HostProblem(std::string_view host, bool bracketed) {
  if (host.empty()) return "the host is empty";
  if (bracketed) {
    auto ip = ParseIpAddress(host);
    return ip.ok() && ip->v6 ? "" : "brackets hold an IPv6 address only";
  }
  if (host.find(':') != std::string_view::npos) {
    return "put an IPv6 address in brackets, e.g. \"[::1]:8443\"";
  }
  if (ParseIpAddress(host).ok() || IsValidHostname(host)) return "";
  return "the host is neither an IP address nor a valid host name";
}

}  // namespace

std::string IpAddress::ToString() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buffer, sizeof(buffer));
  return buffer;
}

Result<IpAddress> ParseIpAddress(std::string_view text) {
  // inet_pton needs a terminated string; addresses are short, anything longer is wrong.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) {
    return AddressError("an IP address", text);
  }
  const std::string terminated(text);
  IpAddress address;
  if (::inet_pton(AF_INET, terminated.c_str(), address.bytes.data()) == 1) return address;
  address.v6 = true;
  if (::inet_pton(AF_INET6, terminated.c_str(), address.bytes.data()) == 1) return address;
  return AddressError("an IP address", text);
}

bool Cidr::Contains(const IpAddress& address) const {
  const IpAddress candidate = network.v6 ? address : UnmapV4(address);
  if (candidate.v6 != network.v6) return false;
  return Masked(candidate, prefix_length) == network;
}

bool Cidr::Contains(std::string_view address) const {
  auto parsed = ParseIpAddress(address);
  return parsed.ok() && Contains(*parsed);
}

std::string Cidr::ToString() const {
  return fmt::format("{}/{}", network.ToString(), prefix_length);
}

Result<Cidr> ParseCidr(std::string_view text) {
  constexpr std::string_view kWhat = "a CIDR range such as \"10.0.0.0/8\" or \"fd00::/64\"";
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    return AddressError(kWhat, text, "the /prefix is missing (use /32 or /128 for one address)");
  }
  auto address = ParseIpAddress(text.substr(0, slash));
  if (!address) return AddressError(kWhat, text, "the address part is not an IP address");
  const std::string_view prefix_text = text.substr(slash + 1);
  const int max_prefix = address->v6 ? 128 : 32;
  if (!AllDigits(prefix_text) || prefix_text.size() > 3 ||
      std::stoi(std::string(prefix_text)) > max_prefix) {
    return AddressError(kWhat, text, fmt::format("the prefix must be 0 to {}", max_prefix));
  }
  Cidr cidr{*address, std::stoi(std::string(prefix_text))};
  if (Masked(cidr.network, cidr.prefix_length) != cidr.network) {
    const Cidr network{Masked(cidr.network, cidr.prefix_length), cidr.prefix_length};
    return AddressError(kWhat, text,
                        fmt::format("host bits are set; write {} for the network, or /{} for "
                                    "the single address",
                                    network.ToString(), max_prefix));
  }
  return cidr;
}

Result<std::uint16_t> ParsePort(std::string_view text) {
  if (!AllDigits(text) || text.size() > 5 || std::stoi(std::string(text)) < 1 ||
      std::stoi(std::string(text)) > 65535) {
    return AddressError("a port from 1 to 65535", text);
  }
  return static_cast<std::uint16_t>(std::stoi(std::string(text)));
}

bool IsValidHostname(std::string_view text) {
  if (text.empty() || text.size() > 253) return false;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto dot = std::min(text.find('.', start), text.size());
    const std::string_view label = text.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '-';
      if (!ok) return false;
    }
    start = dot + 1;
  }
  return true;
}

std::string HostPort::ToString() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

Result<HostPort> ParseHostPort(std::string_view text, PortZero port_zero) {
  constexpr std::string_view kWhat =
      "host:port such as \"127.0.0.1:8443\", \"[::1]:8443\" or \"gateway.example.org:8444\"";
  std::string_view host;
  std::string_view port_text;
  bool bracketed = false;
  if (!SplitHostPort(text, host, port_text, bracketed)) {
    return AddressError(kWhat, text, "the :port is missing");
  }
  if (const std::string problem = HostProblem(host, bracketed); !problem.empty()) {
    return AddressError(kWhat, text, problem);
  }
  if (port_zero == PortZero::kAllow && port_text == "0") return HostPort{std::string(host), 0};
  auto port = ParsePort(port_text);
  if (!port) return AddressError(kWhat, text, "the port must be 1 to 65535");
  return HostPort{std::string(host), *port};
}

Result<HttpsUrl> ParseHttpsUrl(std::string_view text) {
  constexpr std::string_view kWhat = "an https URL such as \"https://broker.example.org:8443\"";
  constexpr std::string_view kScheme = "https://";
  if (!text.starts_with(kScheme)) return AddressError(kWhat, text, "it must start with https://");
  std::string_view rest = text.substr(kScheme.size());
  const auto path_start = std::min(rest.find('/'), rest.size());
  const std::string_view authority = rest.substr(0, path_start);
  HttpsUrl url;
  url.path = std::string(rest.substr(path_start));
  if (url.path.find_first_of("?#") != std::string::npos ||
      authority.find('@') != std::string_view::npos) {
    return AddressError(kWhat, text, "user info, query and fragment are not allowed");
  }
  std::string_view host = authority;
  std::string_view port_text;
  bool bracketed = false;
  const bool has_port =
      !authority.ends_with(']') && SplitHostPort(authority, host, port_text, bracketed);
  if (!has_port && authority.starts_with('[')) {
    host = authority.substr(1, authority.size() - 2);
    bracketed = true;
  }
  if (const std::string problem = HostProblem(host, bracketed); !problem.empty()) {
    return AddressError(kWhat, text, problem);
  }
  url.host = std::string(host);
  if (has_port) {
    auto port = ParsePort(port_text);
    if (!port) return AddressError(kWhat, text, "the port must be 1 to 65535");
    url.port = *port;
  }
  return url;
}

Result<HttpsUrl> ParseOrigin(std::string_view text) {
  auto url = ParseHttpsUrl(text);
  if (!url) return url;
  if (!url->path.empty()) {
    return AddressError("an origin such as \"https://localhost:8443\"", text,
                        "an origin has no path, not even a trailing '/'");
  }
  return url;
}

}  // namespace safedesk::config
