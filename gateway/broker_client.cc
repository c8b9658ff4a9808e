#include "gateway/broker_client.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>

#include "common/log.h"

namespace safedesk::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxResponseBytes = 256 * 1024;

const json::string* StringAt(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value != nullptr ? value->if_string() : nullptr;
}

void WipeJsonString(json::object& object, std::string_view key) {
  json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) return;
  json::string& text = value->get_string();
  WipeBytes(text.data(), text.size());
}

}  // namespace

Result<BrokerEndpoint> BrokerEndpoint::Parse(std::string_view url) {
  constexpr std::string_view kScheme = "https://";
  if (!url.starts_with(kScheme)) return MakeError(Errc::kInvalidArgument, "broker URL must be https: " + std::string(url));
  std::string_view rest = url.substr(kScheme.size());
  if (auto slash = rest.find('/'); slash != std::string_view::npos) rest = rest.substr(0, slash);
  const auto colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size()) {
    return MakeError(Errc::kInvalidArgument, "broker URL needs host:port: " + std::string(url));
  }
  BrokerEndpoint endpoint;
  endpoint.host = std::string(rest.substr(0, colon));
  if (endpoint.host.size() > 2 && endpoint.host.front() == '[' && endpoint.host.back() == ']') {
    endpoint.host = endpoint.host.substr(1, endpoint.host.size() - 2);
  }
  endpoint.port = std::string(rest.substr(colon + 1));
  int port = 0;
  auto [end, ec] = std::from_chars(endpoint.port.data(), endpoint.port.data() + endpoint.port.size(), port);
  if (ec != std::errc() || end != endpoint.port.data() + endpoint.port.size() || port <= 0 || port > 65535) {
    return MakeError(Errc::kInvalidArgument, "broker URL port: " + std::string(url));
  }
  return endpoint;
}

BrokerClient::BrokerClient(asio::any_io_executor executor, asio::ssl::context& tls, BrokerEndpoint endpoint,
                           std::chrono::milliseconds timeout)
    : executor_(std::move(executor)), tls_(tls), endpoint_(std::move(endpoint)), timeout_(timeout) {}

asio::awaitable<Result<json::value>> BrokerClient::Call(std::string method, std::string target, std::string body,
                                                       std::chrono::milliseconds timeout) {
  beast::ssl_stream<beast::tcp_stream> stream(executor_, tls_);
  auto& tcp_stream = beast::get_lowest_layer(stream);
  tcp_stream.expires_after(timeout);
  tcp::resolver resolver(executor_);
  auto [resolve_ec, results] = co_await resolver.async_resolve(endpoint_.host, endpoint_.port, kUseTuple);
  if (resolve_ec) co_return MakeError(Errc::kUnavailable, "broker: resolve: " + resolve_ec.message());
  auto [connect_ec, connected] = co_await tcp_stream.async_connect(results, kUseTuple);
  if (connect_ec) co_return MakeError(Errc::kUnavailable, "broker: connect: " + connect_ec.message());
  // The broker's certificate must name the host we dialled.
  stream.set_verify_callback(asio::ssl::host_name_verification(endpoint_.host));
  auto [handshake_ec] = co_await stream.async_handshake(asio::ssl::stream_base::client, kUseTuple);
  if (handshake_ec) co_return MakeError(Errc::kUnavailable, "broker: TLS: " + handshake_ec.message());

  http::request<http::string_body> request(method == "POST" ? http::verb::post : http::verb::get, target, 11);
  request.set(http::field::host, endpoint_.host);
  request.set(http::field::user_agent, "safedesk-gateway");
  if (method == "POST") {
    request.set(http::field::content_type, "application/json");
    request.body() = std::move(body);
    request.prepare_payload();
  }
  auto [write_ec, written] = co_await http::async_write(stream, request, kUseTuple);
  WipeBytes(request.body().data(), request.body().size());  // may hold a ticket
  if (write_ec) co_return MakeError(Errc::kUnavailable, "broker: write: " + write_ec.message());

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxResponseBytes);
  auto [read_ec, read] = co_await http::async_read(stream, buffer, parser, kUseTuple);
  if (read_ec) co_return MakeError(Errc::kUnavailable, "broker: read: " + read_ec.message());
  auto response = parser.release();
  auto [shutdown_ec] = co_await stream.async_shutdown(kUseTuple);
  (void)shutdown_ec;  // the broker may close first; the response is complete either way

  json::error_code parse_ec;
  json::value parsed = json::parse(response.body(), parse_ec);
  // The body may hold the VM credential: wipe it and the buffer it came through.
  WipeBytes(response.body().data(), response.body().size());
  if (buffer.size() > 0) WipeBytes(buffer.data().data(), buffer.size());
  const unsigned status = response.result_int();
  if (status == 403 || status == 401) co_return MakeError(Errc::kPermissionDenied, "broker refused: " + std::to_string(status));
  if (status < 200 || status >= 300) co_return MakeError(Errc::kUnavailable, "broker answered " + std::to_string(status));
  if (parse_ec) co_return MakeError(Errc::kUnavailable, "broker: response is not JSON");
  co_return parsed;
}

