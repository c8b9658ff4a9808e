#pragma once
// The one place every frame, input event and mask update of a gateway session passes.
// The relay calls a SessionObserver on its own thread, in order; an observer must not
// block (the recorder queues and writes on its own thread). A failed OnFrame/OnInput
// ends the session: the recording is fail-closed, never silently incomplete.

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"

namespace safedesk::gateway {

struct Rect {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
  bool operator==(const Rect&) const = default;
};

// A view of the desktop's framebuffer after an update: BGRX32 (4 bytes per pixel, byte
// order B, G, R, X), `stride` bytes per row. Valid only during the call.
struct FrameView {
  std::chrono::system_clock::time_point at;
  int width = 0;
  int height = 0;
  int stride = 0;
  std::span<const std::uint8_t> pixels;
  std::vector<Rect> dirty;  // the rectangles that changed since the previous frame
};

struct InputEvent {
  enum class Kind { kKey, kPointer, kWheel };
  std::chrono::system_clock::time_point at;
  Kind kind = Kind::kKey;
  // kKey: RDP scancode (with the extended flag in bit 8) and up/down.
  std::uint16_t scancode = 0;
  bool down = false;
  // kPointer / kWheel: position; buttons as a bit set (1 left, 2 middle, 4 right).
  int x = 0;
  int y = 0;
  int buttons = 0;
  int wheel_delta = 0;
};

// What the agent last said, as the gateway received it (spec: common/MASK_STREAM_FORMAT.md).
struct MaskSnapshot {
  std::chrono::steady_clock::time_point received;  // gateway's clock, for staleness
  // When the agent looked at the screen, on the gateway's clock (received minus the
  // message's age by its ts): orders the snapshot against frames. The agent and the
  // gateway share a clock (one host, or NTP-synchronised well within a frame).
  std::chrono::steady_clock::time_point sampled;
  std::uint64_t seq = 0;
  int screen_width = 0;
  int screen_height = 0;
  bool focus_sensitive = false;
  bool overflow = false;     // the agent had more rectangles than it may send: mask all
  std::vector<Rect> rects;   // visible sensitive rectangles, screen coordinates, clipped
};

class SessionObserver {
 public:
  virtual ~SessionObserver() = default;
  virtual Result<void> OnFrame(const FrameView& frame) = 0;
  virtual Result<void> OnInput(const InputEvent& event) = 0;
  // Called on every message from the agent and with std::nullopt-like empty snapshots
  // never: staleness is judged by the observer from `received` and its own clock.
  virtual void OnMasks(const MaskSnapshot& masks) = 0;
  // The session is over (reason as audited: "terminated", "ended", "idle", ...).
  virtual void OnEnd(const std::string& reason) = 0;
};

}  // namespace safedesk::gateway
