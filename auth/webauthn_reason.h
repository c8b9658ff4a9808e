#pragma once
// Why a WebAuthn ceremony was refused. Each reason has a stable lower-case name that goes
// into the audit record (factor.rejected, reason=...); the client is only told that the
// ceremony failed. Checked<T> carries either a value or a reason between the verification
// steps of webauthn*.cc.

#include <cassert>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>

namespace safedesk::auth {

enum class WebAuthnReason {
  kChallengeUnknown,         // no such ceremony (never issued, or forgotten)
  kChallengeExpired,         // the ceremony outlived its TTL
  kChallengeReused,          // the ceremony was already finished once (success or not)
  kCeremonyMismatch,         // the ceremony belongs to another user or the other kind
  kTooLarge,                 // a field exceeded its named cap
  kMalformed,                // a field is not what the format says
  kWrongType,                // clientDataJSON.type is not webauthn.create / webauthn.get
  kWrongChallenge,           // clientDataJSON.challenge is not the one issued
  kWrongOrigin,              // clientDataJSON.origin is not in the allowed list
  kCrossOrigin,              // crossOrigin true, or a topOrigin present
  kWrongRpId,                // authData rpIdHash != SHA-256(rp_id)
  kUserNotPresent,           // UP flag clear
  kUserNotVerified,          // UV flag clear while verification is required
  kCounterRegressed,         // signCount did not increase: a cloned key or a replay
  kUnknownCredential,        // the credential id is not one of the user's
  kUserHandleMismatch,       // the assertion names another user handle
  kCredentialIdMismatch,     // rawId differs from the id inside authData
  kCredentialExists,         // registration of an id the user already has
  kBadSignature,             // the assertion signature does not verify
  kBadAttestation,           // a packed attestation statement does not verify
  kUnsupportedAlgorithm,     // not ES256 / EdDSA / RS256-2048-65537
  kUnsupportedAttestation,   // an attestation format other than none and packed
  kStoredCredentialInvalid,  // the caller's stored credential does not parse
};

// Stable name, e.g. "user_not_verified".
std::string_view WebAuthnReasonName(WebAuthnReason reason);

// Either a T or the reason the step refused.
template <class T>
class [[nodiscard]] Checked {
 public:
  Checked(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Checked(WebAuthnReason reason) : v_(std::in_place_index<1>, reason) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  WebAuthnReason reason() const { assert(!ok()); return std::get<1>(v_); }

 private:
  std::variant<T, WebAuthnReason> v_;
};

// A step with nothing to return: nullopt means "passed".
using Verdict = std::optional<WebAuthnReason>;
inline constexpr Verdict kPassed = std::nullopt;

}  // namespace safedesk::auth
