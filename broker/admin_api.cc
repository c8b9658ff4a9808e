#include "broker/admin_api.h"

#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>

#include <algorithm>

#include "broker/component_state.h"
#include "broker/requests_common.h"
#include "common/audit_events.h"
#include "common/log.h"

namespace safedesk::broker {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

Response ListPending(BrokerContext& ctx, const Request& request, const RequestContext& peer) {
  auto caller = AuthorizeCaller(ctx, request, peer, Capability::kApprove);
  if (auto* refused = std::get_if<Response>(&caller)) return std::move(*refused);
  auto records = ctx.store.ListRequests(std::nullopt, RequestState::kPending);
  if (!records) return Unavailable(request, records.error());
  json::array out;
  for (const RequestRecord& record : *records) {
    if (record.user == std::get<Caller>(caller).user.name) continue;  // never one's own
    auto decisions = DecisionsOf(ctx, request, record.id);
    if (auto* refused = std::get_if<Response>(&decisions)) return std::move(*refused);
    out.push_back(RequestJson(record, std::get<std::vector<DecisionRecord>>(decisions), NowSeconds(ctx)));
  }
  return Ok(request, json::object{{"requests", std::move(out)}});
}

struct DecisionFields {
  std::string id;
  bool approve = false;
  std::string reason;
};

std::optional<DecisionFields> ReadDecision(const json::object& body) {
  auto id = StringField(body, "id", kMaxNameBytes);
  auto approve = BoolField(body, "approve");
  if (!id || !approve) return std::nullopt;
  // A denial must say why; an approval may.
  auto reason = StringField(body, "reason", kMaxReasonBytes, /*allow_empty=*/*approve);
  if (!reason && !(*approve && !body.contains("reason"))) return std::nullopt;
  return DecisionFields{std::move(*id), *approve, reason.value_or("")};
}

// The checks whose answers differ (404, 403, 409) before the store decides atomically.
std::optional<Response> CheckDecidable(BrokerContext& ctx, const Caller& caller, const RequestRecord& record,
                                       const Request& request) {
  if (record.user == caller.user.name) {
    return Refuse(http::status::forbidden, "forbidden", request, caller.user.name + " deciding own request");
  }
  auto decisions = DecisionsOf(ctx, request, record.id);
  if (auto* refused = std::get_if<Response>(&decisions)) return std::move(*refused);
  const auto& list = std::get<std::vector<DecisionRecord>>(decisions);
  if (std::any_of(list.begin(), list.end(), [&](const DecisionRecord& d) { return d.approver == caller.user.name; })) {
    return Refuse(http::status::conflict, "conflict", request, caller.user.name + " already decided " + record.id);
  }
  if (record.state != RequestState::kPending) {
    return Refuse(http::status::conflict, "conflict", request, "request " + record.id + " is not pending");
  }
  return std::nullopt;
}

Response Decide(BrokerContext& ctx, const Request& request, const RequestContext& peer) {
  auto caller = AuthorizeCaller(ctx, request, peer, Capability::kApprove);
  if (auto* refused = std::get_if<Response>(&caller)) return std::move(*refused);
  const Caller& who = std::get<Caller>(caller);
  auto body = ParseJsonBody(request);
  if (auto* refused = std::get_if<Response>(&body)) return std::move(*refused);
  auto fields = ReadDecision(std::get<json::object>(body));
  if (!fields) return Refuse(http::status::bad_request, "bad_request", request, "bad decision fields");
  if (auto refused = RequireStepUp(ctx, who.session, request, "deciding a request")) return std::move(*refused);
  auto record = ctx.store.GetRequest(fields->id);
  if (!record) return Unavailable(request, record.error());
  if (!record->has_value()) return Refuse(http::status::not_found, "not_found", request, "no request " + fields->id);
  if (auto refused = CheckDecidable(ctx, who, **record, request)) return std::move(*refused);
  const std::int64_t now = NowSeconds(ctx);
  const auto validity = std::chrono::duration_cast<std::chrono::seconds>(ctx.config.broker.approval_validity).count();
  auto decided = ctx.store.Decide({fields->id, who.user.name, fields->approve, fields->reason, now}, now + validity);
  if (!decided && decided.error().code == Errc::kPermissionDenied) {
    return Refuse(http::status::conflict, "conflict", request, decided.error().message);  // lost a race
  }
  if (!decided) return Unavailable(request, decided.error());
  auto audited = ctx.audit.Append(fields->approve ? audit::RequestApproved(fields->id, who.user.name)
                                                  : audit::RequestDenied(fields->id, who.user.name, fields->reason));
  if (!audited) return Unavailable(request, audited.error());
  log::Main()->info("request {}: {} by {}, now {}", fields->id, fields->approve ? "approval" : "denial", who.user.name,
                    RequestStateName(decided->state));
  return Ok(request, json::object{{"state", RequestStateName(decided->state)}});
}

Response ListLive(BrokerContext& ctx, const Request& request, const RequestContext& peer) {
  auto caller = AuthorizeCaller(ctx, request, peer, Capability::kAdmin);
  if (auto* refused = std::get_if<Response>(&caller)) return std::move(*refused);
  auto sessions = ctx.store.ListSessions(true);
  if (!sessions) return Unavailable(request, sessions.error());
  json::array out;
  for (const SessionRecord& session : *sessions) {
    json::object item = SessionJson(session);
    if (ctx.agents != nullptr) item["agent"] = AgentStateName(ctx.agents->State(session.desktop));
    out.push_back(std::move(item));
  }
  return Ok(request, json::object{{"sessions", std::move(out)}});
}

Response Terminate(BrokerContext& ctx, DesktopProvider& provider, const Request& request, const RequestContext& peer) {
  auto caller = AuthorizeCaller(ctx, request, peer, Capability::kAdmin);
  if (auto* refused = std::get_if<Response>(&caller)) return std::move(*refused);
  auto body = ParseJsonBody(request);
  if (auto* refused = std::get_if<Response>(&body)) return std::move(*refused);
  auto id = StringField(std::get<json::object>(body), "id", kMaxNameBytes);
  auto reason = StringField(std::get<json::object>(body), "reason", kMaxReasonBytes);
  if (!id || !reason) return Refuse(http::status::bad_request, "bad_request", request, "missing id or reason");
  auto session = ctx.store.GetSession(*id);
  if (!session) return Unavailable(request, session.error());
  if (!session->has_value()) return Refuse(http::status::not_found, "not_found", request, "no session " + *id);
  auto ended = ctx.store.EndSession(*id, NowSeconds(ctx), *reason);
  if (!ended) return Unavailable(request, ended.error());
  if (!*ended) return Refuse(http::status::conflict, "conflict", request, "session " + *id + " already ended");
  const std::string& by = std::get<Caller>(caller).user.name;
  auto audited = ctx.audit.Append(audit::SessionTerminated(*id, by, *reason));
  // The gateway drops the connection on this order; an unredeemed credential is void.
  if (ctx.terminate_orders != nullptr) ctx.terminate_orders->Push({*id, *reason});
  if (ctx.vm_credentials != nullptr) ctx.vm_credentials->Discard(*id);
  // The desktop goes whatever the audit log says: a terminated session must not keep running.
  if (auto stopped = provider.Stop((*session)->desktop); !stopped) {
    log::ForSession(*id)->warn("desktop {} not stopped: {}", (*session)->desktop, stopped.error().message);
  }
  if (!audited) return Unavailable(request, audited.error());
  log::ForSession(*id)->info("terminated by {}", by);
  return Ok(request, json::object{});
}

}  // namespace

void AddAdminRoutes(Router& router, BrokerContext& ctx, DesktopProvider& provider) {
  router.Add(http::verb::get, "/api/admin/requests", WrapPlain(ctx, ListPending));
  router.Add(http::verb::post, "/api/admin/requests/decide", WrapPlain(ctx, Decide));
  router.Add(http::verb::get, "/api/admin/sessions", WrapPlain(ctx, ListLive));
  router.Add(http::verb::post, "/api/admin/sessions/terminate",
             [&ctx, &provider](const Request& request, const RequestContext& peer) -> asio::awaitable<Response> {
               co_return Terminate(ctx, provider, request, peer);
             });
  AddAdminUserRoutes(router, ctx);
  AddAdminProjectRoutes(router, ctx);
}

}  // namespace safedesk::broker
