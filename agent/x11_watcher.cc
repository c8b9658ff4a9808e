#include "agent/x11_watcher.h"

#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>

#include <atomic>
#include <set>

namespace safedesk::agent {
namespace {

// Windows vanish between our requests (BadWindow, BadDrawable): such a reply is treated as
// "no such window" and the next event triggers a fresh snapshot. Xlib's default handler
// would exit the process instead.
int IgnoreXError(Display*, XErrorEvent*) { return 0; }

constexpr long kTopLevelEvents = StructureNotifyMask | SubstructureNotifyMask |
                                 PropertyChangeMask | FocusChangeMask;
// Cap on the descendants searched for a client window: bounds work per top-level.
constexpr int kMaxClientSearch = 64;

template <class T>
struct XFreeDeleter {
  void operator()(T* p) const {
    if (p != nullptr) XFree(p);
  }
};

class XlibWatcher final : public X11Watcher {
 public:
  XlibWatcher(Display* display, MaskRuleSet rules) : display_(display), rules_(std::move(rules)) {
    root_ = DefaultRootWindow(display_);
    wm_state_ = XInternAtom(display_, "WM_STATE", False);
    net_wm_name_ = XInternAtom(display_, "_NET_WM_NAME", False);
    utf8_string_ = XInternAtom(display_, "UTF8_STRING", False);
    sensitive_ = XInternAtom(display_, "_SAFEDESK_SENSITIVE", False);
    XSelectInput(display_, root_, SubstructureNotifyMask | StructureNotifyMask |
                                      PropertyChangeMask | FocusChangeMask);
    XFlush(display_);
  }
  ~XlibWatcher() override { XCloseDisplay(display_); }

  int fd() const override { return ConnectionNumber(display_); }

  bool DrainEvents() override {
    bool any = false;
    // A round trip first: every event the server generated until now is then queued, so
    // the snapshot that follows is at least as new as this moment (the gateway's recorder
    // relies on a report sent after a frame describing the screen of that frame).
    XSync(display_, False);
    while (XPending(display_) > 0) {
      XEvent event;
      XNextEvent(display_, &event);
      // A destroyed window's id may be reused: forget it so the new one is selected again.
      if (event.type == DestroyNotify) selected_.erase(event.xdestroywindow.window);
      // Every place a sensitive top-level passed through since the last snapshot, from
      // the events themselves: a snapshot only samples, and a frame the desktop captured
      // between two samples may show the window where neither sample had it.
      if (event.type == ConfigureNotify && event.xconfigure.event == root_ &&
          sensitive_tops_.count(event.xconfigure.window) != 0) {
        const XConfigureEvent& c = event.xconfigure;
        swept_.push_back({c.x, c.y, c.width + 2 * c.border_width, c.height + 2 * c.border_width});
      }
      any = true;
    }
    return any;
  }

  DesktopState Snapshot() override;

 private:
  bool HasProperty(Window w, Atom property);
  Window FindClient(Window top);
  WindowProperties ReadProperties(Window w);
  std::string ReadTitle(Window w);
  bool FocusIsSensitive(const std::set<Window>& sensitive);

