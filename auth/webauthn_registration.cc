// Registration finish (WebAuthn L2 §7.1) for attestation formats "none" and "packed".
#include <cbor.h>

#include <algorithm>

#include "auth/webauthn_cbor.h"
#include "auth/webauthn_client_data.h"
#include "auth/webauthn_fido.h"
#include "auth/webauthn_limits.h"
#include "auth/webauthn_verify.h"
#include "common/crypto.h"
#include "common/encoding.h"

namespace safedesk::auth {
namespace {

namespace cb = webauthn_cbor;

struct DecodedRegistration {
  std::vector<std::uint8_t> credential_id;
  std::vector<std::uint8_t> client_data_json;
  std::vector<std::uint8_t> attestation_object;
};

Checked<DecodedRegistration> Decode(const RegistrationResponse& response) {
  if (response.type != "public-key") return WebAuthnReason::kMalformed;
  auto id = DecodeField(response.credential_id, kMaxCredentialIdBytes);
  if (!id.ok()) return id.reason();
  auto client_data = DecodeField(response.client_data_json, kMaxClientDataJsonBytes);
  if (!client_data.ok()) return client_data.reason();
  auto object = DecodeField(response.attestation_object, kMaxAttestationObjectBytes);
  if (!object.ok()) return object.reason();
  return DecodedRegistration{std::move(id).value(), std::move(client_data).value(), std::move(object).value()};
}

// fmt "none" carries nothing to verify (libfido2 refuses to try): the rpIdHash and flag
// checks already made are all there is. "packed" goes to libfido2.
Verdict CheckAttestation(const WebAuthnOptions& options, const AttestationObject& object,
                         const AuthenticatorData& auth_data, const Sha256Digest& client_data_hash) {
  if (object.fmt == "none") return object.statement_empty ? kPassed : Verdict(WebAuthnReason::kMalformed);
  if (object.fmt != "packed") return WebAuthnReason::kUnsupportedAttestation;
  // WebAuthn L2 §8.2: a self attestation's alg is the credential key's. libfido2 1.12
  // verifies the signature with the credential key whatever alg the statement names.
  if (!object.has_x5c && object.statement_alg != auth_data.attested->public_key.alg) {
    return WebAuthnReason::kBadAttestation;
  }
  return FidoVerifyPacked({.rp_id = options.rp_id,
                           .client_data_hash = client_data_hash,
                           .authenticator_data = object.auth_data,
                           .attestation_statement = object.statement,
                           .self_attestation = !object.has_x5c,
                           .alg = auth_data.attested->public_key.alg,
                           .extensions = auth_data.extensions,
                           .require_user_verification = true});
}

bool AlreadyRegistered(std::span<const StoredCredential> existing, std::span<const std::uint8_t> id) {
  return std::any_of(existing.begin(), existing.end(), [id](const StoredCredential& c) {
    return std::equal(c.credential_id.begin(), c.credential_id.end(), id.begin(), id.end());
  });
}

}  // namespace

Checked<AttestationObject> ParseAttestationObject(std::span<const std::uint8_t> bytes) {
  if (bytes.size() > kMaxAttestationObjectBytes) return WebAuthnReason::kTooLarge;
  cb::Item map = cb::LoadCborExact(bytes);
  if (!map || !cbor_isa_map(map.get()) || !cb::KeysUnique(map.get())) return WebAuthnReason::kMalformed;
  const auto fmt = cb::TextOf(cb::FindText(map.get(), "fmt"));
  const auto auth_data = cb::BytesOf(cb::FindText(map.get(), "authData"));
  const cbor_item_t* statement = cb::FindText(map.get(), "attStmt");
  if (!fmt || !auth_data || statement == nullptr || !cbor_isa_map(statement) || !cb::KeysUnique(statement)) {
    return WebAuthnReason::kMalformed;
  }
  AttestationObject object;
  object.fmt = std::string(*fmt);
  object.auth_data.assign(auth_data->begin(), auth_data->end());
  object.statement = cb::Serialize(statement);
  object.statement_empty = cbor_map_size(statement) == 0;
  object.has_x5c = cb::FindText(statement, "x5c") != nullptr;
  object.statement_alg = cb::IntOf(cb::FindText(statement, "alg"));
  return object;
}

Checked<StoredCredential> VerifyRegistration(const WebAuthnOptions& options, const Ceremony& ceremony,
                                             const RegistrationResponse& response,
                                             std::span<const StoredCredential> existing) {
  Checked<DecodedRegistration> decoded = Decode(response);
  if (!decoded.ok()) return decoded.reason();
  const std::string challenge = Base64UrlEncode(ceremony.challenge);
  Checked<Sha256Digest> client_data_hash = CheckClientData(
      decoded.value().client_data_json, {kClientDataTypeCreate, challenge, options.allowed_origins});
  if (!client_data_hash.ok()) return client_data_hash.reason();
  Checked<AttestationObject> object = ParseAttestationObject(decoded.value().attestation_object);
  if (!object.ok()) return object.reason();
  Checked<AuthenticatorData> auth_data = ParseAuthenticatorData(object.value().auth_data);
  if (!auth_data.ok()) return auth_data.reason();
  const AuthenticatorData& ad = auth_data.value();
  if (!ad.attested) return WebAuthnReason::kMalformed;
  // Registration always requires UV: enrolment is where a weak factor would be planted.
  if (Verdict v = CheckRpAndFlags(ad, options.rp_id, true)) return *v;
  const AttestedCredential& attested = *ad.attested;
  if (attested.credential_id != decoded.value().credential_id) return WebAuthnReason::kCredentialIdMismatch;
  if (AlreadyRegistered(existing, attested.credential_id)) return WebAuthnReason::kCredentialExists;
  if (!FidoKeyUsable(attested.public_key)) return WebAuthnReason::kMalformed;
  if (Verdict v = CheckAttestation(options, object.value(), ad, client_data_hash.value())) return *v;
  return StoredCredential{.credential_id = attested.credential_id,
                          .cose_public_key = attested.cose_key,
                          .alg = attested.public_key.alg,
                          .sign_count = ad.sign_count,
                          .user_handle = ceremony.user_handle,
                          .aaguid = attested.aaguid,
                          .created = {}};
}

}  // namespace safedesk::auth
