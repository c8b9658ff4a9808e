#pragma once
// The X11 half of the window watcher: reads the window tree of one display and turns it
// into a DesktopState. Xlib types stay in x11_watcher.cc.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agent/visibility.h"
#include "common/result.h"

namespace safedesk::agent {

struct SensitiveWindow {
  std::uint64_t id = 0;  // the client window's X id
  WindowProperties properties;
};

struct DesktopState {
  // Unix ms taken just before the round trip to the X server that preceded this state:
  // everything the screen showed before then is in it. Sent as the message's ts.
  std::int64_t sampled_unix_ms = 0;
  std::int32_t screen_w = 0;
  std::int32_t screen_h = 0;
  bool focus_sensitive = false;
  VisibleRegion region;
  std::vector<SensitiveWindow> shown;  // viewable sensitive windows, bottom to top

  bool SameMasks(const DesktopState& o) const {
    return screen_w == o.screen_w && screen_h == o.screen_h &&
           focus_sensitive == o.focus_sensitive && region.overflow == o.region.overflow &&
           region.rects == o.region.rects;
  }
};

class X11Watcher {
 public:
  // Connects to `display` and selects the events that can change the state.
  static Result<std::unique_ptr<X11Watcher>> Open(const std::string& display, MaskRuleSet rules);
  virtual ~X11Watcher() = default;

  // The connection's file descriptor: readable when events are waiting.
  virtual int fd() const = 0;
  // Consumes pending events; true when any arrived (the state may have changed).
  virtual bool DrainEvents() = 0;
  // Reads the whole tree now (a few round trips per top-level).
  virtual DesktopState Snapshot() = 0;
};

}  // namespace safedesk::agent
