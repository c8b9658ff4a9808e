#pragma once
// Decides which pixels of a frame the recording must not see: the agent's sensitive
// rectangles from `history` before the frame through the agent's first report after it,
// the project's static rules, all dilated; the whole screen when the agent's stream is
// stale, absent or overflowing. Fail closed: anything unknown masks everything.

#include <chrono>
#include <deque>
#include <vector>

#include "gateway/session_seam.h"

namespace safedesk::gateway {

struct MaskSet {
  bool full = false;         // mask the whole screen
  bool focus_sensitive = true;
  std::vector<Rect> rects;   // dilated, clipped to the screen
};

struct MaskPolicy {
  int dilate_px = 4;
  std::chrono::milliseconds history{300};
  std::chrono::milliseconds stale_after{500};
  std::vector<Rect> static_rects;  // project rules, screen coordinates
};

struct MaskResolution {
  bool ready = false;  // false: wait for the agent (or for the deadline) and ask again
  MaskSet masks;
};

class MaskCompositor {
 public:
  MaskCompositor(MaskPolicy policy, int width, int height);
  void Update(const MaskSnapshot& snapshot);
  // The masks for a frame or key that reached the gateway at `arrival` (steady clock),
  // decided only once the agent has spoken after it: a window may have moved between
  // the agent's last report and the frame, so the report in effect at `arrival` is not
  // enough. Snapshots are ordered by when the agent sampled the screen
  // (MaskSnapshot::sampled). Ready when a snapshot sampled after `arrival` exists (masks: every
  // snapshot from `history` before `arrival` through that one; focus sensitive if it
  // was at `arrival` or in that snapshot), or when `now` is `stale_after` past
  // `arrival` without one (the whole screen). Calls must come in `arrival` order.
  MaskResolution Resolve(std::chrono::steady_clock::time_point arrival, std::chrono::steady_clock::time_point now);

 private:
  MaskPolicy policy_;
  int width_;
  int height_;
  std::deque<MaskSnapshot> recent_;  // newest last
};

// Clips `r` to a width x height screen; empty result has width or height 0.
Rect ClipRect(Rect r, int width, int height);

}  // namespace safedesk::gateway
