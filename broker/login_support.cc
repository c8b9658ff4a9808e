#include "broker/login_support.h"

#include <boost/json/parse.hpp>

#include <algorithm>

#include "common/audit_events.h"
#include "common/encoding.h"
#include "common/log.h"

namespace safedesk::broker {
namespace json = boost::json;

namespace {

constexpr std::string_view kTotpBoxKind = "totp";  // FactorSecretBox AAD: user + this

// One TOTP factor: kAccepted only after the Store took the step (compare-and-set).
Result<TotpCheck> CheckOneTotp(BrokerContext& ctx, const FactorRecord& factor, const Secret& code) {
  auto secret = ctx.secret_box.Open(factor.user, kTotpBoxKind, factor.totp_secret_sealed);
  if (!secret) return MakeError(secret.error().code, "factor " + std::to_string(factor.id) + ": " + secret.error().message);
  std::optional<std::uint64_t> last;
  if (factor.totp_last_step >= 0) last = static_cast<std::uint64_t>(factor.totp_last_step);
  auto accepted = ctx.totp.Verify(*secret, code, last);
  if (!accepted) {
    switch (accepted.error().code) {
      case Errc::kInvalidArgument: return TotpCheck::kMalformed;
      case Errc::kReplay: return TotpCheck::kReplay;
      default: return TotpCheck::kWrongCode;
    }
  }
  auto advanced = ctx.store.AdvanceTotpStep(factor.id, static_cast<std::int64_t>(accepted->step));
  if (!advanced) return advanced.error();
  return *advanced ? TotpCheck::kAccepted : TotpCheck::kReplay;
}

}  // namespace

Response Unauthenticated(const Request& request, std::string_view detail) {
  return Refuse(http::status::unauthorized, "unauthenticated", request, detail);
}

Response Unavailable(const Request& request, std::string_view detail) {
  return Refuse(http::status::service_unavailable, "unavailable", request, detail);
}

Response BadRequest(const Request& request, std::string_view detail) {
  return Refuse(http::status::bad_request, "bad_request", request, detail);
}

bool Audit(BrokerContext& ctx, const AuditEvent& event) {
  auto appended = ctx.audit.Append(event);
  if (!appended) log::Main()->error("audit append of {} failed: {}", event.type, appended.error().message);
  return appended.ok();
}

std::optional<Secret> SecretField(const json::object& body, std::string_view key, std::size_t max_bytes) {
  const auto* value = body.if_contains(key);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  const json::string& text = value->get_string();
  if (text.empty() || text.size() > max_bytes) return std::nullopt;
  return Secret(std::string_view(text.data(), text.size()));
}

std::optional<std::string> LabelField(const json::object& body, std::string_view fallback) {
  if (!body.contains("label")) return std::string(fallback);
  auto label = StringField(body, "label", kMaxLabelBytes, true);
  if (!label) return std::nullopt;
  if (std::any_of(label->begin(), label->end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
    return std::nullopt;  // control bytes would garble the pages and the logs
  }
  return label->empty() ? std::string(fallback) : *label;
}

Result<std::vector<FactorRecord>> ConfirmedFactors(Store& store, const std::string& user,
                                                   std::optional<FactorKind> kind) {
  auto all = store.ListFactors(user);
  if (!all) return all.error();
  std::vector<FactorRecord> out;
  for (FactorRecord& factor : *all) {
    if (factor.confirmed && (!kind || factor.kind == *kind)) out.push_back(std::move(factor));
  }
  return out;
}

std::vector<auth::StoredCredential> ToStoredCredentials(const std::vector<FactorRecord>& factors) {
  std::vector<auth::StoredCredential> out;
  for (const FactorRecord& f : factors) {
    if (f.kind != FactorKind::kWebAuthn) continue;
    auth::StoredCredential c;
    c.credential_id = f.credential_id;
    c.cose_public_key = f.public_key;
    c.alg = static_cast<int>(f.algorithm);
    c.sign_count = static_cast<std::uint32_t>(f.sign_count);
    c.user_handle = f.user_handle;
    c.created = Clock::WallTime(std::chrono::seconds(f.created_at));
    out.push_back(std::move(c));
  }
  return out;
}

FactorRecord FactorFromCredential(const std::string& user, const auth::StoredCredential& credential,
                                  std::string label, std::int64_t now) {
  FactorRecord f;
  f.user = user;
  f.kind = FactorKind::kWebAuthn;
  f.label = std::move(label);
  f.confirmed = true;  // the registration ceremony proved the authenticator holds the key
  f.credential_id = credential.credential_id;
  f.public_key = credential.cose_public_key;
  f.algorithm = credential.alg;
  f.sign_count = credential.sign_count;
  f.user_handle = credential.user_handle;
  f.created_at = now;
  return f;
}

std::string_view TotpCheckName(TotpCheck check) {
  switch (check) {
    case TotpCheck::kAccepted: return "accepted";
    case TotpCheck::kWrongCode: return "wrong_code";
    case TotpCheck::kReplay: return "replay";
    case TotpCheck::kMalformed: return "malformed_code";
    case TotpCheck::kNoFactor: return "no_totp_factor";
  }
  return "wrong_code";
}

Result<TotpCheck> CheckTotpCode(BrokerContext& ctx, const std::string& user, const Secret& code) {
  auto factors = ConfirmedFactors(ctx.store, user, FactorKind::kTotp);
  if (!factors) return factors.error();
  if (factors->empty()) return TotpCheck::kNoFactor;
  TotpCheck worst = TotpCheck::kWrongCode;
  for (const FactorRecord& factor : *factors) {
    auto check = CheckOneTotp(ctx, factor, code);
    if (!check) return check.error();
    if (*check == TotpCheck::kAccepted) return TotpCheck::kAccepted;
    // A replay on any factor is the more telling reason for the audit log.
    if (*check == TotpCheck::kReplay || *check == TotpCheck::kMalformed) worst = *check;
  }
  return worst;
}

Result<void> CheckWebAuthnAssertion(BrokerContext& ctx, const std::string& user, std::string_view body) {
  auto factors = ConfirmedFactors(ctx.store, user, FactorKind::kWebAuthn);
  if (!factors) return factors.error();
  const auto credentials = ToStoredCredentials(*factors);
  auto asserted = ctx.webauthn.FinishAssertionJson(user, body, credentials);
  if (!asserted) return MakeError(Errc::kUnauthenticated, "webauthn assertion refused: " + asserted.error().message);
  const auto factor = std::find_if(factors->begin(), factors->end(), [&](const FactorRecord& f) {
    return f.credential_id == asserted->credential_id;
  });
  if (factor == factors->end()) return MakeError(Errc::kUnauthenticated, "asserted credential not among the user's");
  auto advanced = ctx.store.AdvanceSignCount(factor->id, asserted->sign_count);
  if (!advanced) return advanced.error();
  if (!*advanced) {
    // Another process accepted a newer counter meanwhile: this assertion is a replay or a clone.
    if (!Audit(ctx, audit::FactorRejected(user, "webauthn", "counter_regressed"))) {
      return MakeError(Errc::kUnavailable, "audit log unavailable");
    }
    return MakeError(Errc::kUnauthenticated, "webauthn counter regressed (store compare-and-set)");
  }
  return safedesk::Ok();
}

OrResponse<PendingLogin> PendingFor(BrokerContext& ctx, LoginState& state, const Request& request,
                                    const RequestContext& peer, bool take) {
  const std::string_view cookies = request[http::field::cookie];
  auto found = take ? state.pending.Take(cookies, peer.remote_address) : state.pending.Peek(cookies, peer.remote_address);
  if (found.login) return std::move(*found.login);
  const std::string_view reason = PendingRejectionName(*found.rejection);
  // Only a presented cookie is worth an audit record; a missing one is a page out of step.
  if (*found.rejection != PendingRejection::kMissing &&
      !Audit(ctx, audit::LoginFailure("", peer.remote_address, "pending_login", reason))) {
    return Unavailable(request, "audit log unavailable");
  }
  return Unauthenticated(request, std::string("pending login refused: ") + std::string(reason));
}

Response CompleteLogin(BrokerContext& ctx, LoginState& state, const Request& request, const RequestContext& peer,
                       const std::string& user, std::string_view second_factor) {
  auto record = ctx.store.FindUser(user);
  if (!record) return Unavailable(request, record.error().message);
  if (!record->has_value() || (*record)->disabled) {
    if (!Audit(ctx, audit::LoginFailure(user, peer.remote_address, second_factor, "user_gone_or_disabled"))) {
      return Unavailable(request, "audit log unavailable");
    }
    return Unauthenticated(request, "user " + user + " gone or disabled during login");
  }
  const std::string factors = "password+" + std::string(second_factor);
  auto session = ctx.web_sessions.Create(user, peer.remote_address, factors);
  if (!session) return Unavailable(request, session.error().message);
  if (!Audit(ctx, audit::LoginSuccess(user, peer.remote_address, factors))) {
    (void)ctx.web_sessions.Destroy(session->record);  // no session without its audit record
    return Unavailable(request, "audit log unavailable");
  }
  state.throttle.RecordSuccess(user);
  json::array roles;
  for (const std::string& role : (*record)->roles) roles.emplace_back(role);
  Response response = Ok(request, json::object{{"user", user}, {"roles", std::move(roles)}, {"csrf", session->csrf_token}});
  response.insert(http::field::set_cookie, ctx.web_sessions.SetCookieHeader(session->cookie_value));
  response.insert(http::field::set_cookie, PendingLogins::ClearCookieHeader());
  return response;
}

json::value ParseTrustedJson(std::string_view text) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  return ec ? json::value() : value;
}

}  // namespace safedesk::broker

namespace safedesk::broker {
namespace {

boost::asio::awaitable<Response> RunLoginHandler(LoginHandler handler, BrokerContext& ctx, LoginState& state,
                                                 const Request& request, const RequestContext& peer) {
  co_return handler(ctx, state, request, peer);
}

}  // namespace

Handler WrapLoginHandler(BrokerContext& ctx, std::shared_ptr<LoginState> state, LoginHandler handler) {
  return [&ctx, state = std::move(state), handler](const Request& request, const RequestContext& peer) {
    return RunLoginHandler(handler, ctx, *state, request, peer);
  };
}

}  // namespace safedesk::broker
