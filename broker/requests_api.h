#pragma once
// The researcher's API (API.md, "Researcher"): member projects, session requests, starting
// an approved request (session_start.h), own sessions.

#include "broker/broker_context.h"
#include "broker/http/router.h"
#include "broker/provider_desktop.h"

namespace safedesk::broker {

void AddRequestRoutes(Router& router, BrokerContext& ctx, DesktopProvider& provider);

}  // namespace safedesk::broker
