#pragma once
// The faint watermark burned into the pixels sent to the browser (never into the
// recording): researcher id, session id and time, tiled over the screen in a 5×7 bitmap
// font scaled ×2, so a photo of the screen names its session. Each marked pixel is
// nudged toward mid-grey by `strength` levels, visible on dark and light content alike.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace safedesk::gateway {

class Watermark {
 public:
  Watermark() = default;
  Watermark(int width, int height, std::string_view text, int strength = 24);

  bool empty() const { return mask_.empty(); }
  int width() const { return width_; }
  int height() const { return height_; }
  const std::string& text() const { return text_; }
  // Is the screen pixel (x, y) part of the mark?
  bool Marked(int x, int y) const { return mask_[static_cast<std::size_t>(y) * width_ + x] != 0; }

  // Blends the mark into a BGRX32 block whose top-left corner is the screen point
  // (origin_x, origin_y).
  void Apply(std::uint8_t* pixels, int stride, int origin_x, int origin_y, int block_width, int block_height) const;

 private:
  int width_ = 0;
  int height_ = 0;
  int strength_ = 0;
  std::string text_;
  std::vector<std::uint8_t> mask_;
};

// "RESEARCHER · SESSION · 2026-11-23 15:40Z": the text the gateway tiles, upper-cased
// (the font has capitals, digits and - : . _ @ /).
std::string WatermarkText(std::string_view researcher, std::string_view session_id, std::int64_t unix_seconds);

}  // namespace safedesk::gateway
