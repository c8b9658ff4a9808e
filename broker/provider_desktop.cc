#include "broker/provider_desktop.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace safedesk::broker {

namespace asio = boost::asio;

std::string RdpEndpoint::ToString() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

asio::awaitable<Result<void>> WaitUntilReady(DesktopProvider& provider, std::string id, ReadyWait wait) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto deadline = std::chrono::steady_clock::now() + wait.timeout;
  while (true) {
    auto state = provider.Probe(id);
    if (!state) co_return state.error();
    if (*state == DesktopState::kReady) co_return Ok();
    if (*state == DesktopState::kFailed) co_return MakeError(Errc::kUnavailable, "desktop " + id + " failed to start");
    if (std::chrono::steady_clock::now() >= deadline) {
      co_return MakeError(Errc::kUnavailable, "desktop " + id + " not ready in time");
    }
    timer.expires_after(wait.interval);
    co_await timer.async_wait(asio::use_awaitable);
  }
}

}  // namespace safedesk::broker
