#include "tests/integration/gateway/x_pattern.h"

#include "tests/integration/gateway/desktop_view.h"

#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>

#include <vector>

namespace safedesk::testing {
namespace {

// A desktop is stopped when its session ends, often while a test window is still open
// on it: Xlib's default then exits the whole test process. Here the connection just goes
// dead (later calls do nothing) and the test carries on. Both handlers are needed: Xlib
// 1.8's default I/O error handler exits before the per-display exit handler is asked.
Display* OpenTestDisplay(const std::string& display) {
  XSetIOErrorHandler([](Display*) { return 0; });
  Display* dpy = XOpenDisplay(display.c_str());
  if (dpy != nullptr) XSetIOErrorExitHandler(dpy, [](Display*, void*) {}, nullptr);
  return dpy;
}

}  // namespace

PatternWindow::PatternWindow(const std::string& display, int x, int y, int w, int h,
                             std::array<std::uint32_t, 4> colours)
    : x_(x), y_(y), w_(w), h_(h), colours_(colours) {
  Display* dpy = OpenTestDisplay(display);
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

CheckerWindow::CheckerWindow(const std::string& display, int x, int y, int w, int h,
                             std::array<std::uint32_t, 2> colours, Marking marking, const std::string& title)
    : w_(w), h_(h), colours_(colours) {
  Display* dpy = OpenTestDisplay(display);
  display_ = dpy;
  if (dpy == nullptr) return;
  window_ = XCreateSimpleWindow(dpy, DefaultRootWindow(dpy), x, y, static_cast<unsigned>(w), static_cast<unsigned>(h),
                                0, 0, colours[0]);
  XStoreName(dpy, window_, marking == Marking::kTitle ? title.c_str() : "plain window");
  if (marking == Marking::kProperty) {
    const Atom atom = XInternAtom(dpy, "_SAFEDESK_SENSITIVE", False);
    const unsigned char one = 1;
    XChangeProperty(dpy, window_, atom, XA_CARDINAL, 8, PropModeReplace, &one, 1);
  }
  XMapRaised(dpy, window_);
  XSync(dpy, False);
  Draw();
}

CheckerWindow::~CheckerWindow() {
  if (display_ != nullptr) XCloseDisplay(static_cast<Display*>(display_));
}

void CheckerWindow::Draw() {
  Display* dpy = static_cast<Display*>(display_);
  GC gc = XCreateGC(dpy, window_, 0, nullptr);
  XSetForeground(dpy, gc, colours_[0]);
  XFillRectangle(dpy, window_, gc, 0, 0, static_cast<unsigned>(w_), static_cast<unsigned>(h_));
  std::vector<XRectangle> squares;
  for (int y = 0; y < h_; y += 8) {
    for (int x = (y / 8) % 2 * 8; x < w_; x += 16) {
      squares.push_back({static_cast<short>(x), static_cast<short>(y), 8, 8});
    }
  }
  XSetForeground(dpy, gc, colours_[1]);
  XFillRectangles(dpy, window_, gc, squares.data(), static_cast<int>(squares.size()));
  XFreeGC(dpy, gc);
  XSync(dpy, False);
}

void CheckerWindow::MoveResize(int x, int y, int w, int h) {
  w_ = w;
  h_ = h;
  XMoveResizeWindow(static_cast<Display*>(display_), window_, x, y, static_cast<unsigned>(w), static_cast<unsigned>(h));
  Draw();
}

void CheckerWindow::Raise() {
  XRaiseWindow(static_cast<Display*>(display_), window_);
  XSync(static_cast<Display*>(display_), False);
}

void CheckerWindow::Lower() {
  XLowerWindow(static_cast<Display*>(display_), window_);
  XSync(static_cast<Display*>(display_), False);
}

void CheckerWindow::Focus() {
  XSetInputFocus(static_cast<Display*>(display_), window_, RevertToPointerRoot, CurrentTime);
  XSync(static_cast<Display*>(display_), False);
}

}  // namespace safedesk::testing