asio::awaitable<Result<RedeemedSession>> BrokerClient::Redeem(std::string ticket, std::string source) {
  std::string body = json::serialize(json::object{{"ticket", ticket}, {"source", source}});
  WipeBytes(ticket.data(), ticket.size());
  auto answer = co_await Call("POST", "/api/gateway/redeem", std::move(body), timeout_);
  if (!answer) co_return answer.error();
  json::object* object = answer->if_object();
  if (object == nullptr) co_return MakeError(Errc::kUnavailable, "broker: redeem answer is not an object");
  RedeemedSession session;
  const json::string* session_id = StringAt(*object, "sessionId");
  const json::string* researcher = StringAt(*object, "researcher");
  const json::string* endpoint = StringAt(*object, "vmEndpoint");
  const json::string* username = StringAt(*object, "vmUsername");
  const json::string* password = StringAt(*object, "vmPassword");
  const json::value* grant = object->if_contains("grant");
  if (session_id == nullptr || researcher == nullptr || endpoint == nullptr || username == nullptr ||
      password == nullptr || grant == nullptr || !grant->is_object()) {
    WipeJsonString(*object, "vmPassword");
    co_return MakeError(Errc::kUnavailable, "broker: redeem answer lacks fields");
  }
  session.session_id = std::string(*session_id);
  session.researcher = std::string(*researcher);
  if (const json::string* desktop = StringAt(*object, "desktopId")) session.desktop_id = std::string(*desktop);
  session.vm_username = std::string(*username);
  session.vm_password = Secret(std::string_view(password->data(), password->size()));
  WipeJsonString(*object, "vmPassword");
  // "host:port" or "[v6]:port"
  const std::string_view text(*endpoint);
  const auto colon = text.rfind(':');
  int port = 0;
  if (colon == std::string_view::npos ||
      std::from_chars(text.data() + colon + 1, text.data() + text.size(), port).ec != std::errc() || port <= 0 ||
      port > 65535) {
    co_return MakeError(Errc::kUnavailable, "broker: bad VM endpoint");
  }
  session.vm_host = std::string(text.substr(0, colon));
  if (session.vm_host.size() > 2 && session.vm_host.front() == '[') {
    session.vm_host = session.vm_host.substr(1, session.vm_host.size() - 2);
  }
  session.vm_port = static_cast<std::uint16_t>(port);
  auto parsed_grant = ParseGrantJson(json::serialize(*grant));
  if (!parsed_grant) co_return MakeError(Errc::kUnavailable, "broker: grant: " + parsed_grant.error().message);
  if (auto valid = ValidateGrant(*parsed_grant); !valid) co_return valid.error();
  session.grant = std::move(*parsed_grant);
  co_return session;
}

asio::awaitable<Result<void>> BrokerClient::ReportBlockedChannel(std::string session_id, std::string channel,
                                                                std::size_t bytes) {
  json::object body{{"sessionId", session_id},
                    {"type", "channel.blocked"},
                    {"detail", json::object{{"channel", channel}, {"bytes", static_cast<std::int64_t>(bytes)}}}};
  auto answer = co_await Call("POST", "/api/gateway/events", json::serialize(body), timeout_);
  if (!answer) co_return answer.error();
  co_return Ok();
}

asio::awaitable<Result<void>> BrokerClient::ReportEnd(std::string session_id, std::string reason) {
  json::object body{{"sessionId", session_id}, {"type", "session.end"}, {"detail", json::object{{"reason", reason}}}};
  auto answer = co_await Call("POST", "/api/gateway/events", json::serialize(body), timeout_);
  if (!answer) co_return answer.error();
  co_return Ok();
}

asio::awaitable<Result<std::vector<TerminateOrder>>> BrokerClient::WaitForOrders(std::chrono::seconds wait) {
  auto answer = co_await Call("GET", "/api/gateway/orders?wait=" + std::to_string(wait.count()), "",
                              timeout_ + std::chrono::duration_cast<std::chrono::milliseconds>(wait));
  if (!answer) co_return answer.error();
  std::vector<TerminateOrder> orders;
  const json::object* object = answer->if_object();
  const json::value* list = object != nullptr ? object->if_contains("orders") : nullptr;
  if (list == nullptr || !list->is_array()) co_return MakeError(Errc::kUnavailable, "broker: bad orders answer");
  for (const json::value& item : list->get_array()) {
    const json::object* order = item.if_object();
    if (order == nullptr) continue;
    const json::string* session_id = StringAt(*order, "sessionId");
    const json::string* reason = StringAt(*order, "reason");
    if (session_id == nullptr) continue;
    orders.push_back({std::string(*session_id), reason != nullptr ? std::string(*reason) : std::string("terminated")});
  }
  co_return orders;
}

}  // namespace safedesk::gateway
