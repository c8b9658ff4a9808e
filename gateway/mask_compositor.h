#pragma once
// Decides which pixels of a frame the recording must not see: the agent's current
// sensitive rectangles, those of the last `history`, the project's static rules, all
// dilated; the whole screen when the agent's stream is stale, absent or overflowing.
// Fail closed: anything unknown masks everything.

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

class MaskCompositor {
 public:
  MaskCompositor(MaskPolicy policy, int width, int height);
  void Update(const MaskSnapshot& snapshot);
  // The masks for a frame shown at `now` (gateway's steady clock).
  MaskSet At(std::chrono::steady_clock::time_point now);

 private:
  MaskPolicy policy_;
  int width_;
  int height_;
  std::deque<MaskSnapshot> recent_;  // newest last
};

// Clips `r` to a width x height screen; empty result has width or height 0.
Rect ClipRect(Rect r, int width, int height);

}  // namespace safedesk::gateway
