#include "broker/http/http_server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

#include "common/log.h"
#include "common/secret.h"
#include "net/tls_context.h"

namespace safedesk::broker {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using Stream = beast::ssl_stream<beast::tcp_stream>;

std::string PeerSubject(Stream& stream) { return net::PeerCommonName(stream.native_handle()); }

}  // namespace

struct HttpServer::Shared {
  Shared(asio::ssl::context& t, HttpServerOptions o, Handler h)
      : tls(t), options(std::move(o)), handler(std::move(h)) {}
  asio::ssl::context& tls;
  HttpServerOptions options;
  Handler handler;
  std::mutex mu;
  std::map<std::string, int> per_address;
  int total = 0;

  bool Admit(const std::string& address) {
    std::lock_guard lock(mu);
    if (total >= options.max_connections_total) return false;
    int& count = per_address[address];
    if (count >= options.max_connections_per_address) return false;
    ++count;
    ++total;
    return true;
  }
  void Release(const std::string& address) {
    std::lock_guard lock(mu);
    --total;
    if (--per_address[address] <= 0) per_address.erase(address);
  }
};

namespace {

asio::awaitable<void> WriteResponse(Stream& stream, Response& response,
                                    std::chrono::milliseconds timeout) {
  response.prepare_payload();
  beast::get_lowest_layer(stream).expires_after(timeout);
  co_await http::async_write(stream, response, asio::use_awaitable);
}

// Request and answer bodies can hold passwords, codes and the gateway's VM credential:
// wiped when the exchange is over, however it ends (a failed write throws).
// Declared after both, so it runs while they are still alive.
class BodyWiper {
 public:
  BodyWiper(http::request_parser<http::string_body>& parser, Response& response)
      : parser_(parser), response_(response) {}
  ~BodyWiper() {
    std::string& asked = parser_.get().body();
    WipeBytes(asked.data(), asked.size());
    WipeBytes(response_.body().data(), response_.body().size());
  }
  BodyWiper(const BodyWiper&) = delete;
  BodyWiper& operator=(const BodyWiper&) = delete;

 private:
  http::request_parser<http::string_body>& parser_;
  Response& response_;
};

// Reads requests until the peer closes, asks to close, errs or times out.
asio::awaitable<void> ServeRequests(std::shared_ptr<HttpServer::Shared> shared, Stream& stream,
                                    const RequestContext& context) {
  const HttpServerOptions& options = shared->options;
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    Response response;
    BodyWiper wiper(parser, response);
    parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    parser.body_limit(options.max_body_bytes);
    beast::get_lowest_layer(stream).expires_after(options.read_timeout);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    (void)n;
    if (ec == http::error::end_of_stream || ec == asio::ssl::error::stream_truncated ||
        ec == beast::error::timeout || ec == asio::error::eof || ec == asio::error::connection_reset) {
      co_return;
    }
    if (ec) {
      const bool too_large = ec == http::error::body_limit || ec == http::error::header_limit;
      log::Main()->info("http: bad request from {}: {}", context.remote_address, ec.message());
      Request empty;
      Response refusal = ErrorResponse(too_large ? http::status::payload_too_large : http::status::bad_request,
                                        too_large ? "too_large" : "bad_request", empty);
      refusal.keep_alive(false);
      co_await WriteResponse(stream, refusal, options.write_timeout);
      co_return;
    }
    const Request& request = parser.get();
    response = co_await shared->handler(request, context);
    response.keep_alive(request.keep_alive() && response.keep_alive());
    AddSecurityHeaders(response);
    co_await WriteResponse(stream, response, options.write_timeout);
    if (!response.keep_alive()) break;
  }
  beast::get_lowest_layer(stream).expires_after(options.write_timeout);
  co_await stream.async_shutdown(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<void> ServeConnection(std::shared_ptr<HttpServer::Shared> shared, tcp::socket socket,
                                      std::string address) {
  Stream stream(std::move(socket), shared->tls);
  beast::get_lowest_layer(stream).expires_after(shared->options.handshake_timeout);
  auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, asio::as_tuple(asio::use_awaitable));
  if (ec) {
    log::Main()->debug("http: TLS handshake with {} failed: {}", address, ec.message());
    co_return;
  }
  const RequestContext context{address, PeerSubject(stream)};
  try {
    co_await ServeRequests(shared, stream, context);
  } catch (const boost::system::system_error& e) {
    log::Main()->debug("http: connection from {} ended: {}", address, e.what());
  }
}

}  // namespace

HttpServer::HttpServer(asio::io_context& io, asio::ssl::context& tls, HttpServerOptions options, Handler handler)
    : io_(io),
      shared_(std::make_shared<Shared>(tls, std::move(options), std::move(handler))),
      acceptor_(io) {}

HttpServer::~HttpServer() { Stop(); }

Result<void> HttpServer::Listen(const std::string& host, std::uint16_t port) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return MakeError(Errc::kInvalidArgument, "listen address " + host + ": " + ec.message());
  const tcp::endpoint endpoint(address, port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return MakeError(Errc::kUnavailable, "listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  port_ = acceptor_.local_endpoint().port();
  asio::co_spawn(acceptor_.get_executor(), Accept(), asio::detached);
  return Ok();
}

void HttpServer::Stop() {
  boost::system::error_code ec;
  acceptor_.close(ec);
}

int HttpServer::open_connections() const {
  std::lock_guard lock(shared_->mu);
  return shared_->total;
}

asio::awaitable<void> HttpServer::Accept() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(asio::make_strand(io_), asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
    if (ec) continue;
    boost::system::error_code peer_ec;
    const auto peer = socket.remote_endpoint(peer_ec);
    if (peer_ec) continue;
    const std::string address = peer.address().to_string();
    if (shared_->options.source_allowed && !shared_->options.source_allowed(peer.address())) {
      log::Main()->warn("http: refused {}: source not allowed", address);
      continue;  // the socket closes as it leaves scope
    }
    if (!shared_->Admit(address)) {
      log::Main()->warn("http: refused {}: connection limit", address);
      continue;
    }
    auto executor = socket.get_executor();
    asio::co_spawn(executor, ServeConnection(shared_, std::move(socket), address),
                   [shared = shared_, address](std::exception_ptr) { shared->Release(address); });
  }
}

Response JsonResponse(http::status status, std::string body, unsigned version, bool keep_alive) {
  Response response(status, version);
  response.set(http::field::content_type, "application/json; charset=utf-8");
  response.set(http::field::cache_control, "no-store");
  response.keep_alive(keep_alive);
  response.body() = std::move(body);
  return response;
}

Response ErrorResponse(http::status status, std::string_view code, const Request& request) {
  std::string body = "{\"error\":\"" + std::string(code) + "\"}";
  return JsonResponse(status, std::move(body), request.version() == 0 ? 11 : request.version(),
                      request.keep_alive());
}

void AddSecurityHeaders(Response& response) {
  response.set(http::field::server, "safedesk");
  response.set(http::field::strict_transport_security, "max-age=31536000");
  response.set("X-Content-Type-Options", "nosniff");
  response.set("X-Frame-Options", "DENY");
  response.set("Referrer-Policy", "no-referrer");
  response.set("Content-Security-Policy",
               "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "connect-src 'self' wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
}

}  // namespace safedesk::broker
