#pragma once
// The "Login and factors" rows of broker/API.md: password → second factor (TOTP or
// WebAuthn with user verification), first-login enrollment, step-up, me, logout and
// factor removal. The login is a two-state machine: password accepted (a pending login,
// pending_login.h) → second factor accepted (a web session, web_sessions.h).

#include "broker/broker_context.h"
#include "broker/http/router.h"

namespace safedesk::broker {

// Registers every route of the table: /api/login/*, /api/enroll/* (enroll_routes.h),
// /api/stepup/* (stepup_routes.h), /api/me, /api/logout, /api/factors/remove. They share
// the pending logins, so one call registers them all. `ctx` must outlive the router.
void AddLoginRoutes(Router& router, BrokerContext& ctx);

}  // namespace safedesk::broker
