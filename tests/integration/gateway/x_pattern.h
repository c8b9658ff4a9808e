#pragma once
// Windows drawn with Xlib on a desktop's display (Xlib stays inside x_pattern.cc: its
// macros clash with GoogleTest). PatternWindow: four flat quadrants in known colours.
// CheckerWindow: a two-colour checkerboard the test moves, resizes, raises, lowers and
// focuses, optionally marked sensitive by title or by the _SAFEDESK_SENSITIVE property.

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

class CheckerWindow {
 public:
  enum class Marking { kNone, kTitle, kProperty };
  CheckerWindow(const std::string& display, int x, int y, int w, int h, std::array<std::uint32_t, 2> colours,
                Marking marking, const std::string& title);
  ~CheckerWindow();
  CheckerWindow(const CheckerWindow&) = delete;
  CheckerWindow& operator=(const CheckerWindow&) = delete;
  bool ok() const { return display_ != nullptr; }
  void MoveResize(int x, int y, int w, int h);  // and draws the checkerboard again
  void Raise();
  void Lower();
  void Focus();  // input focus (the desktop has no window manager)

 private:
  void Draw();
  void* display_ = nullptr;
  unsigned long window_ = 0;
  int w_, h_;
  std::array<std::uint32_t, 2> colours_;
};

}  // namespace safedesk::testing
