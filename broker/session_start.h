#pragma once
// POST /api/requests/start (API.md): turns an approved request into a live session.
// Order matters: the approval is consumed atomically first (it binds exactly one
// session, so a second start or a lapsed approval gets 409 before anything runs), then a
// desktop is started and awaited on a timer, then the session is recorded and audited,
// and only then is a ticket issued. A failure after consumption stops the desktop and is
// audited as session.start_failed; the researcher asks again.

#include <boost/asio/awaitable.hpp>

#include "broker/broker_context.h"
#include "broker/http/http_server.h"
#include "broker/provider_desktop.h"

namespace safedesk::broker {

boost::asio::awaitable<Response> StartSession(BrokerContext& ctx, DesktopProvider& provider, const Request& request,
                                              const RequestContext& peer, ReadyWait wait = {});

}  // namespace safedesk::broker
