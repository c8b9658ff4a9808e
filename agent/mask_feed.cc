#include "agent/mask_feed.h"

namespace safedesk::agent {
namespace {

// Pause after a failed connection: the gateway may be restarting; retrying faster only
// adds load. Until then the gateway masks the whole screen (fail closed).
constexpr std::chrono::milliseconds kRetryPause{1000};
// Bound on a connect, handshake or write: a stuck gateway must not stall the watcher.
constexpr std::chrono::milliseconds kIoTimeout{2000};

}  // namespace

MaskMessage MakeMaskMessage(const DesktopState& state, const std::string& desktop_id,
                            std::uint64_t seq, std::int64_t ts_ms) {
  MaskMessage m;
  m.desktop = desktop_id;
  m.seq = seq;
  m.ts_ms = ts_ms;
  m.screen_w = state.screen_w;
  m.screen_h = state.screen_h;
  m.focus_sensitive = state.focus_sensitive;
  m.overflow = state.region.overflow;
  m.rects = state.region.rects;
  return m;
}

MaskFeed::MaskFeed(TlsClientFiles files, config::HostPort gateway, std::string desktop_id,
                   Clock& clock)
    : files_(std::move(files)),
      gateway_(std::move(gateway)),
      desktop_id_(std::move(desktop_id)),
      clock_(clock) {}

Result<void> MaskFeed::Send(const DesktopState& state) {
  if (state.screen_w <= 0 || state.screen_h <= 0) {
    return MakeError(Errc::kUnavailable, "mask feed: no screen");
  }
  if (!connection_) {
    const auto now = clock_.Monotonic();
    if (now < next_attempt_) return MakeError(Errc::kUnavailable, "mask feed: waiting to retry");
    next_attempt_ = now + kRetryPause;
    auto connection = ConnectTls(files_, gateway_.host, gateway_.port, kIoTimeout);
    if (!connection) return connection.error();
    connection_ = std::move(*connection);
    seq_ = 0;
  }
  // The time the agent looked (before its round trip to the X server), not the time it
  // sends: the gateway orders reports against frames by it.
  const auto ts_ms = state.sampled_unix_ms != 0 ? state.sampled_unix_ms
                                                : std::chrono::duration_cast<std::chrono::milliseconds>(
                                                      clock_.Now().time_since_epoch())
                                                      .count();
  const MaskMessage message = MakeMaskMessage(state, desktop_id_, ++seq_, ts_ms);
  auto written = connection_->WriteAll(EncodeMaskMessage(message));
  if (!written) {
    connection_.reset();
    return written.error();
  }
  return Ok();
}

}  // namespace safedesk::agent
