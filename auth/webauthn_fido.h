#pragma once
// Internal to auth/webauthn*: the calls into libfido2 (which stays out of every other
// header). libfido2 checks signatures, the rpIdHash and the flags it is told to check;
// it never checks clientDataJSON, the signature counter, or UP unless told (RECIPES.md).

#include <cstdint>
#include <span>
#include <string_view>

#include "auth/webauthn_authdata.h"
#include "auth/webauthn_cose.h"
#include "auth/webauthn_reason.h"
#include "common/crypto.h"

namespace safedesk::auth {

// True when libfido2 accepts the key material (an ES256 point must lie on P-256).
bool FidoKeyUsable(const CosePublicKey& key);

struct FidoAssertionInput {
  std::string_view rp_id;
  const Sha256Digest& client_data_hash;
  std::span<const std::uint8_t> authenticator_data;
  std::span<const std::uint8_t> signature;
  bool require_user_verification = true;
  const CosePublicKey& key;
};
// UP is always required; UV when asked. malformed if libfido2 refuses the inputs,
// bad_signature if the signature (or anything it covers) does not verify.
Verdict FidoVerifyAssertion(const FidoAssertionInput& input);

struct FidoPackedInput {
  std::string_view rp_id;
  const Sha256Digest& client_data_hash;
  std::span<const std::uint8_t> authenticator_data;
  std::span<const std::uint8_t> attestation_statement;  // the attStmt map, CBOR
  bool self_attestation = false;                         // no x5c: signed by the credential key
  int alg = 0;
  const AuthDataExtensions& extensions;
  bool require_user_verification = true;
};
// Verifies a "packed" attestation statement (WebAuthn L2 §8.2). With x5c only the
// signature by the leaf certificate's key is checked: the chain is not validated,
// because safedesk makes no trust decision from attestation.
Verdict FidoVerifyPacked(const FidoPackedInput& input);

}  // namespace safedesk::auth
