#pragma once
// COSE_Key public keys (RFC 9052 §7, RFC 9053) as authenticators emit them in attested
// credential data, limited to what safedesk accepts: ES256 (EC2, P-256), EdDSA (OKP,
// Ed25519) and RS256 (RSA, 2048-bit modulus, e = 65537). The stored form of a credential
// is the COSE_Key bytes as received; this parser turns them into the raw key material
// libfido2 wants.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "auth/webauthn_reason.h"

namespace safedesk::auth {

inline constexpr int kCoseEs256 = -7;
inline constexpr int kCoseEdDsa = -8;
inline constexpr int kCoseRs256 = -257;

// "ES256", "EdDSA", "RS256" or "unknown".
std::string_view CoseAlgorithmName(int alg);

struct CosePublicKey {
  int alg = 0;
  // ES256: x || y (64 bytes); EdDSA: the 32-byte point; RS256: n (256) || e (3).
  std::vector<std::uint8_t> raw;
};

// `cose` must hold exactly one COSE_Key map. malformed when it is not a well-formed key,
// unsupported_algorithm when it is a key of another algorithm, curve or size.
Checked<CosePublicKey> ParseCosePublicKey(std::span<const std::uint8_t> cose);

}  // namespace safedesk::auth
