#pragma once
// The agent's end of the mask stream (common/MASK_STREAM_FORMAT.md): one mutual-TLS
// connection to the gateway, reconnected with a pause after any failure; `seq` restarts
// at 1 on each new connection.

#include <chrono>
#include <memory>
#include <string>

#include "agent/tls_client.h"
#include "agent/x11_watcher.h"
#include "common/clock.h"
#include "config/address.h"

namespace safedesk::agent {

class MaskFeed {
 public:
  MaskFeed(TlsClientFiles files, config::HostPort gateway, std::string desktop_id, Clock& clock);

  // Sends `state` as one message; on failure drops the connection and returns the error
  // (the next Send after the retry pause reconnects).
  Result<void> Send(const DesktopState& state);
  bool connected() const { return connection_ != nullptr; }

 private:
  TlsClientFiles files_;
  config::HostPort gateway_;
  std::string desktop_id_;
  Clock& clock_;
  std::unique_ptr<TlsConnection> connection_;
  std::uint64_t seq_ = 0;
  Clock::SteadyTime next_attempt_{};
};

// The message for `state`: the state's region (or overflow) and focus, stamped now.
MaskMessage MakeMaskMessage(const DesktopState& state, const std::string& desktop_id,
                            std::uint64_t seq, std::int64_t ts_ms);

}  // namespace safedesk::agent
