#pragma once
// One researcher's browser connection, from the first WebSocket message to the end:
// ticket → broker redemption (mutual TLS, once) → desktop link (RdpLink) → pixels out,
// keyboard and mouse in, nothing else. The protocol is gateway/BROWSER_PROTOCOL.md.
// Every frame and input event passes the session's SessionObserver (the recorder) first.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/result.h"
#include "common/session_grant.h"
#include "gateway/session_seam.h"

namespace safedesk::gateway {

class BrokerClient;
class SessionRegistry;

struct SessionInfo {
  std::string session_id;
  std::string researcher;
  std::string desktop_id;
  SessionGrant grant;
  std::chrono::system_clock::time_point started;
  int width = 0;  // the desktop's size, known once the link is up
  int height = 0;
  std::function<void(const std::string& reason)> end_session;  // any thread
};

// Makes the observer (the recorder) for a session. An error refuses the session: a
// session that cannot be recorded does not start.
using ObserverFactory = std::function<Result<std::unique_ptr<SessionObserver>>(const SessionInfo&)>;

// Where the agent's mask messages arrive (gateway/agent_feed.h).
class MaskFeed {
 public:
  using Listener = std::function<void(const MaskSnapshot&)>;
  virtual ~MaskFeed() = default;
  virtual std::uint64_t Subscribe(const std::string& desktop_id, Listener listener) = 0;
  virtual void Unsubscribe(std::uint64_t token) = 0;
};

struct BrowserOptions {
  std::size_t max_message_bytes = 64 << 10;
  std::chrono::milliseconds hello_timeout{10'000};
  std::chrono::milliseconds idle_timeout{15 * 60'000};  // when the grant sets none
  int max_frame_rate = 30;
  int jpeg_quality = 75;
  int max_unacked_frames = 2;  // frames sent and not yet drawn by the browser
  // The one page allowed to open the gateway: the broker's public origin
  // ("https://host[:port]", port omitted when 443). An upgrade whose Origin header is
  // absent or differs is refused with 403 before any WebSocket exists (cross-site
  // WebSocket hijacking: another site's page in the researcher's browser cannot connect).
  std::string allowed_origin;
};

// The Origin a browser sends for a page at `public_url` (an https URL); empty if malformed.
std::string OriginOf(std::string_view public_url);

struct GatewayShared {
  BrowserOptions options;
  BrokerClient* broker = nullptr;
  SessionRegistry* registry = nullptr;
  MaskFeed* masks = nullptr;  // may be null: no agent feed
  ObserverFactory observers;  // may be empty: nothing records (tests of the relay only)
  const Clock* clock = nullptr;
};

// Runs one connection to its end. The socket has been admitted by the listener (the
// registry's total-connection reservation is released here when it ends).
boost::asio::awaitable<void> ServeBrowser(GatewayShared& shared, boost::asio::ssl::context& tls,
                                          boost::asio::ip::tcp::socket socket);

}  // namespace safedesk::gateway
