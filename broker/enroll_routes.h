#pragma once
// /api/enroll/{totp,webauthn}/{begin,finish} (broker/API.md). Two callers: a first login
// (the pending-login cookie of a user without any factor; finishing logs them in) and a
// logged-in user adding a factor (session + CSRF + a step-up within
// broker.step_up_window, so a stolen session alone cannot plant a factor).

#include <memory>

#include "broker/http/router.h"
#include "broker/login_support.h"

namespace safedesk::broker {

// Called by AddLoginRoutes (login_routes.h), which owns `state`.
void AddEnrollRoutes(Router& router, BrokerContext& ctx, std::shared_ptr<LoginState> state);

}  // namespace safedesk::broker
