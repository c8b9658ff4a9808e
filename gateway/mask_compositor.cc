#include "gateway/mask_compositor.h"

#include <algorithm>

namespace safedesk::gateway {

Rect ClipRect(Rect r, int width, int height) {
  const int x0 = std::clamp(r.x, 0, width), y0 = std::clamp(r.y, 0, height);
  const int x1 = std::clamp(r.x + std::max(r.width, 0), 0, width);
  const int y1 = std::clamp(r.y + std::max(r.height, 0), 0, height);
  return Rect{x0, y0, x1 - x0, y1 - y0};
}

MaskCompositor::MaskCompositor(MaskPolicy policy, int width, int height)
    : policy_(std::move(policy)), width_(width), height_(height) {}

void MaskCompositor::Update(const MaskSnapshot& snapshot) {
  if (!recent_.empty() && snapshot.received < recent_.back().received) return;  // out of order
  recent_.push_back(snapshot);
}

MaskSet MaskCompositor::At(std::chrono::steady_clock::time_point now) {
  // Drop snapshots replaced by a newer one before the history window began.
  while (recent_.size() > 1 && recent_[1].received <= now - policy_.history) recent_.pop_front();
  MaskSet set;
  if (recent_.empty() || now - recent_.back().received > policy_.stale_after) {
    set.full = true;
    return set;
  }
  const MaskSnapshot& latest = recent_.back();
  set.focus_sensitive = latest.focus_sensitive;
  if (latest.overflow || latest.screen_width != width_ || latest.screen_height != height_) {
    set.full = true;
    return set;
  }
  const int d = policy_.dilate_px;
  auto add = [&](const Rect& r) {
    Rect c = ClipRect(Rect{r.x - d, r.y - d, r.width + 2 * d, r.height + 2 * d}, width_, height_);
    if (c.width > 0 && c.height > 0) set.rects.push_back(c);
  };
  for (const MaskSnapshot& s : recent_) {
    if (s.overflow) {
      set.full = true;
      set.rects.clear();
      return set;
    }
    for (const Rect& r : s.rects) add(r);
  }
  for (const Rect& r : policy_.static_rects) add(r);
  return set;
}

}  // namespace safedesk::gateway
