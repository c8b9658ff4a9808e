#pragma once
// What the login, enrollment and step-up handlers share (broker/API.md, "Login and
// factors"): their in-memory state, the user's confirmed factors, the TOTP check against
// the Store's last accepted step, the StoredCredential ↔ FactorRecord mapping, and the
// end of a login (session cookie, CSRF token, login.success).
//
// Every refusal tells the client only `unauthenticated` (or bad_request for a malformed
// body); the detail goes to the log and, for factor outcomes, to the audit log.

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/webauthn.h"
#include "broker/api_support.h"
#include "broker/broker_context.h"
#include "broker/login_throttle.h"
#include "broker/pending_login.h"
#include "common/secret.h"

namespace safedesk::broker {

// A TOTP code is 6 or 8 digits; anything longer is refused before it is copied.
inline constexpr std::size_t kMaxCodeBytes = 16;
// A factor's label as the user names it ("phone", "blue key").
inline constexpr std::size_t kMaxLabelBytes = 64;
// An unconfirmed TOTP secret may be confirmed this long after it was shown.
inline constexpr std::int64_t kTotpEnrollSeconds = 10 * 60;

// State the handlers share; created by AddLoginRoutes, kept alive by the routes.
struct LoginState {
  explicit LoginState(BrokerContext& ctx) : pending(ctx.clock, ctx.random), throttle(ctx.clock) {}
  PendingLogins pending;
  LoginThrottle throttle;
};

// 401 {"error":"unauthenticated"}; the detail is logged.
Response Unauthenticated(const Request& request, std::string_view detail);
// 503 {"error":"unavailable"}: a store, audit or randomness failure (fail closed).
Response Unavailable(const Request& request, std::string_view detail);
Response BadRequest(const Request& request, std::string_view detail);

// Appends to the audit log; a failure is logged and the caller refuses (fail closed).
bool Audit(BrokerContext& ctx, const AuditEvent& event);

// A string field copied straight into a Secret (passwords, codes), 1..max_bytes.
std::optional<Secret> SecretField(const boost::json::object& body, std::string_view key, std::size_t max_bytes);
// The optional "label" (default when absent or empty); nullopt when too long or not a string.
std::optional<std::string> LabelField(const boost::json::object& body, std::string_view fallback);

// The user's confirmed factors, optionally of one kind (unconfirmed TOTP secrets are
// enrollments in progress, never a factor).
Result<std::vector<FactorRecord>> ConfirmedFactors(Store& store, const std::string& user,
                                                   std::optional<FactorKind> kind = std::nullopt);

std::vector<auth::StoredCredential> ToStoredCredentials(const std::vector<FactorRecord>& factors);
FactorRecord FactorFromCredential(const std::string& user, const auth::StoredCredential& credential,
                                  std::string label, std::int64_t now);

enum class TotpCheck { kAccepted, kWrongCode, kReplay, kMalformed, kNoFactor };
std::string_view TotpCheckName(TotpCheck check);

// Checks `code` against the user's confirmed TOTP factors and, on a match, advances the
// factor's last accepted step in the Store (compare-and-set): a code counts once, even
// across broker processes.
Result<TotpCheck> CheckTotpCode(BrokerContext& ctx, const std::string& user, const Secret& code);

// Checks an assertion against the user's WebAuthn factors (the library audits a refusal
// as factor.rejected) and advances the stored counter. kUnauthenticated on any refusal.
Result<void> CheckWebAuthnAssertion(BrokerContext& ctx, const std::string& user, std::string_view body);

// The pending login of this request (Peek or Take), or the 401 to send (audited as
// login.failure when a cookie was presented).
OrResponse<PendingLogin> PendingFor(BrokerContext& ctx, LoginState& state, const Request& request,
                                    const RequestContext& peer, bool take);

// Ends a login: a web session with the factors used ("password+totp"), login.success,
// 200 {"user","roles","csrf"} with the session cookie set and the pending one cleared.
Response CompleteLogin(BrokerContext& ctx, LoginState& state, const Request& request, const RequestContext& peer,
                       const std::string& user, std::string_view second_factor);

// Parses a JSON text produced by auth/ (WebAuthn options) into a value.
boost::json::value ParseTrustedJson(std::string_view text);

}  // namespace safedesk::broker

namespace safedesk::broker {

// A synchronous handler of this family, and the Router handler that runs it.
using LoginHandler = Response (*)(BrokerContext& ctx, LoginState& state, const Request& request,
                                  const RequestContext& peer);
Handler WrapLoginHandler(BrokerContext& ctx, std::shared_ptr<LoginState> state, LoginHandler handler);

}  // namespace safedesk::broker
