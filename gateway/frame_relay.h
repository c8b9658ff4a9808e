#pragma once
// FrameRelay: the bounded hand-over between the desktop link's thread (frames in) and a
// browser connection (frames out). The link copies each frame's changed rectangles into
// a shadow framebuffer and adds them to a pending region; the sender takes the region
// when the browser can take more, copying fresh pixels at that moment. A slow browser
// therefore gets fewer, merged updates of the current screen, and the memory used is
// fixed by the screen size: never a queue of old frames.

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "gateway/session_seam.h"

namespace safedesk::gateway {

// A small set of rectangles; overlapping or near ones merge, and past a cap the set
// collapses to its bounding box (the region only ever grows to cover more).
class DirtyRegion {
 public:
  static constexpr std::size_t kMaxRects = 24;
  void Add(const Rect& rect);
  void Clear() { rects_.clear(); }
  bool empty() const { return rects_.empty(); }
  const std::vector<Rect>& rects() const { return rects_; }

 private:
  std::vector<Rect> rects_;
};

struct TakenRect {
  Rect rect;
  std::vector<std::uint8_t> pixels;  // BGRX32, stride rect.width * 4
};

struct TakenUpdate {
  int screen_width = 0;
  int screen_height = 0;
  std::chrono::steady_clock::time_point oldest;  // when the first pending change arrived
  std::vector<TakenRect> rects;
};

class FrameRelay {
 public:
  // `on_pending` runs on the link's thread, outside the lock, whenever the region goes
  // from empty to non-empty (the sender's wake-up).
  explicit FrameRelay(std::function<void()> on_pending);

  // Link thread: copy the changed rectangles in, mark them pending.
  void Update(const FrameView& frame);
  // Sender: everything pending, with the pixels as they are now; false if nothing is.
  bool Take(TakenUpdate& out);
  // Sender: the whole screen is due again (a new watermark, a reconnecting view).
  void MarkAllDirty();

  bool pending() const;
  std::size_t pending_rects() const;
  // Bytes this relay holds: the shadow framebuffer (the sender's copies are bounded by it).
  std::size_t memory_bytes() const;
  std::uint64_t frames_in() const;

 private:
  std::function<void()> on_pending_;
  mutable std::mutex mu_;
  int width_ = 0;
  int height_ = 0;
  std::vector<std::uint8_t> shadow_;  // BGRX32, stride width_ * 4
  DirtyRegion region_;
  std::chrono::steady_clock::time_point oldest_;
  std::uint64_t frames_in_ = 0;
};

}  // namespace safedesk::gateway
