#pragma once
// RdpLink: the gateway's RDP client toward one analysis desktop (libfreerdp2, software GDI,
// BGRX32), on a thread of its own. It authenticates with NLA using the per-session
// credential from the redeemed ticket, loads no transfer channel (the static channel list
// is checked against an allow-list before freerdp_connect and the connect is refused if it
// differs), asks the desktop for legacy bitmap codecs (no RemoteFX, no GFX: see DESIGN.md
// for the measured reason) and hands every painted frame to a FrameHandler on its thread.
// Anything the desktop sends on a channel that is not open is dropped and reported.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "common/secret.h"
#include "gateway/session_seam.h"

namespace safedesk::gateway {

struct RdpTarget {
  std::string host;
  std::uint16_t port = 0;
  std::string username;
  Secret password;
  int width = 1280;  // asked for; the desktop decides
  int height = 800;
};

// Called on the link's thread. `frame` points into the link's framebuffer: valid only
// during the call. Returning an error ends the link (the session ends with it).
using FrameHandler = std::function<Result<void>(const FrameView& frame)>;
// Called on the link's thread for data on a channel the gateway did not open.
using BlockedChannelHandler = std::function<void(std::string_view channel, std::size_t bytes)>;
// Called once when the link ends, with a reason for the audit trail.
using LinkEndHandler = std::function<void(const std::string& reason)>;

struct RdpLinkHandlers {
  FrameHandler on_frame;
  BlockedChannelHandler on_blocked_channel;
  LinkEndHandler on_end;
  // Called on the link's thread once connected, before any frame; an error ends the link
  // (the recorder is made here, once the desktop's size is known).
  std::function<Result<void>(int width, int height)> on_connected;
};

// The static virtual channels the gateway may ever announce. Empty: the desktop link
// needs none (no clipboard, no drives, no audio, no dynamic channels).
const std::vector<std::string>& AllowedStaticChannels();

class RdpLink {
 public:
  // Starts connecting on a new thread. The password is moved into FreeRDP's settings for
  // the connect and wiped from them right after.
  static std::unique_ptr<RdpLink> Start(RdpTarget target, RdpLinkHandlers handlers);
  ~RdpLink();  // stops and joins
  RdpLink(const RdpLink&) = delete;
  RdpLink& operator=(const RdpLink&) = delete;

  // Thread-safe; dropped silently once the link is down.
  void SendKey(std::uint16_t scancode, bool down);
  void SendPointer(int x, int y, int buttons);
  void SendWheel(int x, int y, int delta);
  void Stop();

  struct Impl;

 private:
  explicit RdpLink(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace safedesk::gateway
