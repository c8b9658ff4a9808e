#pragma once
// The component API (API.md "Components"), served on broker.component_listen behind
// mutual TLS: the verified client certificate's CN says who calls. Gateways (CN
// "safedesk-gateway" or "gateway…") may call /api/gateway/*, agents (CN "agent-<desktopId>",
// bound to the body's desktopId) /api/agent/*; anything else is 403. The routes never appear on the browser
// listener, and an empty client subject is refused anyway.

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <string_view>

#include "auth/ticket_redeemer.h"
#include "broker/broker_context.h"
#include "broker/component_state.h"
#include "broker/http/router.h"

namespace safedesk::broker {

enum class ComponentRole { kGateway, kAgent };
// The role a certificate CN holds, if any.
std::optional<ComponentRole> RoleOfSubject(std::string_view common_name);

// The component API's state, owned by the composition root (or a test). Attach points
// the context at it, so session start and admin terminate feed it.
struct ComponentServices {
  ComponentServices(const auth::TicketIssuer& tickets, const Clock& clock, AuditSink& audit,
                    std::chrono::milliseconds agent_heartbeat_timeout);
  void Attach(BrokerContext& ctx);

  VmCredentialVault vault;
  TerminateOrders orders;
  // Where a session.end from the gateway stops the desktop (the composition root's pool);
  // null in tests that run no desktops.
  DesktopProvider* desktops = nullptr;
  AgentRegistry agents;
  auth::TicketRedeemer redeemer;  // single use is enforced by its nonce cache
};

// Longest long-poll on GET /api/gateway/orders?wait=<seconds>: under the gateway's and any
// proxy's idle timeouts.
inline constexpr std::chrono::seconds kMaxOrdersWait{30};
// How often a waiting long-poll looks at the order queue.
inline constexpr std::chrono::milliseconds kOrdersPollInterval{100};

void AddComponentRoutes(Router& router, BrokerContext& ctx, ComponentServices& components);
// The gateway's and agent's handlers, by file (component_gateway.cc, component_agent.cc).
void AddGatewayRoutes(Router& router, BrokerContext& ctx, ComponentServices& components);
void AddAgentRoutes(Router& router, BrokerContext& ctx, ComponentServices& components);
// Wraps a handler so only callers whose certificate CN holds `role` reach it.
Handler RequireRole(ComponentRole role, Handler handler);

// Sweeps the agent registry every `interval` until the executor stops (the service spawns it).
boost::asio::awaitable<void> SweepAgents(AgentRegistry& agents, std::chrono::milliseconds interval);

}  // namespace safedesk::broker
