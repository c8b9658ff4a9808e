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
  if (!recent_.empty() && snapshot.sampled < recent_.back().sampled) return;  // out of order
  recent_.push_back(snapshot);
}

MaskResolution MaskCompositor::Resolve(std::chrono::steady_clock::time_point arrival,
                                       std::chrono::steady_clock::time_point now) {
  // Keep the snapshot in effect when the history window began, and everything newer.
  while (recent_.size() > 1 && recent_[1].sampled <= arrival - policy_.history) recent_.pop_front();
  const MaskResolution everything{true, MaskSet{true, true, {}}};  // whole screen, focus sensitive
  auto confirm = std::find_if(recent_.begin(), recent_.end(),
                              [&](const MaskSnapshot& s) { return s.sampled > arrival; });
  // No report in effect when the event arrived, or a stale one: the whole screen, at
  // once (waiting for a later report could not change that).
  if (confirm == recent_.begin()) return everything;
  const MaskSnapshot& in_effect = *std::prev(confirm);
  if (arrival - in_effect.sampled > policy_.stale_after) return everything;
  if (confirm == recent_.end()) {
    if (now - arrival >= policy_.stale_after) return everything;
    return {};
  }
  if (confirm->sampled - arrival > policy_.stale_after) return everything;
  MaskResolution out{true, MaskSet{}};
  MaskSet& set = out.masks;
  set.focus_sensitive = in_effect.focus_sensitive || confirm->focus_sensitive;
  const int d = policy_.dilate_px;
  auto add = [&](const Rect& r) {
    Rect c = ClipRect(Rect{r.x - d, r.y - d, r.width + 2 * d, r.height + 2 * d}, width_, height_);
    if (c.width > 0 && c.height > 0) set.rects.push_back(c);
  };
  for (auto it = recent_.begin(); it != std::next(confirm); ++it) {
    if (it->overflow || it->screen_width != width_ || it->screen_height != height_) return everything;
    for (const Rect& r : it->rects) add(r);
  }
  for (const Rect& r : policy_.static_rects) add(r);
  return out;
}

}  // namespace safedesk::gateway
