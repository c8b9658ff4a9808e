#include "auth/webauthn_cose.h"

#include <cbor.h>

#include <algorithm>
#include <optional>

#include "auth/webauthn_cbor.h"
#include "auth/webauthn_limits.h"

namespace safedesk::auth {
namespace {

namespace cb = webauthn_cbor;

// COSE labels and values (IANA COSE registries).
constexpr std::int64_t kLabelKty = 1;
constexpr std::int64_t kLabelAlg = 3;
constexpr std::int64_t kLabelCrvOrN = -1;  // EC2/OKP: crv; RSA: n
constexpr std::int64_t kLabelXOrE = -2;    // EC2/OKP: x;   RSA: e
constexpr std::int64_t kLabelY = -3;
constexpr std::int64_t kKtyOkp = 1;
constexpr std::int64_t kKtyEc2 = 2;
constexpr std::int64_t kKtyRsa = 3;
constexpr std::int64_t kCrvP256 = 1;
constexpr std::int64_t kCrvEd25519 = 6;
constexpr std::size_t kP256CoordinateBytes = 32;
constexpr std::size_t kEd25519KeyBytes = 32;
constexpr std::size_t kRsaModulusBytes = 256;  // RS256 keys must be exactly 2048-bit
constexpr std::uint8_t kRsaExponent[] = {0x01, 0x00, 0x01};

std::optional<std::span<const std::uint8_t>> BytesOfLength(const cbor_item_t* map, std::int64_t label,
                                                           std::size_t length) {
  auto bytes = cb::BytesOf(cb::FindInt(map, label));
  if (!bytes || bytes->size() != length) return std::nullopt;
  return bytes;
}

Checked<CosePublicKey> ParseEs256(const cbor_item_t* map) {
  if (cb::IntOf(cb::FindInt(map, kLabelKty)) != kKtyEc2) return WebAuthnReason::kMalformed;
  if (cb::IntOf(cb::FindInt(map, kLabelCrvOrN)) != kCrvP256) return WebAuthnReason::kUnsupportedAlgorithm;
  auto x = BytesOfLength(map, kLabelXOrE, kP256CoordinateBytes);
  auto y = BytesOfLength(map, kLabelY, kP256CoordinateBytes);
  if (!x || !y) return WebAuthnReason::kMalformed;
  CosePublicKey key{kCoseEs256, {x->begin(), x->end()}};
  key.raw.insert(key.raw.end(), y->begin(), y->end());
  return key;
}

Checked<CosePublicKey> ParseEdDsa(const cbor_item_t* map) {
  if (cb::IntOf(cb::FindInt(map, kLabelKty)) != kKtyOkp) return WebAuthnReason::kMalformed;
  if (cb::IntOf(cb::FindInt(map, kLabelCrvOrN)) != kCrvEd25519) return WebAuthnReason::kUnsupportedAlgorithm;
  auto x = BytesOfLength(map, kLabelXOrE, kEd25519KeyBytes);
  if (!x) return WebAuthnReason::kMalformed;
  return CosePublicKey{kCoseEdDsa, {x->begin(), x->end()}};
}

Checked<CosePublicKey> ParseRs256(const cbor_item_t* map) {
  if (cb::IntOf(cb::FindInt(map, kLabelKty)) != kKtyRsa) return WebAuthnReason::kMalformed;
  auto n = cb::BytesOf(cb::FindInt(map, kLabelCrvOrN));
  auto e = cb::BytesOf(cb::FindInt(map, kLabelXOrE));
  if (!n || !e) return WebAuthnReason::kMalformed;
  // 2048-bit exactly: 256 bytes with the top bit set (no leading zero bytes in COSE).
  if (n->size() != kRsaModulusBytes || ((*n)[0] & 0x80) == 0) return WebAuthnReason::kUnsupportedAlgorithm;
  if (!std::equal(e->begin(), e->end(), std::begin(kRsaExponent), std::end(kRsaExponent))) {
    return WebAuthnReason::kUnsupportedAlgorithm;
  }
  CosePublicKey key{kCoseRs256, {n->begin(), n->end()}};
  key.raw.insert(key.raw.end(), e->begin(), e->end());
  return key;
}

}  // namespace

std::string_view CoseAlgorithmName(int alg) {
  switch (alg) {
    case kCoseEs256: return "ES256";
    case kCoseEdDsa: return "EdDSA";
    case kCoseRs256: return "RS256";
    default: return "unknown";
  }
}

Checked<CosePublicKey> ParseCosePublicKey(std::span<const std::uint8_t> cose) {
  if (cose.size() > kMaxCoseKeyBytes) return WebAuthnReason::kTooLarge;
  cb::Item map = cb::LoadCborExact(cose);
  if (!map || !cbor_isa_map(map.get()) || !cb::KeysUnique(map.get())) return WebAuthnReason::kMalformed;
  const std::optional<std::int64_t> alg = cb::IntOf(cb::FindInt(map.get(), kLabelAlg));
  if (!alg) return WebAuthnReason::kMalformed;
  switch (*alg) {
    case kCoseEs256: return ParseEs256(map.get());
    case kCoseEdDsa: return ParseEdDsa(map.get());
    case kCoseRs256: return ParseRs256(map.get());
    default: return WebAuthnReason::kUnsupportedAlgorithm;
  }
}

}  // namespace safedesk::auth
