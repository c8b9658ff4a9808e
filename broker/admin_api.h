#pragma once
// The administrator's API (API.md, "Administrator"): pending requests and decisions on
// them, live sessions and their termination (admin_api.cc), users (admin_users.cc),
// projects (admin_projects.cc). Every change but a termination needs a fresh second
// factor; deciding never touches one's own request, and the store refuses a second
// decision by the same approver atomically.

#include "broker/broker_context.h"
#include "broker/http/router.h"
#include "broker/provider_desktop.h"

namespace safedesk::broker {

void AddAdminRoutes(Router& router, BrokerContext& ctx, DesktopProvider& provider);

// Registers the /api/admin/users* routes; AddAdminRoutes calls it.
void AddAdminUserRoutes(Router& router, BrokerContext& ctx);
// Registers the /api/admin/projects routes (admin_projects.cc); AddAdminRoutes calls it.
void AddAdminProjectRoutes(Router& router, BrokerContext& ctx);

}  // namespace safedesk::broker
