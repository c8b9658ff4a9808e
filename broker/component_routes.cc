#include "broker/component_routes.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "broker/api_support.h"

namespace safedesk::broker {
namespace {

namespace asio = boost::asio;

bool NamedFor(std::string_view cn, std::string_view exact, std::string_view prefix) {
  return cn == exact || cn.starts_with(prefix);
}

}  // namespace

std::optional<ComponentRole> RoleOfSubject(std::string_view common_name) {
  if (NamedFor(common_name, "safedesk-gateway", "gateway")) return ComponentRole::kGateway;
  // An agent's CN is "agent-<desktopId>"; component_agent.cc binds it to the body's desktop.
  if (common_name.starts_with("agent-")) return ComponentRole::kAgent;
  return std::nullopt;
}

ComponentServices::ComponentServices(const auth::TicketIssuer& tickets, const Clock& clock, AuditSink& audit,
                                     std::chrono::milliseconds agent_heartbeat_timeout)
    : orders(clock), agents(clock, audit, agent_heartbeat_timeout), redeemer(tickets.public_key(), tickets.options(), clock) {}

void ComponentServices::Attach(BrokerContext& ctx) {
  ctx.vm_credentials = &vault;
  ctx.terminate_orders = &orders;
  ctx.agents = &agents;
}

Handler RequireRole(ComponentRole role, Handler handler) {
  return [role, handler = std::move(handler)](const Request& request,
                                              const RequestContext& peer) -> asio::awaitable<Response> {
    const auto held = RoleOfSubject(peer.client_subject);
    if (!held || *held != role) {
      co_return Refuse(http::status::forbidden, "forbidden", request,
                       "component certificate CN '" + peer.client_subject + "' may not call " +
                           std::string(request.target()));
    }
    Response response = co_await handler(request, peer);
    co_return response;
  };
}

void AddComponentRoutes(Router& router, BrokerContext& ctx, ComponentServices& components) {
  AddGatewayRoutes(router, ctx, components);
  AddAgentRoutes(router, ctx, components);
}

asio::awaitable<void> SweepAgents(AgentRegistry& agents, std::chrono::milliseconds interval) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    timer.expires_after(interval);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    agents.Sweep();
  }
}

}  // namespace safedesk::broker
