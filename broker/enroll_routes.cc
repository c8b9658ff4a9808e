#include "broker/enroll_routes.h"

#include <boost/json/object.hpp>

#include <algorithm>

#include "auth/totp.h"
#include "broker/qr_svg.h"
#include "common/audit_events.h"
#include "common/encoding.h"

namespace safedesk::broker {
namespace {

namespace json = boost::json;

constexpr std::string_view kTotpBoxKind = "totp";

// Who is enrolling: a first login (pending cookie, no factor yet) or a logged-in user.
struct Enroller {
  std::string user;
  bool first_login = false;
};

OrResponse<Enroller> EnrollerFor(BrokerContext& ctx, LoginState& state, const Request& request,
                                 const RequestContext& peer) {
  // A pending first login wins over a session cookie the browser may still hold from
  // another account: the factor must go to the account whose password was just given.
  const std::string_view cookies = request[http::field::cookie];
  if (FindCookie(cookies, kPendingLoginCookieName).empty() && !FindCookie(cookies, kSessionCookieName).empty()) {
    auto caller = Authenticate(ctx, request, peer);
    if (auto* refusal = std::get_if<Response>(&caller)) return std::move(*refusal);
    const Caller& c = std::get<Caller>(caller);
    if (auto refused = RequireStepUp(ctx, c.session, request, "adding a factor")) return std::move(*refused);
    return Enroller{c.user.name, false};
  }
  auto pending = PendingFor(ctx, state, request, peer, false);
  if (auto* refusal = std::get_if<Response>(&pending)) return std::move(*refusal);
  const std::string& user = std::get<PendingLogin>(pending).user;
  auto factors = ConfirmedFactors(ctx.store, user);
  if (!factors) return Unavailable(request, factors.error().message);
  // Otherwise a password alone could add a factor to an account that has one.
  if (!factors->empty()) return Unauthenticated(request, "pending login of " + user + " may not enroll: has factors");
  return Enroller{user, true};
}

// Drops the user's earlier unfinished TOTP enrollments: only the last shown secret counts.
Result<void> DropUnconfirmedTotp(Store& store, const std::string& user) {
  auto all = store.ListFactors(user);
  if (!all) return all.error();
  for (const FactorRecord& f : *all) {
    if (f.kind == FactorKind::kTotp && !f.confirmed) SAFEDESK_TRY(store.RemoveFactor(user, f.id));
  }
  return safedesk::Ok();
}

// Seals the new secret into an unconfirmed factor; returns the JSON answer's fields.
Result<json::object> StartTotp(BrokerContext& ctx, const std::string& user) {
  auto enrollment = auth::TotpEnrollment::Begin(user, ctx.config.auth.webauthn_rp_name, ctx.totp.options(), ctx.random);
  if (!enrollment) return enrollment.error();
  auto sealed = ctx.secret_box.Seal(user, kTotpBoxKind, enrollment->secret());
  if (!sealed) return sealed.error();
  auto svg = QrSvg(enrollment->otpauth_uri());
  if (!svg) return svg.error();
  SAFEDESK_TRY(DropUnconfirmedTotp(ctx.store, user));
  FactorRecord factor;
  factor.user = user;
  factor.kind = FactorKind::kTotp;
  factor.totp_secret_sealed = std::move(*sealed);
  factor.created_at = UnixSeconds(ctx.clock.Now());
  auto id = ctx.store.AddFactor(factor);
  if (!id) return id.error();
  // The seed goes to the page in this body only: never in a URL, a log line or the audit log.
  return json::object{{"otpauthUri", enrollment->otpauth_uri().reveal()},
                      {"secret", Base32Encode(enrollment->secret().bytes())},
                      {"qrSvg", std::move(*svg)}};
}

Response TotpBegin(BrokerContext& ctx, LoginState& state, const Request& request, const RequestContext& peer) {
  auto who = EnrollerFor(ctx, state, request, peer);
  if (auto* refusal = std::get_if<Response>(&who)) return std::move(*refusal);
  auto answer = StartTotp(ctx, std::get<Enroller>(who).user);
  if (!answer) return Unavailable(request, "TOTP enrollment: " + answer.error().message);
  return Ok(request, *answer);
}

// The newest unconfirmed TOTP factor still young enough to be confirmed.
Result<std::optional<FactorRecord>> OpenEnrollment(BrokerContext& ctx, const std::string& user) {
  auto all = ctx.store.ListFactors(user);
  if (!all) return all.error();
  const std::int64_t now = UnixSeconds(ctx.clock.Now());
  for (auto it = all->rbegin(); it != all->rend(); ++it) {
    if (it->kind == FactorKind::kTotp && !it->confirmed && now - it->created_at < kTotpEnrollSeconds) {
      return std::optional<FactorRecord>(std::move(*it));
    }
  }
  return std::optional<FactorRecord>();
}

// Checks the first code against the unconfirmed secret and takes its step (compare-and-
// set, so two finishes with one code cannot both pass). A failed Result is an outage; a
// reason string is a refusal.
Result<std::string_view> ConfirmFirstCode(BrokerContext& ctx, const FactorRecord& factor, const Secret& code) {
  auto secret = ctx.secret_box.Open(factor.user, kTotpBoxKind, factor.totp_secret_sealed);
  if (!secret) return secret.error();
  auto accepted = ctx.totp.Verify(*secret, code, std::nullopt);
  if (!accepted) return std::string_view(accepted.error().code == Errc::kInvalidArgument ? "malformed_code" : "wrong_code");
  auto advanced = ctx.store.AdvanceTotpStep(factor.id, static_cast<std::int64_t>(accepted->step));
  if (!advanced) return advanced.error();
  return *advanced ? std::string_view() : std::string_view("replay");
}

// Replaces the unconfirmed row by a confirmed, labelled one and audits factor.enrolled.
Result<std::int64_t> StoreConfirmedTotp(BrokerContext& ctx, const FactorRecord& unconfirmed, std::string label) {
  auto rows = ctx.store.ListFactors(unconfirmed.user);
  if (!rows) return rows.error();
  auto row = std::find_if(rows->begin(), rows->end(), [&](const FactorRecord& f) { return f.id == unconfirmed.id; });
  if (row == rows->end()) return MakeError(Errc::kNotFound, "enrollment vanished");
  FactorRecord confirmed = *row;  // carries the step ConfirmFirstCode stored
  confirmed.confirmed = true;
  confirmed.label = std::move(label);
  confirmed.created_at = UnixSeconds(ctx.clock.Now());
  auto id = ctx.store.AddFactor(confirmed);
  if (!id) return id.error();
  SAFEDESK_TRY(ctx.store.RemoveFactor(unconfirmed.user, unconfirmed.id));
  if (!Audit(ctx, audit::FactorEnrolled(unconfirmed.user, "totp", std::to_string(*id)))) {
    (void)ctx.store.RemoveFactor(unconfirmed.user, *id);  // no factor without its audit record
    return MakeError(Errc::kUnavailable, "audit log unavailable");
  }
  return *id;
}

// A refused enrollment code: counted (throttle and, on a first login, the pending
// login's own budget), audited as factor.rejected.
Response EnrollRefused(BrokerContext& ctx, LoginState& state, const Request& request, const Enroller& who,
                       std::string_view factor, std::string_view reason) {
  state.throttle.RecordFailure(who.user);
  if (who.first_login) state.pending.CountEnrollFailure(request[http::field::cookie]);
  if (!Audit(ctx, audit::FactorRejected(who.user, factor, reason))) return Unavailable(request, "audit log unavailable");
  return Unauthenticated(request, std::string(factor) + " enrollment of " + who.user + " refused: " + std::string(reason));
}

// Ends an enrollment: a first login becomes a session; otherwise {"factorId"}.
Response EnrollDone(BrokerContext& ctx, LoginState& state, const Request& request, const RequestContext& peer,
                    const Enroller& who, std::string_view factor, std::int64_t id) {
  if (who.first_login) return CompleteLogin(ctx, state, request, peer, who.user, factor);
  return Ok(request, json::object{{"factorId", id}});
}

// A first login's pending cookie is spent before the factor is stored: only one finish wins.
std::optional<Response> SpendPending(BrokerContext& ctx, LoginState& state, const Request& request,
                                     const RequestContext& peer, const Enroller& who) {
  if (!who.first_login) return std::nullopt;
  auto taken = PendingFor(ctx, state, request, peer, true);
  if (auto* refusal = std::get_if<Response>(&taken)) return std::move(*refusal);
  return std::nullopt;
}

Response TotpFinish(BrokerContext& ctx, LoginState& state, const Request& request, const RequestContext& peer) {
  auto parsed = ParseJsonBody(request);
  if (auto* refusal = std::get_if<Response>(&parsed)) return std::move(*refusal);
  const auto& body = std::get<json::object>(parsed);
  auto code = SecretField(body, "code", kMaxCodeBytes);
  auto label = LabelField(body, "Authenticator app");
  if (!code || !label) return BadRequest(request, "enroll/totp/finish needs a code and at most a short label");
  auto who_or = EnrollerFor(ctx, state, request, peer);
  if (auto* refusal = std::get_if<Response>(&who_or)) return std::move(*refusal);
  const Enroller who = std::get<Enroller>(who_or);
  if (!state.throttle.Allowed(who.user)) return EnrollRefused(ctx, state, request, who, "totp", "second_factor_locked");
  auto enrollment = OpenEnrollment(ctx, who.user);
  if (!enrollment) return Unavailable(request, enrollment.error().message);
  if (!enrollment->has_value()) return EnrollRefused(ctx, state, request, who, "totp", "no_enrollment");
  auto refusal = ConfirmFirstCode(ctx, **enrollment, *code);
  if (!refusal) return Unavailable(request, refusal.error().message);
  if (!refusal->empty()) return EnrollRefused(ctx, state, request, who, "totp", *refusal);
  if (auto spent = SpendPending(ctx, state, request, peer, who)) return std::move(*spent);
  auto id = StoreConfirmedTotp(ctx, **enrollment, std::move(*label));
  if (!id) return Unavailable(request, "TOTP enrollment: " + id.error().message);
  return EnrollDone(ctx, state, request, peer, who, "totp", *id);
}

Response WebAuthnBegin(BrokerContext& ctx, LoginState& state, const Request& request, const RequestContext& peer) {
  auto who = EnrollerFor(ctx, state, request, peer);
  if (auto* refusal = std::get_if<Response>(&who)) return std::move(*refusal);
  const std::string& user = std::get<Enroller>(who).user;
  auto record = ctx.store.FindUser(user);
  auto factors = ConfirmedFactors(ctx.store, user, FactorKind::kWebAuthn);
  if (!record || !factors) return Unavailable(request, "store unavailable");
  if (!record->has_value()) return Unauthenticated(request, "user " + user + " gone");
  const auto existing = ToStoredCredentials(*factors);
  // One handle per user: later credentials reuse the first one's.
  auto handle = existing.empty() ? auth::NewUserHandle(ctx.random) : Result(existing.front().user_handle);
  if (!handle) return Unavailable(request, handle.error().message);
  const std::string& display = (*record)->display_name.empty() ? user : (*record)->display_name;
  auto begun = ctx.webauthn.BeginRegistration(user, display, *handle, existing);
  if (!begun) return Unavailable(request, begun.error().message);
  return Ok(request, json::object{{"ceremonyId", begun->ceremony_id}, {"publicKey", ParseTrustedJson(begun->options_json)}});
}

Response WebAuthnFinish(BrokerContext& ctx, LoginState& state, const Request& request, const RequestContext& peer) {
  auto parsed = ParseJsonBody(request);
  if (auto* refusal = std::get_if<Response>(&parsed)) return std::move(*refusal);
  auto label = LabelField(std::get<json::object>(parsed), "Security key");
  if (!label) return BadRequest(request, "enroll/webauthn/finish: label too long");
  auto who_or = EnrollerFor(ctx, state, request, peer);
  if (auto* refusal = std::get_if<Response>(&who_or)) return std::move(*refusal);
  const Enroller who = std::get<Enroller>(who_or);
  auto factors = ConfirmedFactors(ctx.store, who.user, FactorKind::kWebAuthn);
  if (!factors) return Unavailable(request, factors.error().message);
  // The library audits a refusal (factor.rejected) and a success (factor.enrolled).
  auto credential = ctx.webauthn.FinishRegistrationJson(who.user, request.body(), ToStoredCredentials(*factors));
  if (!credential) {
    if (who.first_login) state.pending.CountEnrollFailure(request[http::field::cookie]);
    return Unauthenticated(request, "WebAuthn registration of " + who.user + " refused: " + credential.error().message);
  }
  if (auto spent = SpendPending(ctx, state, request, peer, who)) return std::move(*spent);
  auto id = ctx.store.AddFactor(FactorFromCredential(who.user, *credential, std::move(*label), UnixSeconds(ctx.clock.Now())));
  if (!id) return Unavailable(request, "WebAuthn enrollment: " + id.error().message);
  return EnrollDone(ctx, state, request, peer, who, "webauthn", *id);
}

}  // namespace

void AddEnrollRoutes(Router& router, BrokerContext& ctx, std::shared_ptr<LoginState> state) {
  router.Add(http::verb::post, "/api/enroll/totp/begin", WrapLoginHandler(ctx, state, &TotpBegin));
  router.Add(http::verb::post, "/api/enroll/totp/finish", WrapLoginHandler(ctx, state, &TotpFinish));
  router.Add(http::verb::post, "/api/enroll/webauthn/begin", WrapLoginHandler(ctx, state, &WebAuthnBegin));
  router.Add(http::verb::post, "/api/enroll/webauthn/finish", WrapLoginHandler(ctx, state, &WebAuthnFinish));
}

}  // namespace safedesk::broker
