// The real safedesk-agent on a real Xvfb: windows are created, moved, resized, raised,
// lowered and unmapped with Xlib from the test (and xterm as a real client); after each
// step the mask stream, read by a mutual-TLS listener standing in for the gateway, must
// carry exactly the rectangles the X server reports.
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/mask_stream.h"
#include "tests/testing/child_process.h"
#include "tests/testing/test_support.h"
#include "tests/testing/test_xvfb.h"
#include "tests/integration/agent/mtls_test_listener.h"
#include "tests/testing/tls_test_certs.h"

// Xlib last: its macros (None, Bool, Status) clash with GoogleTest.
#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>

namespace safedesk {
namespace {

using std::chrono::milliseconds;
using testing::ChildProcess;
using testing::TempDir;

constexpr char kDesktop[] = "desk-1";
constexpr std::chrono::seconds kStepTimeout{10};

int IgnoreXError(Display*, XErrorEvent*) { return 0; }

// The gateway's side of the mask stream: accepts one agent at a time, requires a client
// certificate from the test CA, and keeps every decoded message.
class FeedListener {
 public:
  explicit FeedListener(const testing::TestPki& pki)
      : listener_(pki, std::chrono::milliseconds(100), [this](SSL* ssl) { ReadLines(ssl); }) {}

  std::uint16_t port() const { return listener_.port(); }

  // Waits (bounded) for a message received after `after` messages that satisfies `pred`.
  std::optional<MaskMessage> WaitFor(const std::function<bool(const MaskMessage&)>& pred,
                                     std::size_t after = 0) {
    std::unique_lock lock(mu_);
    std::optional<MaskMessage> found;
    cv_.wait_for(lock, kStepTimeout, [&] {
      for (std::size_t i = after; i < messages_.size(); ++i) {
        if (pred(messages_[i])) {
          found = messages_[i];
          return true;
        }
      }
      return false;
    });
    return found;
  }
  std::size_t count() {
    std::lock_guard lock(mu_);
    return messages_.size();
  }
  std::vector<MaskMessage> messages() {
    std::lock_guard lock(mu_);
    return messages_;
  }
  std::vector<std::string> errors() {
    std::lock_guard lock(mu_);
    return errors_;
  }
  std::string peer_cn() {
    std::lock_guard lock(mu_);
    return peer_cn_;
  }

