// The researcher's desktop page in headless Chromium (tests/browser/desktop_e2e.mjs)
// through the real safedesk-gateway to real desktops: the broker serves the page and
// answers /api/me for the researcher's cookie; the ticket waits in the tab's
// sessionStorage as the researcher page leaves it. Patterns are drawn in the desktops
// with Xlib and compared with the canvas pixel for pixel; typing lands in a real xterm.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "tests/integration/gateway/gateway_fixture.h"
#include "tests/integration/gateway/x_pattern.h"

namespace safedesk::testing {
namespace {

using namespace std::chrono_literals;

class GatewayBrowserTest : public GatewayTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(SourceDir() / "tests/browser/node_modules/playwright-core"))
        << "run scripts/setup.sh (npm ci in tests/browser)";
    GatewayTest::SetUp();
  }

  // The page in Chromium for `started`'s session, holding `ticket`; `extra` are the
  // driver's checks. Runs the driver to its end and returns its exit status.
  int RunPage(const ApiResponse& started, const std::string& ticket, const std::vector<std::string>& extra) {
    const auto cookie = rita_->Cookie("__Host-safedesk");
    EXPECT_TRUE(cookie.has_value());
    const std::string held = dir_.Write("held-" + std::to_string(++pages_) + ".json",
                                        "{\"ticket\":\"" + ticket + "\",\"gatewayUrl\":\"wss://localhost:" +
                                            std::to_string(port_) + "/\"}",
                                        0600);
    std::vector<std::string> args = {(SourceDir() / "tests/browser/desktop_e2e.mjs").string(),
                                     "--url", "https://localhost:" + std::to_string(harness().port()),
                                     "--cookie", cookie.value_or(""), "--session", started.String("sessionId"),
                                     "--held", held};
    args.insert(args.end(), extra.begin(), extra.end());
    TempDir out;
    ChildProcess driver("/usr/bin/node", args, out.path());
    const int status = driver.Wait(120s);
    last_output_ = driver.Stdout() + driver.Stderr();
    return status;
  }

  std::string Diagnostics() const { return "driver:\n" + last_output_ + "\ngateway log:\n" + ReadFileText(dir_.path() / "gateway.log"); }

  int pages_ = 0;
  std::string last_output_;
};

TEST_F(GatewayBrowserTest, DesktopPatternAppearsOnTheCanvasPixelForPixel) {
  const ApiResponse started = Started();
  PatternWindow pattern(DisplayOf(started.String("sessionId")), 200, 150, 240, 160,
                        {0x1f8f3a, 0xd23c1e, 0x2a4fd0, 0xf0d020});
  ASSERT_TRUE(pattern.ok());
  EXPECT_EQ(RunPage(started, started.String("ticket"), {"--pattern", "200,150,240,160,1f8f3a,d23c1e,2a4fd0,f0d020"}), 0)
      << Diagnostics();
}

TEST_F(GatewayBrowserTest, TextTypedInTheBrowserArrivesInAnXtermInTheDesktop) {
  const ApiResponse started = Started();
  const auto out = dir_.path() / "typed.txt";
  ChildProcess xterm("/usr/bin/xterm",
                     {"-display", DisplayOf(started.String("sessionId")), "-geometry", "60x8+300+300", "-e", "sh", "-c",
                      "read line; printf %s \"$line\" > " + out.string()},
                     dir_.path());
  std::this_thread::sleep_for(1s);  // the xterm maps its window
  // No window manager: keyboard focus follows the pointer, so the page points at the xterm.
  EXPECT_EQ(RunPage(started, started.String("ticket"), {"--pointer", "400,330", "--type", "hello\n", "--hold-ms", "1500"}),
            0)
      << Diagnostics();
  EXPECT_EQ(ReadFileText(out), "hello") << Diagnostics();
}

TEST_F(GatewayBrowserTest, SecondUseOfATicketIsRefused) {
  const ApiResponse started = Started();
  ASSERT_EQ(RunPage(started, started.String("ticket"), {}), 0) << Diagnostics();
  EXPECT_EQ(RunPage(started, started.String("ticket"), {"--expect", "refused"}), 0) << Diagnostics();
}

TEST_F(GatewayBrowserTest, ForgedTicketIsRefused) {
  const ApiResponse started = Started();
  std::string ticket = started.String("ticket");
  ticket[ticket.size() - 3] = ticket[ticket.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_EQ(RunPage(started, ticket, {"--expect", "refused"}), 0) << Diagnostics();
  EXPECT_EQ(harness().AuditOfType("ticket.rejected").size(), 1u);
}

TEST_F(GatewayBrowserTest, TicketForOneSessionShowsOnlyThatSessionsDesktop) {
  const ApiResponse a = Started();
  const ApiResponse b = Started();
  PatternWindow pattern_a(DisplayOf(a.String("sessionId")), 100, 100, 200, 200, {0x11aa11, 0x11aa11, 0x11aa11, 0x11aa11});
  PatternWindow pattern_b(DisplayOf(b.String("sessionId")), 100, 100, 200, 200, {0xaa1111, 0xaa1111, 0xaa1111, 0xaa1111});
  ASSERT_TRUE(pattern_a.ok() && pattern_b.ok());
  EXPECT_EQ(RunPage(b, b.String("ticket"),
                    {"--pattern", "100,100,200,200,aa1111,aa1111,aa1111,aa1111", "--absent", "104,104,92,92,11aa11"}),
            0)
      << Diagnostics();
}

}  // namespace
}  // namespace safedesk::testing
