#pragma once
// Internal to auth/webauthn*: the pure verification steps of the finish calls, without
// the challenge store or the audit sink (WebAuthn in webauthn.h adds those). Kept in a
// header of their own so the unit tests can reach the parsers' size caps directly.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "auth/webauthn.h"
#include "auth/webauthn_authdata.h"
#include "auth/webauthn_reason.h"

namespace safedesk::auth {

// base64url text to bytes; too_large past `max_bytes` (judged on the text length, before
// decoding), malformed if not base64url.
Checked<std::vector<std::uint8_t>> DecodeField(std::string_view text, std::size_t max_bytes);

// rpIdHash, then UP, then UV (when required): the checks the signature check would also
// make, made first so each refusal gets its own reason.
Verdict CheckRpAndFlags(const AuthenticatorData& auth_data, std::string_view rp_id, bool require_user_verification);

struct AttestationObject {
  std::string fmt;
  std::vector<std::uint8_t> auth_data;
  std::vector<std::uint8_t> statement;  // attStmt, re-encoded as CBOR for libfido2
  bool statement_empty = true;
  bool has_x5c = false;
  std::optional<std::int64_t> statement_alg;  // attStmt "alg"
};
Checked<AttestationObject> ParseAttestationObject(std::span<const std::uint8_t> bytes);

Checked<StoredCredential> VerifyRegistration(const WebAuthnOptions& options, const Ceremony& ceremony,
                                             const RegistrationResponse& response,
                                             std::span<const StoredCredential> existing);
Checked<AssertionSuccess> VerifyAssertion(const WebAuthnOptions& options, const Ceremony& ceremony,
                                          const AssertionResponse& response,
                                          std::span<const StoredCredential> credentials);

}  // namespace safedesk::auth
