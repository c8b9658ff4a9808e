#include "tests/integration/gateway/x_pattern.h"

#include "tests/integration/gateway/desktop_view.h"

#include <X11/Xlib.h>

namespace safedesk::testing {

PatternWindow::PatternWindow(const std::string& display, int x, int y, int w, int h,
                             std::array<std::uint32_t, 4> colours)
    : x_(x), y_(y), w_(w), h_(h), colours_(colours) {
  Display* dpy = XOpenDisplay(display.c_str());
  display_ = dpy;
  if (dpy == nullptr) return;
  XSetWindowAttributes attributes{};
  attributes.override_redirect = True;
  attributes.background_pixel = colours[0];
  window_ = XCreateWindow(dpy, DefaultRootWindow(dpy), x, y, static_cast<unsigned>(w), static_cast<unsigned>(h), 0,
                          CopyFromParent, InputOutput, CopyFromParent, CWOverrideRedirect | CWBackPixel, &attributes);
  XMapRaised(dpy, window_);
  XSync(dpy, False);
  Draw();
}

PatternWindow::~PatternWindow() {
  if (display_ != nullptr) XCloseDisplay(static_cast<Display*>(display_));
}

void PatternWindow::Draw() {
  Display* dpy = static_cast<Display*>(display_);
  GC gc = XCreateGC(dpy, window_, 0, nullptr);
  for (int q = 0; q < 4; ++q) {
    XSetForeground(dpy, gc, colours_[static_cast<std::size_t>(q)]);
    XFillRectangle(dpy, window_, gc, (q % 2) * w_ / 2, (q / 2) * h_ / 2, static_cast<unsigned>(w_ / 2),
                   static_cast<unsigned>(h_ / 2));
  }
  XFreeGC(dpy, gc);
  XSync(dpy, False);
}

bool PatternWindow::ShownOn(const DesktopView& view) const {
  for (int q = 0; q < 4; ++q) {
    const int qx = x_ + (q % 2) * w_ / 2 + 4;
    const int qy = y_ + (q / 2) * h_ / 2 + 4;
    if (view.Share(qx, qy, w_ / 2 - 8, h_ / 2 - 8, colours_[static_cast<std::size_t>(q)]) < 0.9) return false;
  }
  return true;
}

}  // namespace safedesk::testing
