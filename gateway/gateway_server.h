#pragma once
// The gateway's listeners and background loops on one io_context: the browser front
// door (WSS), the broker's terminate orders (long-poll), and /metrics (plain HTTP on
// loopback, Prometheus text).

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <functional>

#include "gateway/browser_session.h"

namespace safedesk::gateway {

// Accepts until the acceptor is closed; each admitted connection runs ServeBrowser on a
// strand of its own. Connections over the total cap are closed at once.
boost::asio::awaitable<void> AcceptBrowsers(GatewayShared& shared, boost::asio::ssl::context& tls,
                                            boost::asio::ip::tcp::acceptor& acceptor);

// Long-polls the broker for terminate orders and stops the named sessions. A broker that
// cannot be reached is retried after a pause; the loop ends when `stopping` is set.
boost::asio::awaitable<void> FollowOrders(GatewayShared& shared, const bool& stopping);

// Accepts on `acceptor` until it closes and runs `serve` detached for each connection.
boost::asio::awaitable<void> ServeEach(boost::asio::ip::tcp::acceptor& acceptor,
                                       std::function<boost::asio::awaitable<void>(boost::asio::ip::tcp::socket)> serve);

// GET /metrics → SessionRegistry::MetricsText; anything else 404.
boost::asio::awaitable<void> ServeMetrics(SessionRegistry& registry, boost::asio::ip::tcp::acceptor& acceptor);

}  // namespace safedesk::gateway
