#pragma once
// The broker's HTTPS listener: one coroutine per connection on its own strand, TLS 1.2+,
// HTTP/1.1 keep-alive, a timeout on every read, capped header and body sizes, capped
// connections per source address and in total. A request that cannot be parsed gets a
// 4xx and a log line; nothing a client sends can crash the server.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/result.h"

namespace safedesk::broker {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// What the server knows about the peer, beyond the request itself.
struct RequestContext {
  std::string remote_address;       // textual IP, no port
  std::string client_subject;       // verified client certificate subject CN; empty if none
};

using Handler = std::function<boost::asio::awaitable<Response>(const Request&, const RequestContext&)>;

struct HttpServerOptions {
  std::size_t max_header_bytes = 16 * 1024;   // a browser's largest cookie+header set fits
  std::size_t max_body_bytes = 1024 * 1024;   // JSON API bodies; no uploads exist
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds read_timeout{15'000};
  std::chrono::milliseconds write_timeout{15'000};
  int max_connections_per_address = 32;
  int max_connections_total = 1024;
  // Decides whether a source may connect at all (e.g. only the VPN pool); null: any.
  std::function<bool(const boost::asio::ip::address&)> source_allowed;
};

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, boost::asio::ssl::context& tls, HttpServerOptions options,
             Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting; port 0 picks a free port (see port()).
  Result<void> Listen(const std::string& host, std::uint16_t port);
  std::uint16_t port() const { return port_; }
  // Stops accepting; open connections end at their next read.
  void Stop();

  int open_connections() const;

  // State shared with connection coroutines, which may outlive the server object.
  struct Shared;

 private:
  boost::asio::awaitable<void> Accept();

  boost::asio::io_context& io_;
  std::shared_ptr<Shared> shared_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
};

// A response with a JSON body and the security headers every broker response carries.
Response JsonResponse(http::status status, std::string body, unsigned version = 11, bool keep_alive = true);
// {"error":"<code>"}: the client learns a generic code, never the detail.
Response ErrorResponse(http::status status, std::string_view code, const Request& request);
void AddSecurityHeaders(Response& response);

}  // namespace safedesk::broker
