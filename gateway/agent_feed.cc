#include "gateway/agent_feed.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <vector>

#include "common/log.h"
#include "common/mask_stream.h"
#include "gateway/gateway_server.h"
#include "net/tls_context.h"

namespace safedesk::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kAgentPrefix = "agent-";
// An agent says something at least every 250 ms; a connection silent this long is dead.
constexpr auto kSilence = std::chrono::seconds(10);

MaskSnapshot SnapshotOf(const MaskMessage& message) {
  MaskSnapshot snapshot;
  snapshot.received = std::chrono::steady_clock::now();
  // An agent clock ahead of ours must not make a report look newer than it is: the age
  // is never negative, so `sampled` is never after `received`.
  const auto age = std::chrono::system_clock::now() - std::chrono::system_clock::time_point(std::chrono::milliseconds(message.ts_ms));
  snapshot.sampled = snapshot.received - std::max(std::chrono::duration_cast<std::chrono::steady_clock::duration>(age),
                                                  std::chrono::steady_clock::duration::zero());
  snapshot.seq = message.seq;
  snapshot.screen_width = message.screen_w;
  snapshot.screen_height = message.screen_h;
  snapshot.focus_sensitive = message.focus_sensitive;
  snapshot.overflow = message.overflow;
  snapshot.rects.reserve(message.rects.size());
  for (const MaskRect& r : message.rects) snapshot.rects.push_back({r.x, r.y, r.w, r.h});
  return snapshot;
}

}  // namespace

std::uint64_t AgentFeed::Subscribe(const std::string& desktop_id, Listener listener) {
  std::lock_guard lock(mu_);
  const std::uint64_t token = next_token_++;
  listeners_.emplace(token, std::make_pair(desktop_id, std::move(listener)));
  return token;
}

void AgentFeed::Unsubscribe(std::uint64_t token) {
  std::lock_guard lock(mu_);
  listeners_.erase(token);
}

void AgentFeed::Deliver(const std::string& desktop_id, const MaskSnapshot& snapshot) {
  std::vector<Listener> targets;
  {
    std::lock_guard lock(mu_);
    for (const auto& [token, entry] : listeners_) {
      if (entry.first == desktop_id) targets.push_back(entry.second);
    }
  }
  ++messages_;
  for (auto& listener : targets) listener(snapshot);
}

asio::awaitable<void> AgentFeed::Serve(asio::ssl::context& tls, tcp::socket socket) {
  beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), tls);
  auto& lowest = beast::get_lowest_layer(stream);
  lowest.expires_after(std::chrono::seconds(10));
  auto [handshake_ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kUseTuple);
  if (handshake_ec) {
    log::Main()->info("gateway: agent feed handshake failed: {}", handshake_ec.message());
    co_return;
  }
  const std::string cn = net::PeerCommonName(stream.native_handle());
  if (!cn.starts_with(kAgentPrefix) || cn.size() == kAgentPrefix.size()) {
    log::Main()->warn("gateway: agent feed refused a certificate named '{}'", cn);
    co_return;
  }
  const std::string desktop_id = cn.substr(kAgentPrefix.size());
  log::Main()->info("gateway: agent of desktop {} connected", desktop_id);
  asio::streambuf buffer(kMaxMaskLineSize + 1);
  std::uint64_t last_seq = 0;
  while (true) {
    lowest.expires_after(kSilence);
    auto [ec, length] = co_await asio::async_read_until(stream, buffer, '\n', kUseTuple);
    if (ec) {
      log::Main()->info("gateway: agent of desktop {} gone: {}", desktop_id, ec.message());
      co_return;
    }
    std::string line(asio::buffers_begin(buffer.data()), asio::buffers_begin(buffer.data()) + static_cast<std::ptrdiff_t>(length));
    buffer.consume(length);
    auto message = ParseMaskMessage(line);
    if (!message || message->desktop != desktop_id || message->seq <= last_seq) {
      log::Main()->warn("gateway: agent of desktop {} sent a bad message ({}); closing", desktop_id,
                        message ? "wrong desktop or seq" : message.error().message);
      co_return;
    }
    last_seq = message->seq;
    Deliver(desktop_id, SnapshotOf(*message));
  }
}

asio::awaitable<void> AgentFeed::Accept(asio::ssl::context& tls, tcp::acceptor& acceptor) {
  co_await ServeEach(acceptor, [this, &tls](tcp::socket socket) { return Serve(tls, std::move(socket)); });
}

}  // namespace safedesk::gateway
