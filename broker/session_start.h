#pragma once
// POST /api/requests/start (API.md): turns an approved request into a live session.
// Order matters: the approval is consumed atomically first (it binds exactly one
// session, so a second start or a lapsed approval gets 409 before anything runs), then a
// desktop is started and awaited on a timer, then the session is recorded and audited,
// and only then is a ticket issued. A failure after consumption stops the desktop and is
// audited as session.start_failed; the researcher asks again. Before the approval is
// consumed the provider is asked to Admit the start: a full pool is refused with 503
// "pool_full" (audited session.start_refused) and the approval stays usable.

#include <boost/asio/awaitable.hpp>

#include "broker/broker_context.h"
#include "broker/desktop_pool.h"
#include "broker/http/http_server.h"
#include "broker/provider_desktop.h"

namespace safedesk::broker {

boost::asio::awaitable<Response> StartSession(BrokerContext& ctx, DesktopProvider& provider, const Request& request,
                                              const RequestContext& peer, ReadyWait wait = {});

// The end reason (store) and audit reason of a session whose desktop died.
inline constexpr std::string_view kDesktopCrashed = "desktop_crashed";

// The pool's session hooks (desktop_pool.h). Liveness: kUnknown while no session record
// exists (the start is still running) or the store cannot tell.
SessionLiveness SessionLivenessOf(BrokerContext& ctx, const std::string& session_id);
// Ends the session of a desktop that died: store (reason "desktop_crashed"), a terminate
// order for the gateway, the unredeemed credential voided, audited session.desktop_lost.
// Nothing when the session had already ended.
void EndSessionOfLostDesktop(BrokerContext& ctx, const std::string& session_id, const std::string& desktop_id);

}  // namespace safedesk::broker
