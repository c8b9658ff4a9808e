#pragma once
// The administrator's API (API.md, "Administrator"): pending requests and decisions on
// them (admin_api.cc), live sessions and their termination (admin_api.cc), users
// (admin_users.cc). Deciding needs a fresh second factor and never touches one's own
// request; the store refuses a second decision by the same approver atomically.

#include "broker/broker_context.h"
#include "broker/http/router.h"
#include "broker/provider_desktop.h"

namespace safedesk::broker {

void AddAdminRoutes(Router& router, BrokerContext& ctx, DesktopProvider& provider);

// Registers the /api/admin/users* routes; AddAdminRoutes calls it.
void AddAdminUserRoutes(Router& router, BrokerContext& ctx);

}  // namespace safedesk::broker
