#include "broker/stepup_routes.h"

#include <boost/json/object.hpp>

#include "common/audit_events.h"

namespace safedesk::broker {
namespace {

namespace json = boost::json;

// Records the step-up and answers {"stepUpUntil"}.
Response Stepped(BrokerContext& ctx, LoginState& state, const Request& request, const Caller& caller) {
  auto marked = ctx.web_sessions.MarkStepUp(caller.session);
  if (!marked) return Unavailable(request, marked.error().message);
  state.throttle.RecordSuccess(caller.user.name);
  WebSessionRecord fresh = caller.session;
  fresh.step_up_at = UnixSeconds(ctx.clock.Now());
  return Ok(request, json::object{{"stepUpUntil", StepUpUntil(ctx, fresh)}});
}

Response StepUpRefused(BrokerContext& ctx, LoginState& state, const Request& request, const std::string& user,
                       std::string_view factor, std::string_view reason) {
  state.throttle.RecordFailure(user);
  if (!Audit(ctx, audit::FactorRejected(user, factor, reason))) return Unavailable(request, "audit log unavailable");
  return Unauthenticated(request, "step-up of " + user + " with " + std::string(factor) + " refused: " +
                                      std::string(reason));
}

Response TotpStepUp(BrokerContext& ctx, LoginState& state, const Request& request, const RequestContext& peer) {
  auto parsed = ParseJsonBody(request);
  if (auto* refusal = std::get_if<Response>(&parsed)) return std::move(*refusal);
  auto code = SecretField(std::get<json::object>(parsed), "code", kMaxCodeBytes);
  if (!code) return BadRequest(request, "stepup/totp needs a code");
  auto caller = Authenticate(ctx, request, peer);
  if (auto* refusal = std::get_if<Response>(&caller)) return std::move(*refusal);
  const Caller& c = std::get<Caller>(caller);
  if (!state.throttle.Allowed(c.user.name)) {
    return StepUpRefused(ctx, state, request, c.user.name, "totp", "second_factor_locked");
  }
  auto check = CheckTotpCode(ctx, c.user.name, *code);
  if (!check) return Unavailable(request, check.error().message);
  if (*check != TotpCheck::kAccepted) return StepUpRefused(ctx, state, request, c.user.name, "totp", TotpCheckName(*check));
  return Stepped(ctx, state, request, c);
}

Response WebAuthnStepUpBegin(BrokerContext& ctx, LoginState&, const Request& request, const RequestContext& peer) {
  auto caller = Authenticate(ctx, request, peer);
  if (auto* refusal = std::get_if<Response>(&caller)) return std::move(*refusal);
  const std::string& user = std::get<Caller>(caller).user.name;
  auto factors = ConfirmedFactors(ctx.store, user, FactorKind::kWebAuthn);
  if (!factors) return Unavailable(request, factors.error().message);
  if (factors->empty()) return Unauthenticated(request, user + " has no WebAuthn credential for a step-up");
  auto begun = ctx.webauthn.BeginAssertion(user, ToStoredCredentials(*factors));
  if (!begun) return Unavailable(request, begun.error().message);
  return Ok(request, json::object{{"ceremonyId", begun->ceremony_id}, {"publicKey", ParseTrustedJson(begun->options_json)}});
}

Response WebAuthnStepUpFinish(BrokerContext& ctx, LoginState& state, const Request& request, const RequestContext& peer) {
  auto parsed = ParseJsonBody(request);
  if (auto* refusal = std::get_if<Response>(&parsed)) return std::move(*refusal);
  auto caller = Authenticate(ctx, request, peer);
  if (auto* refusal = std::get_if<Response>(&caller)) return std::move(*refusal);
  const Caller& c = std::get<Caller>(caller);
  if (!state.throttle.Allowed(c.user.name)) {
    return StepUpRefused(ctx, state, request, c.user.name, "webauthn", "second_factor_locked");
  }
  auto checked = CheckWebAuthnAssertion(ctx, c.user.name, request.body());
  if (!checked && checked.error().code != Errc::kUnauthenticated) return Unavailable(request, checked.error().message);
  if (!checked) {
    // The library already wrote factor.rejected with its reason; count it only.
    state.throttle.RecordFailure(c.user.name);
    return Unauthenticated(request, "WebAuthn step-up refused: " + checked.error().message);
  }
  return Stepped(ctx, state, request, c);
}

}  // namespace

void AddStepUpRoutes(Router& router, BrokerContext& ctx, std::shared_ptr<LoginState> state) {
  router.Add(http::verb::post, "/api/stepup/totp", WrapLoginHandler(ctx, state, &TotpStepUp));
  router.Add(http::verb::post, "/api/stepup/webauthn/begin", WrapLoginHandler(ctx, state, &WebAuthnStepUpBegin));
  router.Add(http::verb::post, "/api/stepup/webauthn/finish", WrapLoginHandler(ctx, state, &WebAuthnStepUpFinish));
}

}  // namespace safedesk::broker
