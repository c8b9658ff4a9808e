#include "gateway/gateway_server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "common/log.h"
#include "gateway/broker_client.h"
#include "gateway/session_registry.h"

namespace safedesk::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

asio::awaitable<void> ServeMetricsConnection(SessionRegistry& registry, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  stream.expires_after(std::chrono::seconds(5));
  beast::flat_buffer buffer;
  http::request_parser<http::empty_body> parser;
  parser.header_limit(8 * 1024);
  auto [ec, n] = co_await http::async_read(stream, buffer, parser, kUseTuple);
  if (ec) co_return;
  const auto& request = parser.get();
  http::response<http::string_body> response;
  response.version(11);
  response.keep_alive(false);
  if (request.method() == http::verb::get && request.target() == "/metrics") {
    response.result(http::status::ok);
    response.set(http::field::content_type, "text/plain; version=0.0.4");
    response.body() = registry.MetricsText();
  } else {
    response.result(http::status::not_found);
    response.body() = "not found\n";
  }
  response.prepare_payload();
  auto [write_ec, written] = co_await http::async_write(stream, response, kUseTuple);
  (void)write_ec;
  boost::system::error_code shutdown_ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, shutdown_ec);
}

}  // namespace

asio::awaitable<void> AcceptBrowsers(GatewayShared& shared, asio::ssl::context& tls, tcp::acceptor& acceptor) {
  auto executor = co_await asio::this_coro::executor;
  while (acceptor.is_open()) {
    auto strand = asio::make_strand(executor);
    tcp::socket socket(strand);
    auto [ec] = co_await acceptor.async_accept(socket, kUseTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) break;
      log::Main()->warn("gateway: accept failed: {}", ec.message());
      continue;
    }
    if (!shared.registry->ReserveConnection()) {
      log::Main()->warn("gateway: connection limit reached; closing a new connection");
      boost::system::error_code close_ec;
      socket.close(close_ec);
      continue;
    }
    asio::co_spawn(strand, ServeBrowser(shared, tls, std::move(socket)), [](std::exception_ptr error) {
      if (!error) return;
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        log::Main()->error("gateway: connection failed: {}", e.what());
      }
    });
  }
}

asio::awaitable<void> FollowOrders(GatewayShared& shared, const bool& stopping) {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer pause(executor);
  while (!stopping) {
    auto orders = co_await shared.broker->WaitForOrders(std::chrono::seconds(25));
    if (stopping) break;
    if (!orders) {
      log::Main()->warn("gateway: broker orders unavailable: {}", orders.error().message);
      pause.expires_after(std::chrono::seconds(2));
      co_await pause.async_wait(kUseTuple);
      continue;
    }
    for (const TerminateOrder& order : *orders) {
      const bool found = shared.registry->Terminate(order.session_id, order.reason);
      log::ForSession(order.session_id)->info("gateway: terminate order ({}): {}", order.reason,
                                               found ? "session stopped" : "no live session here");
    }
  }
}

asio::awaitable<void> ServeEach(tcp::acceptor& acceptor, std::function<asio::awaitable<void>(tcp::socket)> serve) {
  auto executor = co_await asio::this_coro::executor;
  while (acceptor.is_open()) {
    tcp::socket socket(executor);
    auto [ec] = co_await acceptor.async_accept(socket, kUseTuple);
    if (ec) {
      if (!acceptor.is_open()) break;
      continue;
    }
    asio::co_spawn(executor, serve(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> ServeMetrics(SessionRegistry& registry, tcp::acceptor& acceptor) {
  co_await ServeEach(acceptor, [&registry](tcp::socket socket) { return ServeMetricsConnection(registry, std::move(socket)); });
}

}  // namespace safedesk::gateway
