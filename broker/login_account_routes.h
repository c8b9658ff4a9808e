#pragma once
// GET /api/me, POST /api/logout, POST /api/factors/remove (broker/API.md). Removing a
// factor needs a step-up within broker.step_up_window and never removes the last one:
// a user without a factor would be back at first-login enrollment with a password only.

#include <memory>

#include "broker/http/router.h"
#include "broker/login_support.h"

namespace safedesk::broker {

// Called by AddLoginRoutes (login_routes.h), which owns `state`.
void AddLoginAccountRoutes(Router& router, BrokerContext& ctx, std::shared_ptr<LoginState> state);

}  // namespace safedesk::broker
