#include "broker/login_account_routes.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <algorithm>

#include "common/audit_events.h"

namespace safedesk::broker {
namespace {

namespace json = boost::json;

json::array FactorList(const std::vector<FactorRecord>& factors) {
  json::array out;
  for (const FactorRecord& f : factors) {
    out.push_back(json::object{{"id", f.id}, {"kind", FactorKindName(f.kind)}, {"label", f.label}});
  }
  return out;
}

Response Me(BrokerContext& ctx, LoginState&, const Request& request, const RequestContext& peer) {
  auto caller = Authenticate(ctx, request, peer);
  if (auto* refusal = std::get_if<Response>(&caller)) return std::move(*refusal);
  const Caller& c = std::get<Caller>(caller);
  auto factors = ConfirmedFactors(ctx.store, c.user.name);
  if (!factors) return Unavailable(request, factors.error().message);
  // Only the token's hash is stored, so a page that lost it (a reload) gets a new one.
  auto csrf = ctx.web_sessions.RotateCsrfToken(c.session);
  if (!csrf) return Unavailable(request, csrf.error().message);
  json::array roles;
  for (const std::string& role : c.user.roles) roles.emplace_back(role);
  return Ok(request, json::object{{"user", c.user.name},
                                  {"displayName", c.user.display_name.empty() ? c.user.name : c.user.display_name},
                                  {"roles", std::move(roles)},
                                  {"csrf", std::move(*csrf)},
                                  {"factors", FactorList(*factors)},
                                  {"stepUpUntil", StepUpUntil(ctx, c.session)}});
}

Response Logout(BrokerContext& ctx, LoginState&, const Request& request, const RequestContext& peer) {
  auto caller = Authenticate(ctx, request, peer);
  if (auto* refusal = std::get_if<Response>(&caller)) return std::move(*refusal);
  auto destroyed = ctx.web_sessions.Destroy(std::get<Caller>(caller).session);
  if (!destroyed) return Unavailable(request, destroyed.error().message);
  Response response = Ok(request, json::object{});
  response.insert(http::field::set_cookie, WebSessions::ClearCookieHeader());
  return response;
}

// Removes `id` unless it is the user's last confirmed factor: one atomic step in the
// store, so two brokers (or two tabs) cannot each remove one of the last two.
Response RemoveChecked(BrokerContext& ctx, const Request& request, const std::string& user, std::int64_t id) {
  auto factors = ctx.store.ListFactors(user);
  if (!factors) return Unavailable(request, factors.error().message);
  const auto factor = std::find_if(factors->begin(), factors->end(), [id](const FactorRecord& f) { return f.id == id; });
  auto removed = ctx.store.RemoveFactorUnlessLast(user, id);
  if (!removed) return Unavailable(request, removed.error().message);
  switch (*removed) {
    case FactorRemoval::kNotFound:
      return Refuse(http::status::not_found, "not_found", request, "factor " + std::to_string(id) + " not " + user + "'s");
    case FactorRemoval::kLastFactor:
      return Refuse(http::status::conflict, "conflict", request, "the last factor stays");
    case FactorRemoval::kRemoved:
      break;
  }
  const std::string_view kind = factor != factors->end() ? FactorKindName(factor->kind) : "unknown";
  if (!Audit(ctx, audit::FactorRemoved(user, kind, std::to_string(id)))) {
    return Unavailable(request, "audit log unavailable");
  }
  return Ok(request, json::object{});
}

Response RemoveFactor(BrokerContext& ctx, LoginState&, const Request& request, const RequestContext& peer) {
  auto parsed = ParseJsonBody(request);
  if (auto* refusal = std::get_if<Response>(&parsed)) return std::move(*refusal);
  auto id = IntField(std::get<json::object>(parsed), "factorId");
  if (!id) return BadRequest(request, "factors/remove needs a numeric factorId");
  auto caller = Authenticate(ctx, request, peer);
  if (auto* refusal = std::get_if<Response>(&caller)) return std::move(*refusal);
  const Caller& c = std::get<Caller>(caller);
  if (auto refused = RequireStepUp(ctx, c.session, request, "removing a factor")) return std::move(*refused);
  return RemoveChecked(ctx, request, c.user.name, *id);
}

}  // namespace

void AddLoginAccountRoutes(Router& router, BrokerContext& ctx, std::shared_ptr<LoginState> state) {
  router.Add(http::verb::get, "/api/me", WrapLoginHandler(ctx, state, &Me));
  router.Add(http::verb::post, "/api/logout", WrapLoginHandler(ctx, state, &Logout));
  router.Add(http::verb::post, "/api/factors/remove", WrapLoginHandler(ctx, state, &RemoveFactor));
}

}  // namespace safedesk::broker
