#include "auth/webauthn.h"

#include <algorithm>
#include <boost/json.hpp>
#include <exception>

#include "auth/webauthn_cose.h"
#include "auth/webauthn_limits.h"
#include "auth/webauthn_verify.h"
#include "common/audit_events.h"
#include "common/crypto.h"
#include "common/encoding.h"

namespace safedesk::auth {
namespace {

namespace json = boost::json;

constexpr std::size_t kChallengeBytes = 32;
constexpr std::size_t kUserHandleBytes = 32;
constexpr std::chrono::seconds kMaxChallengeTtl{600};  // a ceremony is a user at a prompt
constexpr std::string_view kFactor = "webauthn";

json::array CredentialDescriptors(std::span<const StoredCredential> credentials) {
  json::array out;
  for (const StoredCredential& c : credentials) {
    out.push_back(json::object{{"type", "public-key"}, {"id", Base64UrlEncode(c.credential_id)}});
  }
  return out;
}

std::string CreationOptionsJson(const WebAuthnOptions& options, const std::string& challenge, std::string_view user,
                                std::string_view display_name, std::span<const std::uint8_t> user_handle,
                                std::span<const StoredCredential> existing) {
  json::array params;
  for (int alg : {kCoseEs256, kCoseEdDsa, kCoseRs256}) params.push_back({{"type", "public-key"}, {"alg", alg}});
  json::object out{
      {"rp", {{"id", options.rp_id}, {"name", options.rp_name}}},
      {"user", {{"id", Base64UrlEncode(user_handle)}, {"name", user}, {"displayName", display_name}}},
      {"challenge", challenge},
      {"pubKeyCredParams", std::move(params)},
      {"timeout", std::chrono::milliseconds(options.challenge_ttl).count()},
      {"excludeCredentials", CredentialDescriptors(existing)},
      {"authenticatorSelection",
       {{"residentKey", "preferred"}, {"requireResidentKey", false}, {"userVerification", "required"}}},
      {"attestation", options.attestation == AttestationConveyance::kDirect ? "direct" : "none"},
  };
  return json::serialize(out);
}

std::string RequestOptionsJson(const WebAuthnOptions& options, const std::string& challenge,
                               std::span<const StoredCredential> credentials, bool require_uv) {
  json::object out{
      {"rpId", options.rp_id},
      {"challenge", challenge},
      {"timeout", std::chrono::milliseconds(options.challenge_ttl).count()},
      {"allowCredentials", CredentialDescriptors(credentials)},
      {"userVerification", require_uv ? "required" : "preferred"},
  };
  return json::serialize(out);
}

std::optional<json::object> ParseBody(std::string_view body) {
  if (body.size() > kMaxFinishRequestBytes) return std::nullopt;
  try {
    boost::system::error_code error;
    json::value value = json::parse(body, error);
    if (error || !value.is_object()) return std::nullopt;
    return std::move(value.as_object());
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// A string member, "" when absent; nullopt when present with another type.
std::optional<std::string> OptionalString(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr || value->is_null()) return std::string();
  if (!value->is_string()) return std::nullopt;
  return std::string(value->get_string());
}

// The fields every finish body has: ceremonyId, credential{id, rawId, type, response}.
struct CommonFields {
  std::string ceremony_id, credential_id, type;
  const json::object* response = nullptr;
};
std::optional<CommonFields> ParseCommon(const json::object& body) {
  const json::value* credential = body.if_contains("credential");
  if (credential == nullptr || !credential->is_object()) return std::nullopt;
  const json::object& c = credential->get_object();
  const json::value* response = c.if_contains("response");
  auto ceremony_id = OptionalString(body, "ceremonyId");
  auto id = OptionalString(c, "id");
  auto raw_id = OptionalString(c, "rawId");
  auto type = OptionalString(c, "type");
  if (!ceremony_id || !id || !raw_id || !type || response == nullptr || !response->is_object()) return std::nullopt;
  // id and rawId are the same bytes, both base64url; a page sending two ids is broken.
  if (!id->empty() && !raw_id->empty() && *id != *raw_id) return std::nullopt;
  return CommonFields{*ceremony_id, raw_id->empty() ? *id : *raw_id, *type, &response->get_object()};
}

}  // namespace

Result<void> ValidateWebAuthnOptions(const WebAuthnOptions& options) {
  if (options.rp_id.empty()) return MakeError(Errc::kInvalidArgument, "webauthn: rp_id is empty");
  if (options.allowed_origins.empty()) return MakeError(Errc::kInvalidArgument, "webauthn: no allowed origin");
  if (std::any_of(options.allowed_origins.begin(), options.allowed_origins.end(),
                  [](const std::string& o) { return o.empty() || o.back() == '/'; })) {
    return MakeError(Errc::kInvalidArgument, "webauthn: origins are scheme://host[:port], without a path");
  }
  if (options.challenge_ttl <= std::chrono::seconds(0) || options.challenge_ttl > kMaxChallengeTtl) {
    return MakeError(Errc::kInvalidArgument, "webauthn: challenge_ttl must be 1..600 seconds");
  }
  if (options.max_pending_ceremonies == 0) {
    return MakeError(Errc::kInvalidArgument, "webauthn: max_pending_ceremonies must be positive");
  }
  return Ok();
}

Result<std::vector<std::uint8_t>> NewUserHandle(Random& random) { return random.Bytes(kUserHandleBytes); }

std::optional<RegistrationResponse> ParseRegistrationResponse(std::string_view body) {
  const auto object = ParseBody(body);
  if (!object) return std::nullopt;
  const auto common = ParseCommon(*object);
  if (!common) return std::nullopt;
  auto client_data = OptionalString(*common->response, "clientDataJSON");
  auto attestation = OptionalString(*common->response, "attestationObject");
  if (!client_data || !attestation) return std::nullopt;
  return RegistrationResponse{common->ceremony_id, common->credential_id, common->type, *client_data, *attestation};
}

std::optional<AssertionResponse> ParseAssertionResponse(std::string_view body) {
  const auto object = ParseBody(body);
  if (!object) return std::nullopt;
  const auto common = ParseCommon(*object);
  if (!common) return std::nullopt;
  auto client_data = OptionalString(*common->response, "clientDataJSON");
  auto auth_data = OptionalString(*common->response, "authenticatorData");
  auto signature = OptionalString(*common->response, "signature");
  auto user_handle = OptionalString(*common->response, "userHandle");
  if (!client_data || !auth_data || !signature || !user_handle) return std::nullopt;
  return AssertionResponse{common->ceremony_id, common->credential_id, common->type, *client_data,
                           *auth_data,          *signature,            *user_handle};
}

Checked<std::vector<std::uint8_t>> DecodeField(std::string_view text, std::size_t max_bytes) {
  // Unpadded base64url of n bytes is ceil(4n/3) characters; allow padding on top.
  if (text.size() > (max_bytes * 4 + 2) / 3 + 2) return WebAuthnReason::kTooLarge;
  std::optional<std::vector<std::uint8_t>> bytes = Base64UrlDecode(text);
  if (!bytes) return WebAuthnReason::kMalformed;
  if (bytes->size() > max_bytes) return WebAuthnReason::kTooLarge;
  return std::move(*bytes);
}

Verdict CheckRpAndFlags(const AuthenticatorData& auth_data, std::string_view rp_id, bool require_user_verification) {
  const Sha256Digest expected = Sha256(AsBytes(rp_id));
  if (!std::equal(expected.begin(), expected.end(), auth_data.rp_id_hash.begin())) return WebAuthnReason::kWrongRpId;
  if (!auth_data.user_present()) return WebAuthnReason::kUserNotPresent;
  if (require_user_verification && !auth_data.user_verified()) return WebAuthnReason::kUserNotVerified;
  return kPassed;
}

}  // namespace safedesk::auth

namespace safedesk::auth {

Result<std::unique_ptr<WebAuthn>> WebAuthn::Create(WebAuthnOptions options, Clock& clock, Random& random,
                                                   AuditSink& audit) {
  SAFEDESK_TRY(ValidateWebAuthnOptions(options));
  return std::unique_ptr<WebAuthn>(new WebAuthn(std::move(options), clock, random, audit));
}

WebAuthn::WebAuthn(WebAuthnOptions options, Clock& clock, Random& random, AuditSink& audit)
    : options_(std::move(options)),
      clock_(clock),
      random_(random),
      audit_(audit),
      challenges_(clock, random, options_.challenge_ttl, options_.max_pending_ceremonies) {}

Result<std::string> WebAuthn::StartCeremony(std::string_view user, CeremonyKind kind,
                                            std::vector<std::uint8_t> user_handle, bool require_uv,
                                            std::string& challenge_b64) {
  if (user.empty() || user.size() > kMaxUserNameBytes) {
    return MakeError(Errc::kInvalidArgument, "webauthn: user name empty or too long");
  }
  Result<std::vector<std::uint8_t>> challenge = random_.Bytes(kChallengeBytes);
  if (!challenge.ok()) return challenge.error();
  challenge_b64 = Base64UrlEncode(*challenge);
  return challenges_.Put(Ceremony{std::string(user), kind, std::move(*challenge), std::move(user_handle), require_uv});
}

Result<CeremonyStart> WebAuthn::BeginRegistration(std::string_view user, std::string_view display_name,
                                                  std::span<const std::uint8_t> user_handle,
                                                  std::span<const StoredCredential> existing) {
  if (user_handle.empty() || user_handle.size() > kMaxUserHandleBytes) {
    return MakeError(Errc::kInvalidArgument, "webauthn: user handle must be 1..64 bytes");
  }
  if (existing.size() >= kMaxCredentialsPerUser) {
    return MakeError(Errc::kLimitExceeded, "webauthn: the user has the most credentials allowed");
  }
  std::string challenge;
  Result<std::string> id = StartCeremony(user, CeremonyKind::kRegistration,
                                         {user_handle.begin(), user_handle.end()}, true, challenge);
  if (!id.ok()) return id.error();
  const std::string_view shown = display_name.empty() ? user : display_name;
  return CeremonyStart{*id, CreationOptionsJson(options_, challenge, user, shown, user_handle, existing)};
}

Result<CeremonyStart> WebAuthn::BeginAssertion(std::string_view user, std::span<const StoredCredential> credentials,
                                               UserVerification uv) {
  if (credentials.empty()) return MakeError(Errc::kNotFound, "webauthn: the user has no credential");
  if (credentials.size() > kMaxCredentialsPerUser) {
    return MakeError(Errc::kLimitExceeded, "webauthn: more credentials than allowed");
  }
  const bool require_uv = options_.require_user_verification || uv == UserVerification::kRequired;
  std::string challenge;
  Result<std::string> id = StartCeremony(user, CeremonyKind::kAssertion, {}, require_uv, challenge);
  if (!id.ok()) return id.error();
  return CeremonyStart{*id, RequestOptionsJson(options_, challenge, credentials, require_uv)};
}

// Audits the reason; the returned error is the same for every reason, safe for a client.
Error WebAuthn::Reject(std::string_view user, WebAuthnReason reason) {
  // A failed append changes nothing for the caller: the ceremony is refused either way.
  (void)audit_.Append(audit::FactorRejected(user, kFactor, WebAuthnReasonName(reason)));
  return MakeError(Errc::kUnauthenticated, "webauthn: ceremony refused");
}

Result<StoredCredential> WebAuthn::FinishRegistration(std::string_view user, const RegistrationResponse& response,
                                                      std::span<const StoredCredential> existing) {
  Checked<Ceremony> ceremony = challenges_.Take(response.ceremony_id);
  if (!ceremony.ok()) return Reject(user, ceremony.reason());
  if (ceremony.value().user != user || ceremony.value().kind != CeremonyKind::kRegistration) {
    return Reject(user, WebAuthnReason::kCeremonyMismatch);
  }
  Checked<StoredCredential> credential = VerifyRegistration(options_, ceremony.value(), response, existing);
  if (!credential.ok()) return Reject(user, credential.reason());
  credential.value().created = clock_.Now();
  const std::string factor_id = Base64UrlEncode(credential.value().credential_id);
  // Fail closed: a credential whose enrolment is not on record is not handed out.
  if (!audit_.Append(audit::FactorEnrolled(user, kFactor, factor_id)).ok()) {
    return MakeError(Errc::kUnavailable, "webauthn: audit log unavailable");
  }
  return std::move(credential).value();
}

Result<StoredCredential> WebAuthn::FinishRegistrationJson(std::string_view user, std::string_view body,
                                                          std::span<const StoredCredential> existing) {
  std::optional<RegistrationResponse> response = ParseRegistrationResponse(body);
  if (!response) return Reject(user, body.size() > kMaxFinishRequestBytes ? WebAuthnReason::kTooLarge
                                                                          : WebAuthnReason::kMalformed);
  return FinishRegistration(user, *response, existing);
}

Result<AssertionSuccess> WebAuthn::FinishAssertion(std::string_view user, const AssertionResponse& response,
                                                   std::span<const StoredCredential> credentials) {
  Checked<Ceremony> ceremony = challenges_.Take(response.ceremony_id);
  if (!ceremony.ok()) return Reject(user, ceremony.reason());
  if (ceremony.value().user != user || ceremony.value().kind != CeremonyKind::kAssertion) {
    return Reject(user, WebAuthnReason::kCeremonyMismatch);
  }
  Checked<AssertionSuccess> success = VerifyAssertion(options_, ceremony.value(), response, credentials);
  if (!success.ok()) return Reject(user, success.reason());
  return std::move(success).value();
}

Result<AssertionSuccess> WebAuthn::FinishAssertionJson(std::string_view user, std::string_view body,
                                                       std::span<const StoredCredential> credentials) {
  std::optional<AssertionResponse> response = ParseAssertionResponse(body);
  if (!response) return Reject(user, body.size() > kMaxFinishRequestBytes ? WebAuthnReason::kTooLarge
                                                                          : WebAuthnReason::kMalformed);
  return FinishAssertion(user, *response, credentials);
}

}  // namespace safedesk::auth
