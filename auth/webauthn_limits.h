#pragma once
// Every length WebAuthn reads from the wire has a cap here, with the reason for its size.
// A field over its cap is refused as too_large before it is decoded or parsed.

#include <cstddef>

namespace safedesk::auth {

// Browsers write ~150-250 bytes; room for origins with long hosts and future keys.
inline constexpr std::size_t kMaxClientDataJsonBytes = 2048;
// authData (~200 bytes) + attStmt with an x5c chain of a few certificates.
inline constexpr std::size_t kMaxAttestationObjectBytes = 16 * 1024;
// 37 fixed bytes + an extensions map; assertions carry no credential data.
inline constexpr std::size_t kMaxAssertionAuthDataBytes = 1024;
// WebAuthn L2 §5.8.3: credential ids are at most 1023 bytes.
inline constexpr std::size_t kMaxCredentialIdBytes = 1023;
// RSA-2048 signatures are 256 bytes, DER ECDSA P-256 at most 72, Ed25519 64.
inline constexpr std::size_t kMaxSignatureBytes = 512;
// WebAuthn L2 §5.4.3: user handles are at most 64 bytes.
inline constexpr std::size_t kMaxUserHandleBytes = 64;
// An RSA-2048 COSE key is ~272 bytes; EC2 ~77, OKP ~42.
inline constexpr std::size_t kMaxCoseKeyBytes = 600;
// credProtect, hmac-secret, credBlob, minPinLength fit in a few dozen bytes.
inline constexpr std::size_t kMaxExtensionBytes = 256;
// attestationObject has 3 keys, attStmt up to ~4 (alg, sig, x5c, ...), a COSE key 5;
// a little slack, never thousands.
inline constexpr std::size_t kMaxCborMapEntries = 16;
// x5c: leaf + intermediates.
inline constexpr std::size_t kMaxX5cCertificates = 4;
// Ceremony ids are 16 random bytes, base64url.
inline constexpr std::size_t kMaxCeremonyIdChars = 64;
// A finish request body: the base64url fields above plus JSON punctuation.
inline constexpr std::size_t kMaxFinishRequestBytes = 32 * 1024;
// Credentials one user may hold; bounds allowCredentials and excludeCredentials.
inline constexpr std::size_t kMaxCredentialsPerUser = 32;
// User names are the broker's login names.
inline constexpr std::size_t kMaxUserNameBytes = 128;

}  // namespace safedesk::auth
