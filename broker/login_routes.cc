#include "broker/login_routes.h"

#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>

#include <algorithm>

#include "auth/password_verifier.h"
#include "broker/enroll_routes.h"
#include "broker/login_account_routes.h"
#include "broker/login_support.h"
#include "broker/stepup_routes.h"
#include "common/audit_events.h"

namespace safedesk::broker {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

bool Has(const std::vector<FactorRecord>& factors, FactorKind kind) {
  return std::any_of(factors.begin(), factors.end(), [kind](const FactorRecord& f) { return f.kind == kind; });
}

// {"next","methods"}: what the page asks for after the password.
json::object NextStep(const std::vector<FactorRecord>& factors) {
  const bool totp = Has(factors, FactorKind::kTotp);
  const bool webauthn = Has(factors, FactorKind::kWebAuthn);
  if (!totp && !webauthn) return {{"next", "enroll"}, {"methods", json::array{"totp", "webauthn"}}};
  json::array methods;
  if (totp) methods.emplace_back("totp");
  if (webauthn) methods.emplace_back("webauthn");
  return {{"next", totp && webauthn ? "choose" : totp ? "totp" : "webauthn"}, {"methods", std::move(methods)}};
}

// Why a user whose password PAM accepted may still not go on, or "".
Result<std::string_view> RefusalAfterPassword(BrokerContext& ctx, LoginState& state, const std::string& user) {
  auto record = ctx.store.FindUser(user);
  if (!record) return record.error();
  if (!record->has_value()) return std::string_view("not_registered");
  if ((*record)->disabled) return std::string_view("disabled");
  if (!state.throttle.Allowed(user)) return std::string_view("second_factor_locked");
  return std::string_view();
}

Response AfterPassword(BrokerContext& ctx, LoginState& state, const Request& request, const RequestContext& peer,
                       const std::string& user) {
  auto refusal = RefusalAfterPassword(ctx, state, user);
  if (!refusal) return Unavailable(request, refusal.error().message);
  if (!refusal->empty()) {
    if (!Audit(ctx, audit::LoginFailure(user, peer.remote_address, "password", *refusal))) {
      return Unavailable(request, "audit log unavailable");
    }
    return Unauthenticated(request, "login of " + user + " refused after the password: " + std::string(*refusal));
  }
  auto factors = ConfirmedFactors(ctx.store, user);
  if (!factors) return Unavailable(request, factors.error().message);
  auto cookie = state.pending.Create(user, peer.remote_address);
  if (!cookie) return Unavailable(request, cookie.error().message);
  Response response = Ok(request, NextStep(*factors));
  response.insert(http::field::set_cookie, state.pending.SetCookieHeader(*cookie));
  // A new login replaces whatever session this browser held (perhaps another account's).
  response.insert(http::field::set_cookie, WebSessions::ClearCookieHeader());
  return response;
}

asio::awaitable<Response> PasswordStep(BrokerContext& ctx, LoginState& state, const Request& request,
                                       const RequestContext& peer) {
  auto parsed = ParseJsonBody(request);
  if (auto* refusal = std::get_if<Response>(&parsed)) co_return std::move(*refusal);
  const auto& body = std::get<json::object>(parsed);
  auto user = StringField(body, "username", auth::kMaxUserBytes);
  auto password = SecretField(body, "password", auth::kMaxPasswordBytes);
  if (!user || !password) co_return BadRequest(request, "login/password needs username and password");
  // PAM runs for every name, known or not, so the answer and its timing do not tell
  // which names exist; PasswordChecker audits its own refusals.
  const auth::PasswordOutcome outcome = co_await CheckPassword(ctx, *user, std::move(*password), peer.remote_address);
  if (outcome != auth::PasswordOutcome::kAccepted) {
    co_return Unauthenticated(request, "password refused: " + std::string(auth::PasswordOutcomeName(outcome)));
  }
  co_return AfterPassword(ctx, state, request, peer, *user);
}

// A refused second factor at login: counted, audited, answered generically.
Response SecondFactorRefused(BrokerContext& ctx, LoginState& state, const Request& request,
                             const RequestContext& peer, const std::string& user, std::string_view factor,
                             std::string_view reason) {
  state.throttle.RecordFailure(user);
  if (!Audit(ctx, audit::LoginFailure(user, peer.remote_address, factor, reason))) {
    return Unavailable(request, "audit log unavailable");
  }
  return Unauthenticated(request, "second factor " + std::string(factor) + " refused for " + user + ": " +
                                      std::string(reason));
}

Response TotpStep(BrokerContext& ctx, LoginState& state, const Request& request, const RequestContext& peer) {
  auto parsed = ParseJsonBody(request);
  if (auto* refusal = std::get_if<Response>(&parsed)) return std::move(*refusal);
  auto code = SecretField(std::get<json::object>(parsed), "code", kMaxCodeBytes);
  if (!code) return BadRequest(request, "login/totp needs a code");
  // Taken, not peeked: one guess per accepted password.
  auto pending = PendingFor(ctx, state, request, peer, true);
  if (auto* refusal = std::get_if<Response>(&pending)) return std::move(*refusal);
  const std::string user = std::get<PendingLogin>(pending).user;
  if (!state.throttle.Allowed(user)) {
    return SecondFactorRefused(ctx, state, request, peer, user, "totp", "second_factor_locked");
  }
  auto check = CheckTotpCode(ctx, user, *code);
  if (!check) return Unavailable(request, check.error().message);
  if (*check != TotpCheck::kAccepted) {
    return SecondFactorRefused(ctx, state, request, peer, user, "totp", TotpCheckName(*check));
  }
  return CompleteLogin(ctx, state, request, peer, user, "totp");
}

Response WebAuthnBegin(BrokerContext& ctx, LoginState& state, const Request& request, const RequestContext& peer) {
  auto pending = PendingFor(ctx, state, request, peer, false);
  if (auto* refusal = std::get_if<Response>(&pending)) return std::move(*refusal);
  const std::string& user = std::get<PendingLogin>(pending).user;
  auto factors = ConfirmedFactors(ctx.store, user, FactorKind::kWebAuthn);
  if (!factors) return Unavailable(request, factors.error().message);
  if (factors->empty()) return Unauthenticated(request, user + " has no WebAuthn credential");
  auto begun = ctx.webauthn.BeginAssertion(user, ToStoredCredentials(*factors));
  if (!begun) return Unavailable(request, begun.error().message);
  return Ok(request, json::object{{"ceremonyId", begun->ceremony_id}, {"publicKey", ParseTrustedJson(begun->options_json)}});
}

Response WebAuthnFinish(BrokerContext& ctx, LoginState& state, const Request& request, const RequestContext& peer) {
  auto parsed = ParseJsonBody(request);
  if (auto* refusal = std::get_if<Response>(&parsed)) return std::move(*refusal);
  auto pending = PendingFor(ctx, state, request, peer, true);
  if (auto* refusal = std::get_if<Response>(&pending)) return std::move(*refusal);
  const std::string user = std::get<PendingLogin>(pending).user;
  if (!state.throttle.Allowed(user)) {
    return SecondFactorRefused(ctx, state, request, peer, user, "webauthn", "second_factor_locked");
  }
  auto checked = CheckWebAuthnAssertion(ctx, user, request.body());
  if (!checked && checked.error().code != Errc::kUnauthenticated) return Unavailable(request, checked.error().message);
  if (!checked) return SecondFactorRefused(ctx, state, request, peer, user, "webauthn", "assertion_refused");
  return CompleteLogin(ctx, state, request, peer, user, "webauthn");
}

}  // namespace

void AddLoginRoutes(Router& router, BrokerContext& ctx) {
  auto state = std::make_shared<LoginState>(ctx);
  router.Add(http::verb::post, "/api/login/password",
             [&ctx, state](const Request& request, const RequestContext& peer) {
               return PasswordStep(ctx, *state, request, peer);
             });
  router.Add(http::verb::post, "/api/login/totp", WrapLoginHandler(ctx, state, &TotpStep));
  router.Add(http::verb::post, "/api/login/webauthn/begin", WrapLoginHandler(ctx, state, &WebAuthnBegin));
  router.Add(http::verb::post, "/api/login/webauthn/finish", WrapLoginHandler(ctx, state, &WebAuthnFinish));
  AddEnrollRoutes(router, ctx, state);
  AddStepUpRoutes(router, ctx, state);
  AddLoginAccountRoutes(router, ctx, state);
}

}  // namespace safedesk::broker
