// Assertion finish (WebAuthn L2 §7.2).
#include <algorithm>

#include "auth/webauthn_client_data.h"
#include "auth/webauthn_fido.h"
#include "auth/webauthn_limits.h"
#include "auth/webauthn_verify.h"
#include "common/crypto.h"
#include "common/encoding.h"

namespace safedesk::auth {
namespace {

struct DecodedAssertion {
  std::vector<std::uint8_t> client_data_json;
  std::vector<std::uint8_t> authenticator_data;
  std::vector<std::uint8_t> signature;
  std::vector<std::uint8_t> user_handle;
};

Checked<DecodedAssertion> Decode(const AssertionResponse& response) {
  auto client_data = DecodeField(response.client_data_json, kMaxClientDataJsonBytes);
  if (!client_data.ok()) return client_data.reason();
  auto auth_data = DecodeField(response.authenticator_data, kMaxAssertionAuthDataBytes);
  if (!auth_data.ok()) return auth_data.reason();
  auto signature = DecodeField(response.signature, kMaxSignatureBytes);
  if (!signature.ok()) return signature.reason();
  auto user_handle = DecodeField(response.user_handle, kMaxUserHandleBytes);
  if (!user_handle.ok()) return user_handle.reason();
  return DecodedAssertion{std::move(client_data).value(), std::move(auth_data).value(),
                          std::move(signature).value(), std::move(user_handle).value()};
}

// The credential must be one of this user's; finding it by id alone would let one user
// log in as another who shares nothing but a guessable id.
Checked<const StoredCredential*> FindCredential(const AssertionResponse& response,
                                                std::span<const StoredCredential> credentials) {
  if (response.type != "public-key") return WebAuthnReason::kMalformed;
  auto id = DecodeField(response.credential_id, kMaxCredentialIdBytes);
  if (!id.ok()) return id.reason();
  const auto it = std::find_if(credentials.begin(), credentials.end(),
                               [&id](const StoredCredential& c) { return c.credential_id == id.value(); });
  if (it == credentials.end() || id.value().empty()) return WebAuthnReason::kUnknownCredential;
  return &*it;
}

// WebAuthn L2 §7.2 step 21: a counter that does not grow means a cloned authenticator or
// a replayed assertion. Authenticators without a counter always send 0; 0 after 0 passes.
Verdict CheckCounter(std::uint32_t stored, std::uint32_t received) {
  if (stored == 0 && received == 0) return kPassed;
  return received > stored ? kPassed : Verdict(WebAuthnReason::kCounterRegressed);
}

}  // namespace

Checked<AssertionSuccess> VerifyAssertion(const WebAuthnOptions& options, const Ceremony& ceremony,
                                          const AssertionResponse& response,
                                          std::span<const StoredCredential> credentials) {
  Checked<const StoredCredential*> found = FindCredential(response, credentials);
  if (!found.ok()) return found.reason();
  const StoredCredential& credential = *found.value();
  Checked<DecodedAssertion> decoded = Decode(response);
  if (!decoded.ok()) return decoded.reason();
  const DecodedAssertion& in = decoded.value();
  if (!in.user_handle.empty() && in.user_handle != credential.user_handle) {
    return WebAuthnReason::kUserHandleMismatch;
  }
  const std::string challenge = Base64UrlEncode(ceremony.challenge);
  Checked<Sha256Digest> client_data_hash =
      CheckClientData(in.client_data_json, {kClientDataTypeGet, challenge, options.allowed_origins});
  if (!client_data_hash.ok()) return client_data_hash.reason();
  Checked<AuthenticatorData> auth_data = ParseAuthenticatorData(in.authenticator_data);
  if (!auth_data.ok()) return auth_data.reason();
  if (auth_data.value().attested) return WebAuthnReason::kMalformed;  // only registrations carry a key
  const bool require_uv = ceremony.require_user_verification;
  if (Verdict v = CheckRpAndFlags(auth_data.value(), options.rp_id, require_uv)) return *v;
  Checked<CosePublicKey> key = ParseCosePublicKey(credential.cose_public_key);
  if (!key.ok() || key.value().alg != credential.alg) return WebAuthnReason::kStoredCredentialInvalid;
  if (Verdict v = FidoVerifyAssertion({.rp_id = options.rp_id,
                                       .client_data_hash = client_data_hash.value(),
                                       .authenticator_data = in.authenticator_data,
                                       .signature = in.signature,
                                       .require_user_verification = require_uv,
                                       .key = key.value()})) {
    return *v;
  }
  // After the signature, so counter_regressed always names a genuine authenticator's
  // assertion seen again (or a clone), never a forgery.
  if (Verdict v = CheckCounter(credential.sign_count, auth_data.value().sign_count)) return *v;
  return AssertionSuccess{credential.credential_id, auth_data.value().sign_count, auth_data.value().user_verified()};
}

}  // namespace safedesk::auth
