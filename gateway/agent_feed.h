#pragma once
// AgentFeed: where the desktops' agents stream their sensitive rectangles
// (common/MASK_STREAM_FORMAT.md). Mutual TLS: an agent presents a certificate from the
// deployment's (or the desktops') CA whose CN is "agent-<desktopId>"; the CN, never the
// message, says which desktop the stream describes. A message that names another desktop,
// breaks the format or goes backwards in seq closes the connection. Sessions subscribe
// by desktop id and get every accepted message as a MaskSnapshot on the feed's thread.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <map>
#include <mutex>

#include "gateway/browser_session.h"

namespace safedesk::gateway {

class AgentFeed final : public MaskFeed {
 public:
  std::uint64_t Subscribe(const std::string& desktop_id, Listener listener) override;
  void Unsubscribe(std::uint64_t token) override;

  // Accepts agents until the acceptor closes.
  boost::asio::awaitable<void> Accept(boost::asio::ssl::context& tls, boost::asio::ip::tcp::acceptor& acceptor);

  // Hands one message to the subscribers of `desktop_id` (the connection code and tests).
  void Deliver(const std::string& desktop_id, const MaskSnapshot& snapshot);
  std::uint64_t messages() const { return messages_.load(); }

 private:
  boost::asio::awaitable<void> Serve(boost::asio::ssl::context& tls, boost::asio::ip::tcp::socket socket);

  std::mutex mu_;
  std::uint64_t next_token_ = 1;
  std::map<std::uint64_t, std::pair<std::string, Listener>> listeners_;
  std::atomic<std::uint64_t> messages_{0};
};

}  // namespace safedesk::gateway
