#include "auth/webauthn_reason.h"

namespace safedesk::auth {

std::string_view WebAuthnReasonName(WebAuthnReason reason) {
  switch (reason) {
    case WebAuthnReason::kChallengeUnknown: return "challenge_unknown";
    case WebAuthnReason::kChallengeExpired: return "challenge_expired";
    case WebAuthnReason::kChallengeReused: return "challenge_reused";
    case WebAuthnReason::kCeremonyMismatch: return "ceremony_mismatch";
    case WebAuthnReason::kTooLarge: return "too_large";
    case WebAuthnReason::kMalformed: return "malformed";
    case WebAuthnReason::kWrongType: return "wrong_type";
    case WebAuthnReason::kWrongChallenge: return "wrong_challenge";
    case WebAuthnReason::kWrongOrigin: return "wrong_origin";
    case WebAuthnReason::kCrossOrigin: return "cross_origin";
    case WebAuthnReason::kWrongRpId: return "wrong_rp_id";
    case WebAuthnReason::kUserNotPresent: return "user_not_present";
    case WebAuthnReason::kUserNotVerified: return "user_not_verified";
    case WebAuthnReason::kCounterRegressed: return "counter_regressed";
    case WebAuthnReason::kUnknownCredential: return "unknown_credential";
    case WebAuthnReason::kUserHandleMismatch: return "user_handle_mismatch";
    case WebAuthnReason::kCredentialIdMismatch: return "credential_id_mismatch";
    case WebAuthnReason::kCredentialExists: return "credential_exists";
    case WebAuthnReason::kBadSignature: return "bad_signature";
    case WebAuthnReason::kBadAttestation: return "bad_attestation";
    case WebAuthnReason::kUnsupportedAlgorithm: return "unsupported_algorithm";
    case WebAuthnReason::kUnsupportedAttestation: return "unsupported_attestation";
    case WebAuthnReason::kStoredCredentialInvalid: return "stored_credential_invalid";
  }
  return "unknown_reason";
}

}  // namespace safedesk::auth
