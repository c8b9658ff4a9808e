#pragma once
// WebAuthn / FIDO2 second factor: registration and assertion, each begin/finish, with
// user verification (PIN or biometric on the authenticator) required. Verification uses
// libfido2 for signatures and libcbor for the attestation object; the checks libfido2
// does not make (clientDataJSON, UP, the counter, fmt "none") are made here. See
// auth/DESIGN.md, section WebAuthn, for the flow, the reasons and the limits.
//
// Every refusal is audited as factor.rejected (factor "webauthn", reason = one of
// WebAuthnReasonName); the caller only learns that the ceremony failed, and must tell
// the client nothing more.

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "auth/webauthn_challenge_store.h"
#include "auth/webauthn_reason.h"
#include "common/audit_event.h"
#include "common/clock.h"
#include "common/random.h"
#include "common/result.h"

namespace safedesk::auth {

// What the registration ceremony asks the browser for. "none" keeps the authenticator
// model private; "direct" returns a packed statement (verified, chain not validated).
enum class AttestationConveyance { kNone, kDirect };

struct WebAuthnOptions {
  std::string rp_id;                          // a registrable domain, e.g. "gateway.example.org"
  std::string rp_name;                        // shown by the browser
  std::vector<std::string> allowed_origins;   // exact, e.g. "https://gateway.example.org"
  std::chrono::seconds challenge_ttl{120};
  bool require_user_verification = true;      // assertions; registration always requires UV
  AttestationConveyance attestation = AttestationConveyance::kNone;
  std::size_t max_pending_ceremonies = 4096;
};
Result<void> ValidateWebAuthnOptions(const WebAuthnOptions& options);

// What the broker persists per credential after a successful registration.
struct StoredCredential {
  std::vector<std::uint8_t> credential_id;
  std::vector<std::uint8_t> cose_public_key;  // the COSE_Key bytes from authData
  int alg = 0;                                // -7 ES256, -8 EdDSA, -257 RS256
  std::uint32_t sign_count = 0;               // update after each assertion
  std::vector<std::uint8_t> user_handle;
  std::array<std::uint8_t, 16> aaguid{};
  Clock::WallTime created{};
};

// A begun ceremony: the id the page returns with its answer, and the JSON for
// navigator.credentials.create/get (PublicKeyCredential{Creation,Request}Options with
// base64url strings for every binary field).
struct CeremonyStart {
  std::string ceremony_id;
  std::string options_json;
};

// The page's answers, base64url fields as posted.
struct RegistrationResponse {
  std::string ceremony_id;
  std::string credential_id;       // rawId
  std::string type;                // "public-key"
  std::string client_data_json;
  std::string attestation_object;
};
struct AssertionResponse {
  std::string ceremony_id;
  std::string credential_id;       // rawId
  std::string type;                // "public-key"
  std::string client_data_json;
  std::string authenticator_data;
  std::string signature;
  std::string user_handle;         // may be empty
};

// The finish request body: {"ceremonyId": "...", "credential": PublicKeyCredential JSON
// (id, rawId, type, response{...})}. nullopt when the body does not have that shape.
std::optional<RegistrationResponse> ParseRegistrationResponse(std::string_view body);
std::optional<AssertionResponse> ParseAssertionResponse(std::string_view body);

struct AssertionSuccess {
  std::vector<std::uint8_t> credential_id;
  std::uint32_t sign_count = 0;  // persist into StoredCredential::sign_count
  bool user_verified = false;
};

enum class UserVerification { kRequired, kPreferred };

// 32 random bytes: the user handle for a user's first credential (later ones reuse it).
Result<std::vector<std::uint8_t>> NewUserHandle(Random& random);

class WebAuthn {
 public:
  static Result<std::unique_ptr<WebAuthn>> Create(WebAuthnOptions options, Clock& clock, Random& random,
                                                  AuditSink& audit);

  Result<CeremonyStart> BeginRegistration(std::string_view user, std::string_view display_name,
                                          std::span<const std::uint8_t> user_handle,
                                          std::span<const StoredCredential> existing);
  // On success the credential is audited as factor.enrolled and returned for storage.
  Result<StoredCredential> FinishRegistration(std::string_view user, const RegistrationResponse& response,
                                              std::span<const StoredCredential> existing);
  Result<StoredCredential> FinishRegistrationJson(std::string_view user, std::string_view body,
                                                  std::span<const StoredCredential> existing);

  // `uv` lets a policy relax UV for a role; the stricter of it and the options wins.
  Result<CeremonyStart> BeginAssertion(std::string_view user, std::span<const StoredCredential> credentials,
                                       UserVerification uv = UserVerification::kRequired);
  Result<AssertionSuccess> FinishAssertion(std::string_view user, const AssertionResponse& response,
                                           std::span<const StoredCredential> credentials);
  Result<AssertionSuccess> FinishAssertionJson(std::string_view user, std::string_view body,
                                               std::span<const StoredCredential> credentials);

  const WebAuthnOptions& options() const { return options_; }
  // Exposed so tests can seed a ceremony with a recorded challenge.
  WebAuthnChallengeStore& challenge_store() { return challenges_; }

 private:
  WebAuthn(WebAuthnOptions options, Clock& clock, Random& random, AuditSink& audit);
  Result<std::string> StartCeremony(std::string_view user, CeremonyKind kind, std::vector<std::uint8_t> user_handle,
                                    bool require_uv, std::string& challenge_b64);
  Error Reject(std::string_view user, WebAuthnReason reason);

  const WebAuthnOptions options_;
  Clock& clock_;
  Random& random_;
  AuditSink& audit_;
  WebAuthnChallengeStore challenges_;
};

}  // namespace safedesk::auth
