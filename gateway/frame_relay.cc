#include "gateway/frame_relay.h"

#include <algorithm>
#include <cstring>

namespace safedesk::gateway {
namespace {

std::int64_t Area(const Rect& r) { return static_cast<std::int64_t>(r.width) * r.height; }

Rect Union(const Rect& a, const Rect& b) {
  const int x0 = std::min(a.x, b.x);
  const int y0 = std::min(a.y, b.y);
  const int x1 = std::max(a.x + a.width, b.x + b.width);
  const int y1 = std::max(a.y + a.height, b.y + b.height);
  return {x0, y0, x1 - x0, y1 - y0};
}

// Near enough to merge: touching or overlapping once grown by a few pixels.
bool Near(const Rect& a, const Rect& b) {
  constexpr int kSlack = 8;
  return a.x - kSlack < b.x + b.width && b.x - kSlack < a.x + a.width && a.y - kSlack < b.y + b.height &&
         b.y - kSlack < a.y + a.height;
}

}  // namespace

void DirtyRegion::Add(const Rect& rect) {
  if (rect.width <= 0 || rect.height <= 0) return;
  Rect current = rect;
  // Merge while the union stays compact (wasting at most a third of its area).
  bool merged = true;
  while (merged) {
    merged = false;
    for (auto it = rects_.begin(); it != rects_.end(); ++it) {
      if (!Near(*it, current)) continue;
      const Rect joined = Union(*it, current);
      if (Area(joined) * 2 <= (Area(*it) + Area(current)) * 3) {
        current = joined;
        rects_.erase(it);
        merged = true;
        break;
      }
    }
  }
  rects_.push_back(current);
  if (rects_.size() > kMaxRects) {
    Rect box = rects_.front();
    for (const Rect& r : rects_) box = Union(box, r);
    rects_.assign(1, box);
  }
}

FrameRelay::FrameRelay(std::function<void()> on_pending) : on_pending_(std::move(on_pending)) {}

void FrameRelay::Update(const FrameView& frame) {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (frame.width != width_ || frame.height != height_) {
      width_ = frame.width;
      height_ = frame.height;
      shadow_.assign(static_cast<std::size_t>(width_) * height_ * 4, 0);
      region_.Clear();
      // A new size: every pixel is new.
      for (int y = 0; y < height_; ++y) {
        std::memcpy(shadow_.data() + static_cast<std::size_t>(y) * width_ * 4,
                    frame.pixels.data() + static_cast<std::size_t>(y) * frame.stride, static_cast<std::size_t>(width_) * 4);
      }
      wake = region_.empty();
      region_.Add({0, 0, width_, height_});
    } else {
      for (const Rect& r : frame.dirty) {
        for (int y = r.y; y < r.y + r.height; ++y) {
          std::memcpy(shadow_.data() + (static_cast<std::size_t>(y) * width_ + r.x) * 4,
                      frame.pixels.data() + static_cast<std::size_t>(y) * frame.stride + static_cast<std::size_t>(r.x) * 4,
                      static_cast<std::size_t>(r.width) * 4);
        }
      }
      wake = region_.empty();
      for (const Rect& r : frame.dirty) region_.Add(r);
    }
    if (wake) oldest_ = std::chrono::steady_clock::now();
    ++frames_in_;
  }
  if (wake && on_pending_) on_pending_();
}

bool FrameRelay::Take(TakenUpdate& out) {
  std::lock_guard lock(mu_);
  if (region_.empty()) return false;
  out.screen_width = width_;
  out.screen_height = height_;
  out.oldest = oldest_;
  out.rects.clear();
  for (const Rect& r : region_.rects()) {
    TakenRect taken;
    taken.rect = r;
    taken.pixels.resize(static_cast<std::size_t>(r.width) * r.height * 4);
    for (int y = 0; y < r.height; ++y) {
      std::memcpy(taken.pixels.data() + static_cast<std::size_t>(y) * r.width * 4,
                  shadow_.data() + (static_cast<std::size_t>(r.y + y) * width_ + r.x) * 4,
                  static_cast<std::size_t>(r.width) * 4);
    }
    out.rects.push_back(std::move(taken));
  }
  region_.Clear();
  return true;
}

void FrameRelay::MarkAllDirty() {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (width_ == 0) return;
    wake = region_.empty();
    if (wake) oldest_ = std::chrono::steady_clock::now();
    region_.Add({0, 0, width_, height_});
  }
  if (wake && on_pending_) on_pending_();
}

bool FrameRelay::pending() const {
  std::lock_guard lock(mu_);
  return !region_.empty();
}

std::size_t FrameRelay::pending_rects() const {
  std::lock_guard lock(mu_);
  return region_.rects().size();
}

std::size_t FrameRelay::memory_bytes() const {
  std::lock_guard lock(mu_);
  return shadow_.capacity();
}

std::uint64_t FrameRelay::frames_in() const {
  std::lock_guard lock(mu_);
  return frames_in_;
}

}  // namespace safedesk::gateway
