#pragma once
// Byte encodings used in formats and URLs: lower-case hex, base64url without padding
// (RFC 4648 §5), standard base64 and base32 (RFC 4648 §6, for TOTP secrets).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace safedesk {

std::string HexEncode(std::span<const std::uint8_t> bytes);
std::optional<std::vector<std::uint8_t>> HexDecode(std::string_view hex);

std::string Base64UrlEncode(std::span<const std::uint8_t> bytes);
// Accepts input with or without '=' padding; rejects any other character.
std::optional<std::vector<std::uint8_t>> Base64UrlDecode(std::string_view text);

std::string Base64Encode(std::span<const std::uint8_t> bytes);
std::optional<std::vector<std::uint8_t>> Base64Decode(std::string_view text);

std::string Base32Encode(std::span<const std::uint8_t> bytes);  // no padding
std::optional<std::vector<std::uint8_t>> Base32Decode(std::string_view text);

inline std::span<const std::uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsText(std::span<const std::uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace safedesk
