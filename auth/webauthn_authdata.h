#pragma once
// Authenticator data (WebAuthn L2 §6.1):
//   rpIdHash(32) | flags(1) | signCount(4, big-endian)
//   | [AT: aaguid(16) | credentialIdLength(2, BE) | credentialId | COSE_Key]
//   | [ED: extensions, one CBOR map]
// Every byte must belong to one of these parts: trailing bytes are malformed.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "auth/webauthn_cose.h"
#include "auth/webauthn_reason.h"

namespace safedesk::auth {

inline constexpr std::uint8_t kFlagUserPresent = 0x01;
inline constexpr std::uint8_t kFlagUserVerified = 0x04;
inline constexpr std::uint8_t kFlagBackupEligible = 0x08;
inline constexpr std::uint8_t kFlagBackedUp = 0x10;
inline constexpr std::uint8_t kFlagAttestedCredential = 0x40;
inline constexpr std::uint8_t kFlagExtensions = 0x80;

inline constexpr std::size_t kRpIdHashBytes = 32;
inline constexpr std::size_t kAuthDataFixedBytes = 37;  // rpIdHash + flags + signCount
inline constexpr std::size_t kFlagsOffset = 32;
inline constexpr std::size_t kSignCountOffset = 33;
inline constexpr std::size_t kAaguidBytes = 16;

// The registration-time extension outputs libfido2 compares (CTAP 2.1 §12); others are
// accepted and ignored.
struct AuthDataExtensions {
  bool present = false;
  std::optional<int> cred_protect;
  bool hmac_secret = false;
  bool cred_blob = false;
  std::optional<std::uint64_t> min_pin_length;
};

struct AttestedCredential {
  std::array<std::uint8_t, kAaguidBytes> aaguid{};
  std::vector<std::uint8_t> credential_id;
  std::vector<std::uint8_t> cose_key;  // the exact COSE_Key bytes
  CosePublicKey public_key;
};

struct AuthenticatorData {
  std::array<std::uint8_t, kRpIdHashBytes> rp_id_hash{};
  std::uint8_t flags = 0;
  std::uint32_t sign_count = 0;
  std::optional<AttestedCredential> attested;
  AuthDataExtensions extensions;

  bool user_present() const { return (flags & kFlagUserPresent) != 0; }
  bool user_verified() const { return (flags & kFlagUserVerified) != 0; }
};

Checked<AuthenticatorData> ParseAuthenticatorData(std::span<const std::uint8_t> data);

}  // namespace safedesk::auth
