// /api/agent/*: register, heartbeat, events (API.md "Components").
#include <boost/json/object.hpp>

#include "broker/api_support.h"
#include "broker/component_routes.h"
#include "broker/requests_common.h"
#include "common/audit_events.h"
#include "common/log.h"

namespace safedesk::broker {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

// Agent event kinds are short dotted names ("window.masked", "lockdown.violation").
constexpr std::size_t kMaxEventKindBytes = 64;

bool PlainName(std::string_view text) {
  for (const char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// The body's desktopId, or the response to send instead.
OrResponse<json::object> DesktopBody(const Request& request, std::string& desktop_id) {
  auto body = ParseJsonBody(request);
  if (auto* refused = std::get_if<Response>(&body)) return std::move(*refused);
  auto id = StringField(std::get<json::object>(body), "desktopId", kMaxNameBytes);
  if (!id || !PlainName(*id)) return Refuse(http::status::bad_request, "bad_request", request, "bad desktopId");
  desktop_id = std::move(*id);
  return std::move(std::get<json::object>(body));
}

Response Register(BrokerContext& ctx, ComponentServices& components, const Request& request,
                  const RequestContext& peer) {
  std::string desktop_id;
  auto body = DesktopBody(request, desktop_id);
  if (auto* refused = std::get_if<Response>(&body)) return std::move(*refused);
  if (auto registered = components.agents.Register(desktop_id); !registered) {
    return Unavailable(request, registered.error());
  }
  if (auto audited = ctx.audit.Append(audit::AgentRegistered(desktop_id, peer.client_subject)); !audited) {
    return Unavailable(request, audited.error());
  }
  log::Main()->info("agent {} registered for desktop {}", peer.client_subject, desktop_id);
  return Ok(request, json::object{{"heartbeatTimeoutMs", ctx.config.broker.agent_heartbeat_timeout.count()}});
}

Response Heartbeat(ComponentServices& components, const Request& request) {
  std::string desktop_id;
  auto body = DesktopBody(request, desktop_id);
  if (auto* refused = std::get_if<Response>(&body)) return std::move(*refused);
  auto beat = components.agents.Heartbeat(desktop_id);
  if (!beat && beat.error().code == Errc::kNotFound) {
    return Refuse(http::status::not_found, "not_registered", request, beat.error().message);
  }
  if (!beat) return Unavailable(request, beat.error());
  return Ok(request, json::object{});
}

// {"desktopId","type"}: the kind is audited, never any content the agent might add.
Response Events(BrokerContext& ctx, const Request& request) {
  std::string desktop_id;
  auto body = DesktopBody(request, desktop_id);
  if (auto* refused = std::get_if<Response>(&body)) return std::move(*refused);
  auto kind = StringField(std::get<json::object>(body), "type", kMaxEventKindBytes);
  if (!kind || !PlainName(*kind)) return Refuse(http::status::bad_request, "bad_request", request, "bad event type");
  if (auto audited = ctx.audit.Append(audit::AgentEvent(desktop_id, *kind)); !audited) {
    return Unavailable(request, audited.error());
  }
  return Ok(request, json::object{});
}

}  // namespace

void AddAgentRoutes(Router& router, BrokerContext& ctx, ComponentServices& components) {
  auto* c = &components;
  router.Add(http::verb::post, "/api/agent/register",
             RequireRole(ComponentRole::kAgent,
                         [&ctx, c](const Request& request, const RequestContext& peer) -> asio::awaitable<Response> {
                           co_return Register(ctx, *c, request, peer);
                         }));
  router.Add(http::verb::post, "/api/agent/heartbeat",
             RequireRole(ComponentRole::kAgent,
                         [c](const Request& request, const RequestContext&) -> asio::awaitable<Response> {
                           co_return Heartbeat(*c, request);
                         }));
  router.Add(http::verb::post, "/api/agent/events",
             RequireRole(ComponentRole::kAgent,
                         [&ctx](const Request& request, const RequestContext&) -> asio::awaitable<Response> {
                           co_return Events(ctx, request);
                         }));
}

}  // namespace safedesk::broker
