#pragma once
// PatternWindow: a window of four flat quadrants in known colours, drawn with Xlib on a
// desktop's display (Xlib stays inside x_pattern.cc: its macros clash with GoogleTest).

#include <array>
#include <cstdint>
#include <string>

namespace safedesk::testing {

class DesktopView;

class PatternWindow {
 public:
  PatternWindow(const std::string& display, int x, int y, int w, int h, std::array<std::uint32_t, 4> colours);
  ~PatternWindow();
  PatternWindow(const PatternWindow&) = delete;
  PatternWindow& operator=(const PatternWindow&) = delete;
  bool ok() const { return display_ != nullptr; }
  // Most of each quadrant's inner part in its colour (the watermark nudges a few pixels).
  bool ShownOn(const DesktopView& view) const;

 private:
  void Draw();
  void* display_ = nullptr;
  unsigned long window_ = 0;
  int x_, y_, w_, h_;
  std::array<std::uint32_t, 4> colours_;
};

}  // namespace safedesk::testing
