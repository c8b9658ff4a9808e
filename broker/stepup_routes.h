#pragma once
// /api/stepup/totp and /api/stepup/webauthn/{begin,finish} (broker/API.md): a fresh
// second factor on a live session, recorded with WebSessions::MarkStepUp; sensitive
// actions (removing a factor, deciding a request) require one within
// broker.step_up_window.

#include <memory>

#include "broker/http/router.h"
#include "broker/login_support.h"

namespace safedesk::broker {

// Called by AddLoginRoutes (login_routes.h), which owns `state`.
void AddStepUpRoutes(Router& router, BrokerContext& ctx, std::shared_ptr<LoginState> state);

}  // namespace safedesk::broker
