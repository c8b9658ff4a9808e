#pragma once
// The gateway's client for the broker's component API (broker/API.md, "Components"):
// mutual TLS with the gateway's client certificate, one short connection per call.
// Redeem hands back the VM credential: it is moved into a Secret and every buffer that
// held it is wiped before the call returns.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/secret.h"
#include "common/session_grant.h"

namespace safedesk::gateway {

struct BrokerEndpoint {
  std::string host;
  std::string port;
  // "https://host:port" → host, port; anything else is an error naming the text.
  static Result<BrokerEndpoint> Parse(std::string_view url);
};

struct RedeemedSession {
  std::string session_id;
  std::string researcher;
  std::string desktop_id;  // empty when the broker does not say
  std::string vm_host;
  std::uint16_t vm_port = 0;
  std::string vm_username;
  Secret vm_password;
  SessionGrant grant;
};

struct TerminateOrder {
  std::string session_id;
  std::string reason;
};

class BrokerClient {
 public:
  BrokerClient(boost::asio::any_io_executor executor, boost::asio::ssl::context& tls, BrokerEndpoint endpoint,
               std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // kPermissionDenied when the broker refuses the ticket; kUnavailable when it cannot be
  // asked (the caller refuses the connection either way: fail closed).
  boost::asio::awaitable<Result<RedeemedSession>> Redeem(std::string ticket, std::string source);
  boost::asio::awaitable<Result<void>> ReportBlockedChannel(std::string session_id, std::string channel,
                                                            std::size_t bytes);
  boost::asio::awaitable<Result<void>> ReportEnd(std::string session_id, std::string reason);
  // Long-poll: returns as soon as orders exist or after `wait`.
  boost::asio::awaitable<Result<std::vector<TerminateOrder>>> WaitForOrders(std::chrono::seconds wait);

 private:
  // One request; the response body is parsed as JSON. Non-2xx statuses become errors.
  boost::asio::awaitable<Result<boost::json::value>> Call(std::string method, std::string target, std::string body,
                                                         std::chrono::milliseconds timeout);

  boost::asio::any_io_executor executor_;
  boost::asio::ssl::context& tls_;
  BrokerEndpoint endpoint_;
  std::chrono::milliseconds timeout_;
};

}  // namespace safedesk::gateway