 private:
  void ReadLines(SSL* ssl) {
    {
      const std::string cn = testing::MtlsTestListener::PeerCommonName(ssl);
      std::lock_guard lock(mu_);
      peer_cn_ = cn;
    }
    std::string buffer;
    std::uint64_t last_seq = 0;
    while (!listener_.stopping()) {
      char chunk[4096];
      std::size_t n = 0;
      if (SSL_read_ex(ssl, chunk, sizeof chunk, &n) != 1) {
        const int code = SSL_get_error(ssl, 0);
        ERR_clear_error();
        if (code == SSL_ERROR_WANT_READ || (code == SSL_ERROR_SYSCALL && errno == EAGAIN)) continue;
        return;
      }
      buffer.append(chunk, n);
      for (auto nl = buffer.find('\n'); nl != std::string::npos; nl = buffer.find('\n')) {
        auto parsed = ParseMaskMessage(std::string_view(buffer).substr(0, nl + 1));
        buffer.erase(0, nl + 1);
        std::lock_guard lock(mu_);
        if (!parsed) {
          errors_.push_back(parsed.error().message);
        } else {
          if (parsed->seq != last_seq + 1) errors_.push_back("seq not consecutive");
          last_seq = parsed->seq;
          messages_.push_back(*parsed);
        }
        cv_.notify_all();
      }
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<MaskMessage> messages_;
  std::vector<std::string> errors_;
  std::string peer_cn_;
  testing::MtlsTestListener listener_;  // last: its thread stops before the state above goes
};

class AgentX11Test : public ::testing::Test {
 protected:
  void SetUp() override {
    XSetErrorHandler(&IgnoreXError);
    StartXvfb();
    ASSERT_NE(display_, nullptr) << "Xvfb did not start";
    pki_ = testing::MakeTestPki();
    feed_ = std::make_unique<FeedListener>(pki_);
    StartAgent();
  }

  void TearDown() override {
    if (agent_) {
      agent_->Signal(SIGTERM);
      EXPECT_EQ(agent_->Wait(std::chrono::seconds(10)), 0) << agent_->Stderr();
    }
    agent_.reset();
    xterm_.reset();
    if (display_ != nullptr) XCloseDisplay(display_);
    feed_.reset();
    if (xvfb_) {
      // SIGTERM lets Xvfb remove its lock file and socket; SIGKILL would leave them.
      xvfb_->Signal(SIGTERM);
      xvfb_->Wait(std::chrono::seconds(10));
    }
    xvfb_.reset();
  }

  void StartXvfb() {
    testing::TestXvfb started = testing::StartTestXvfb(dir_.path());
    xvfb_ = std::move(started.process);
    display_name_ = started.display;
    if (xvfb_) display_ = XOpenDisplay(display_name_.c_str());
  }

  void StartAgent() {
    const auto client = pki_.Client(std::string("agent-") + kDesktop);
    const std::string ca = dir_.Write("ca.pem", pki_.ca.certificate_pem, 0644);
    const std::string cert = dir_.Write("agent.pem", client.certificate_pem, 0644);
    const std::string key = dir_.Write("agent.key", client.private_key_pem, 0600);
    const std::string config = dir_.Write(
        "agent.toml",
        "[agent]\n"
        "desktop_id = \"" + std::string(kDesktop) + "\"\n"
        "display = \"" + display_name_ + "\"\n"
        "gateway_feed = \"127.0.0.1:" + std::to_string(feed_->port()) + "\"\n"
        "cert = \"" + cert + "\"\nkey = \"" + key + "\"\nca_cert = \"" + ca + "\"\n"
        "[[agent.mask_rules]]\ntitle = \"^secret-\"\n",
        0644);
    agent_ = std::make_unique<ChildProcess>(testing::ExecutablePath("safedesk-agent"),
                                            std::vector<std::string>{"--config", config},
                                            dir_.path());
  }

  // The area of `w` inside its border, in root coordinates, as the X server reports it.
  MaskRect Geometry(Window w) {
    XWindowAttributes a;
    XGetWindowAttributes(display_, w, &a);
    int x = 0;
    int y = 0;
    Window child = 0;
    XTranslateCoordinates(display_, w, DefaultRootWindow(display_), 0, 0, &x, &y, &child);
    return {x, y, a.width, a.height};
  }

  Window MakeWindow(MaskRect r, bool sensitive) {
    const Window w = XCreateSimpleWindow(display_, DefaultRootWindow(display_), r.x, r.y,
                                         static_cast<unsigned>(r.w), static_cast<unsigned>(r.h), 0,
                                         0, 0);
    if (sensitive) {
      const Atom atom = XInternAtom(display_, "_SAFEDESK_SENSITIVE", False);
      const unsigned char one = 1;
      XChangeProperty(display_, w, atom, XA_CARDINAL, 8, PropModeReplace, &one, 1);
    }
    XMapWindow(display_, w);
    XSync(display_, False);
    return w;
  }

  // Waits until an xterm titled `title` is mapped; returns its window.
  Window WaitForXterm(const std::string& title) {
    for (int i = 0; i < 200; ++i) {
      Window root_ret = 0;
      Window parent = 0;
      Window* children = nullptr;
      unsigned int n = 0;
      XQueryTree(display_, DefaultRootWindow(display_), &root_ret, &parent, &children, &n);
      Window found = 0;
      for (unsigned int k = 0; k < n; ++k) {
        char* name = nullptr;
        XWindowAttributes a;
        if (XFetchName(display_, children[k], &name) != 0 && name != nullptr) {
          if (title == name && XGetWindowAttributes(display_, children[k], &a) != 0 &&
              a.map_state == IsViewable) {
            found = children[k];
          }
          XFree(name);
        }
      }
      if (children != nullptr) XFree(children);
      if (found != 0) return found;
      std::this_thread::sleep_for(milliseconds(50));
    }
    return 0;
  }

  // The window titled `title` anywhere in the tree (a WM reparents clients), breadth-first.
  Window FindByTitle(const std::string& title) {
    std::vector<Window> queue{DefaultRootWindow(display_)};
    for (std::size_t i = 0; i < queue.size() && i < 2000; ++i) {
      char* name = nullptr;
      if (XFetchName(display_, queue[i], &name) != 0 && name != nullptr) {
        const bool match = title == name;
        XFree(name);
        if (match) return queue[i];
      }
      Window root_ret = 0;
      Window parent = 0;
      Window* children = nullptr;
      unsigned int n = 0;
      if (XQueryTree(display_, queue[i], &root_ret, &parent, &children, &n) == 0) continue;
      for (unsigned int k = 0; k < n; ++k) queue.push_back(children[k]);
      if (children != nullptr) XFree(children);
    }
    return 0;
  }

  // The next message (after those already seen) whose rects equal `expected`.
  std::optional<MaskMessage> WaitForRects(const std::vector<MaskRect>& expected) {
    return feed_->WaitFor([&](const MaskMessage& m) { return !m.overflow && m.rects == expected; },
                          seen_);
  }
  void MarkSeen() { seen_ = feed_->count(); }

  TempDir dir_;
  std::string display_name_;
  Display* display_ = nullptr;
  testing::TestPki pki_;
  std::unique_ptr<ChildProcess> xvfb_;
  std::unique_ptr<FeedListener> feed_;
  std::unique_ptr<ChildProcess> agent_;
  std::unique_ptr<ChildProcess> xterm_;
  std::size_t seen_ = 0;
};

TEST_F(AgentX11Test, EmptyDesktopStreamsNoRectsWithTheScreenSize) {
  auto m = feed_->WaitFor([](const MaskMessage&) { return true; });
  ASSERT_TRUE(m.has_value()) << agent_->Stderr();
  EXPECT_EQ(m->desktop, kDesktop);
  EXPECT_EQ(m->seq, 1u);
  EXPECT_EQ(m->screen_w, 1024);
  EXPECT_EQ(m->screen_h, 768);
  EXPECT_TRUE(m->rects.empty());
  EXPECT_FALSE(m->focus_sensitive);
  EXPECT_EQ(feed_->peer_cn(), std::string("agent-") + kDesktop);
}

TEST_F(AgentX11Test, XtermWithMatchingTitleFollowsMoveResizeAndUnmap) {
  xterm_ = std::make_unique<ChildProcess>(
      "/usr/bin/xterm", std::vector<std::string>{"-display", display_name_, "-T", "secret-notes",
                                                 "-geometry", "40x10+50+60"},
      dir_.path());
  const Window w = WaitForXterm("secret-notes");
  ASSERT_NE(w, 0u) << xterm_->Stderr();
  ASSERT_TRUE(WaitForRects({Geometry(w)}).has_value()) << agent_->Stderr();

  MarkSeen();
  XMoveWindow(display_, w, 300, 200);
  XSync(display_, False);
  const MaskRect moved = Geometry(w);
  EXPECT_EQ(moved.x, 301);  // the xterm's 1-pixel border
  EXPECT_TRUE(WaitForRects({moved}).has_value());

  MarkSeen();
  XResizeWindow(display_, w, 500, 120);
  XSync(display_, False);
  EXPECT_TRUE(WaitForRects({Geometry(w)}).has_value());

  MarkSeen();
  XUnmapWindow(display_, w);
  XSync(display_, False);
  EXPECT_TRUE(WaitForRects({}).has_value());
  EXPECT_TRUE(feed_->errors().empty());
}

TEST_F(AgentX11Test, MarkedWindowClipsToTheScreen) {
  const Window w = MakeWindow({900, 700, 300, 200}, true);
  const MaskRect g = Geometry(w);
  ASSERT_EQ(g.x, 900);
  EXPECT_TRUE(WaitForRects({{900, 700, 124, 68}}).has_value()) << agent_->Stderr();
}

TEST_F(AgentX11Test, NonSensitiveWindowAboveIsSubtractedUntilLowered) {
  const Window sensitive = MakeWindow({100, 100, 400, 300}, true);
  ASSERT_TRUE(WaitForRects({{100, 100, 400, 300}}).has_value()) << agent_->Stderr();

  MarkSeen();
  const Window cover = MakeWindow({300, 50, 400, 500}, false);  // covers the right half
  EXPECT_TRUE(WaitForRects({{100, 100, 200, 300}}).has_value());

  MarkSeen();
  XRaiseWindow(display_, sensitive);
  XSync(display_, False);
  EXPECT_TRUE(WaitForRects({{100, 100, 400, 300}}).has_value());

  MarkSeen();
  XLowerWindow(display_, sensitive);
  XSync(display_, False);
  EXPECT_TRUE(WaitForRects({{100, 100, 200, 300}}).has_value());

  MarkSeen();
  XUnmapWindow(display_, cover);
  XSync(display_, False);
  EXPECT_TRUE(WaitForRects({{100, 100, 400, 300}}).has_value());
}

TEST_F(AgentX11Test, TitleChangeMakesAWindowSensitiveAtOnce) {
  const Window w = MakeWindow({10, 10, 50, 40}, false);
  XStoreName(display_, w, "notes");
  XSync(display_, False);
  ASSERT_TRUE(feed_->WaitFor([](const MaskMessage& m) { return m.seq >= 2; }).has_value());
  MarkSeen();
  XStoreName(display_, w, "secret-plan");
  XSync(display_, False);
  EXPECT_TRUE(WaitForRects({{10, 10, 50, 40}}).has_value());
}

TEST_F(AgentX11Test, FocusSensitiveFollowsTheInputFocus) {
  const Window sensitive = MakeWindow({10, 10, 100, 100}, true);
  const Window plain = MakeWindow({200, 10, 100, 100}, false);
  ASSERT_TRUE(WaitForRects({{10, 10, 100, 100}}).has_value()) << agent_->Stderr();

  MarkSeen();
  XSetInputFocus(display_, sensitive, RevertToPointerRoot, CurrentTime);
  XSync(display_, False);
  EXPECT_TRUE(feed_->WaitFor([](const MaskMessage& m) { return m.focus_sensitive; }, seen_));

  MarkSeen();
  XSetInputFocus(display_, plain, RevertToPointerRoot, CurrentTime);
  XSync(display_, False);
  EXPECT_TRUE(feed_->WaitFor([](const MaskMessage& m) { return !m.focus_sensitive; }, seen_));
}

// The gap between heartbeats is a speed figure (tests/bench, sanitizers and a loaded
// machine stretch it); what this test holds is that they keep coming, numbered without a
// hole and in time order, so the gateway can tell a silent agent from a quiet screen.
TEST_F(AgentX11Test, HeartbeatsKeepComingNumberedWithoutGaps) {
  ASSERT_TRUE(feed_->WaitFor([](const MaskMessage& m) { return m.seq >= 12; }).has_value())
      << agent_->Stderr();
  const auto messages = feed_->messages();
  std::int64_t max_gap = 0;
  for (std::size_t i = 1; i < messages.size(); ++i) {
    max_gap = std::max(max_gap, messages[i].ts_ms - messages[i - 1].ts_ms);
    EXPECT_GE(messages[i].ts_ms, messages[i - 1].ts_ms) << "after seq " << messages[i - 1].seq;
    EXPECT_EQ(messages[i].seq, messages[i - 1].seq + 1);
  }
  RecordProperty("max_heartbeat_gap_ms", static_cast<int>(max_gap));
}

TEST_F(AgentX11Test, ReparentedClientUnderOpenboxIsMaskedAtItsClientArea) {
  ChildProcess openbox("/usr/bin/openbox", {"--sm-disable"}, dir_.path(),
                       {"DISPLAY=" + display_name_, "HOME=" + dir_.path().string()});
  // Start the client only once openbox manages the screen, so it is framed at map time.
  const Atom check = XInternAtom(display_, "_NET_SUPPORTING_WM_CHECK", False);
  bool managed = false;
  for (int i = 0; i < 200 && !managed; ++i) {
    std::this_thread::sleep_for(milliseconds(50));
    Atom type = None;
    int format = 0;
    unsigned long items = 0;
    unsigned long after = 0;
    unsigned char* data = nullptr;
    XGetWindowProperty(display_, DefaultRootWindow(display_), check, 0, 1, False, AnyPropertyType,
                       &type, &format, &items, &after, &data);
    if (data != nullptr) XFree(data);
    managed = type != None;
  }
  ASSERT_TRUE(managed) << "openbox did not start";
  xterm_ = std::make_unique<ChildProcess>(
      "/usr/bin/xterm", std::vector<std::string>{"-display", display_name_, "-T", "secret-wm",
                                                 "-geometry", "40x10+120+90"},
      dir_.path());
  // Wait (bounded) until openbox has framed the client: its parent is no longer the root.
  Window client = 0;
  for (int i = 0; i < 200 && client == 0; ++i) {
    std::this_thread::sleep_for(milliseconds(50));
    const Window w = FindByTitle("secret-wm");
    Window root_ret = 0;
    Window parent = 0;
    Window* children = nullptr;
    unsigned int n = 0;
    if (w != 0 && XQueryTree(display_, w, &root_ret, &parent, &children, &n) != 0) {
      if (children != nullptr) XFree(children);
      XWindowAttributes a;
      if (parent != root_ret && XGetWindowAttributes(display_, w, &a) != 0 &&
          a.map_state == IsViewable) {
        client = w;
      }
    }
  }
  ASSERT_NE(client, 0u) << "found " << FindByTitle("secret-wm") << "; openbox: " << openbox.Stderr()
                        << "; xterm: " << xterm_->Stderr();
  // Geometry settles after openbox places the frame; match the latest X geometry.
  std::optional<MaskMessage> m;
  for (int i = 0; i < 20 && !m; ++i) {
    MarkSeen();
    m = feed_->WaitFor([&](const MaskMessage& x) { return x.rects == std::vector<MaskRect>{Geometry(client)}; },
                       seen_);
  }
  ASSERT_TRUE(m.has_value()) << agent_->Stderr();
  EXPECT_TRUE(feed_->errors().empty());
  openbox.Signal(SIGTERM);
  openbox.Wait(std::chrono::seconds(10));
}

}  // namespace
}  // namespace safedesk