  Display* display_;
  MaskRuleSet rules_;
  Window root_ = 0;
  Atom wm_state_ = 0;
  Atom net_wm_name_ = 0;
  Atom utf8_string_ = 0;
  Atom sensitive_ = 0;
  std::set<Window> selected_;
  std::set<Window> sensitive_tops_;  // top-levels holding a sensitive client, as of the last snapshot
  std::vector<MaskRect> swept_;      // their geometries from events since the last snapshot
};

bool XlibWatcher::HasProperty(Window w, Atom property) {
  Atom type = None;
  int format = 0;
  unsigned long items = 0;
  unsigned long after = 0;
  unsigned char* data = nullptr;
  const int status = XGetWindowProperty(display_, w, property, 0, 0, False, AnyPropertyType, &type,
                                        &format, &items, &after, &data);
  if (data != nullptr) XFree(data);
  return status == Success && type != None;
}

// The window holding WM_STATE below (or at) `top`, breadth-first; `top` itself if none.
Window XlibWatcher::FindClient(Window top) {
  std::vector<Window> queue{top};
  for (std::size_t i = 0; i < queue.size() && i < kMaxClientSearch; ++i) {
    if (HasProperty(queue[i], wm_state_)) return queue[i];
    Window root_ret = 0;
    Window parent = 0;
    Window* children = nullptr;
    unsigned int n = 0;
    if (XQueryTree(display_, queue[i], &root_ret, &parent, &children, &n) == 0) continue;
    std::unique_ptr<Window, XFreeDeleter<Window>> owned(children);
    for (unsigned int k = n; k > 0; --k) queue.push_back(children[k - 1]);  // topmost first
  }
  return top;
}

std::string XlibWatcher::ReadTitle(Window w) {
  Atom type = None;
  int format = 0;
  unsigned long items = 0;
  unsigned long after = 0;
  unsigned char* data = nullptr;
  // Titles beyond 4 KiB are cut: rule expressions look at the start of a title.
  if (XGetWindowProperty(display_, w, net_wm_name_, 0, 1024, False, utf8_string_, &type, &format,
                         &items, &after, &data) == Success &&
      data != nullptr) {
    std::unique_ptr<unsigned char, XFreeDeleter<unsigned char>> owned(data);
    if (type == utf8_string_ && format == 8) return std::string(reinterpret_cast<char*>(data), items);
  }
  char* name = nullptr;
  if (XFetchName(display_, w, &name) != 0 && name != nullptr) {
    std::unique_ptr<char, XFreeDeleter<char>> owned(name);
    return std::string(name);
  }
  return {};
}

WindowProperties XlibWatcher::ReadProperties(Window w) {
  WindowProperties p;
  XClassHint hint{nullptr, nullptr};
  if (XGetClassHint(display_, w, &hint) != 0) {
    if (hint.res_name != nullptr) p.wm_instance = hint.res_name;
    if (hint.res_class != nullptr) p.wm_class = hint.res_class;
    if (hint.res_name != nullptr) XFree(hint.res_name);
    if (hint.res_class != nullptr) XFree(hint.res_class);
  }
  p.title = ReadTitle(w);
  p.marked_sensitive = HasProperty(w, sensitive_);
  return p;
}

// True when the input focus is a window in `sensitive` or a descendant of one.
bool XlibWatcher::FocusIsSensitive(const std::set<Window>& sensitive) {
  Window focus = None;
  int revert = 0;
  XGetInputFocus(display_, &focus, &revert);
  // Bounded walk to the root: X trees are shallow; the cap guards a changing tree.
  for (int depth = 0; depth < 64 && focus != None && focus != PointerRoot && focus != root_;
       ++depth) {
    if (sensitive.count(focus) != 0) return true;
    Window root_ret = 0;
    Window parent = 0;
    Window* children = nullptr;
    unsigned int n = 0;
    if (XQueryTree(display_, focus, &root_ret, &parent, &children, &n) == 0) return false;
    if (children != nullptr) XFree(children);
    focus = parent;
  }
  return false;
}

DesktopState XlibWatcher::Snapshot() {
  DesktopState state;
  XWindowAttributes root_attrs;
  if (XGetWindowAttributes(display_, root_, &root_attrs) != 0) {
    state.screen_w = root_attrs.width;
    state.screen_h = root_attrs.height;
  }
  Window root_ret = 0;
  Window parent = 0;
  Window* children = nullptr;
  unsigned int n = 0;
  std::vector<TopLevel> stack;
  std::set<Window> sensitive;
  if (XQueryTree(display_, root_, &root_ret, &parent, &children, &n) != 0) {
    std::unique_ptr<Window, XFreeDeleter<Window>> owned(children);
    for (unsigned int i = 0; i < n; ++i) {
      const Window top = children[i];
      XWindowAttributes a;
      if (XGetWindowAttributes(display_, top, &a) == 0 || a.c_class == InputOnly) continue;
      if (selected_.insert(top).second) XSelectInput(display_, top, kTopLevelEvents);
      TopLevel t;
      t.viewable = a.map_state == IsViewable;
      t.frame = {a.x, a.y, a.width + 2 * a.border_width, a.height + 2 * a.border_width};
      t.client = {a.x + a.border_width, a.y + a.border_width, a.width, a.height};
      const Window client = FindClient(top);
      if (client != top) {
        XWindowAttributes ca;
        int cx = 0;
        int cy = 0;
        Window child = 0;
        if (XGetWindowAttributes(display_, client, &ca) == 0 ||
            XTranslateCoordinates(display_, client, root_, 0, 0, &cx, &cy, &child) == 0) {
          continue;
        }
        t.client = {cx, cy, ca.width, ca.height};
        if (selected_.insert(client).second) {
          XSelectInput(display_, client, PropertyChangeMask | StructureNotifyMask | FocusChangeMask);
        }
      }
      WindowProperties props = ReadProperties(client);
      t.sensitive = rules_.IsSensitive(props);
      if (t.sensitive) {
        sensitive.insert(client);
        sensitive.insert(top);
        if (t.viewable) state.shown.push_back({client, std::move(props)});
      }
      stack.push_back(t);
    }
  }
  if (state.screen_w > 0 && state.screen_h > 0) {
    state.region = ComputeVisibleRegion(stack, state.screen_w, state.screen_h);
    if (!swept_.empty() && !state.region.overflow) {
      std::vector<MaskRect> all = state.region.rects;
      all.insert(all.end(), swept_.begin(), swept_.end());
      state.region.rects = NormalizeMaskRects(all, state.screen_w, state.screen_h);
      if (state.region.rects.size() > kMaxMaskRects) {
        state.region.rects.clear();
        state.region.overflow = true;
      }
    }
  }
  swept_.clear();
  sensitive_tops_.clear();
  for (const Window w : sensitive) {
    if (w != 0) sensitive_tops_.insert(w);  // clients too: without a window manager they are the top-levels
  }
  state.focus_sensitive = FocusIsSensitive(sensitive);
  XFlush(display_);
  return state;
}

}  // namespace

Result<std::unique_ptr<X11Watcher>> X11Watcher::Open(const std::string& display, MaskRuleSet rules) {
  XSetErrorHandler(&IgnoreXError);
  Display* d = XOpenDisplay(display.c_str());
  if (d == nullptr) return MakeError(Errc::kUnavailable, "cannot open X display " + display);
  return std::unique_ptr<X11Watcher>(std::make_unique<XlibWatcher>(d, std::move(rules)));
}

}  // namespace safedesk::agent
