// The gateway end to end without a browser, where a scripted client must hold the wire:
// the real safedesk-gateway executable (gateway_fixture.h), real desktops, and a WSS
// client speaking gateway/BROWSER_PROTOCOL.md that decodes every frame. It checks what a
// browser cannot show: the sealed recording, memory while the client stops reading, and
// the channels the desktop's RDP server saw. What a researcher sees and types is tested
// in Chromium (gateway_browser_test.cc).
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <sstream>
#include <thread>

#include <algorithm>

#include "tests/integration/gateway/gateway_fixture.h"
#include "tests/integration/gateway/x_pattern.h"

namespace safedesk::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// The channel names an RDP server's log lists after "Accepted channels:" (FreeRDP's
// server at WLOG_LEVEL=INFO writes one "[...] -  name" line per channel a client asked
// for), over every connection in the log.
std::vector<std::string> AcceptedChannels(const std::string& log) {
  std::vector<std::string> names;
  std::istringstream lines(log);
  std::string line;
  bool in_list = false;
  const std::string item = "[com.freerdp.core.connection] -  ";
  while (std::getline(lines, line)) {
    if (line.find("Accepted channels:") != std::string::npos) {
      in_list = true;
      continue;
    }
    const auto at = line.find(item);
    if (in_list && at != std::string::npos) {
      names.push_back(line.substr(at + item.size()));
    } else {
      in_list = false;
    }
  }
  return names;
}

bool LogHasConnection(const std::string& log) { return log.find("Accepted channels:") != std::string::npos; }

using GatewayRelayTest = GatewayTest;

// Cross-site WebSocket hijacking: another site's page open in the researcher's browser
// (or a script without a browser) cannot even get a WebSocket; the broker's page can.
TEST_F(GatewayRelayTest, UpgradeFromAnyOriginButTheBrokersPageIsRefused) {
  std::string failure;
  EXPECT_FALSE(View("https://evil.example")->Connect(&failure));
  EXPECT_FALSE(View("https://localhost:1")->Connect(&failure)) << "same host, other port: another origin";
  EXPECT_FALSE(View("")->Connect(&failure)) << "no Origin at all";
  EXPECT_TRUE(WaitForText(dir_.path() / "gateway.log", "is not the broker's page")) << GatewayLog();
  EXPECT_TRUE(View()->Connect(&failure)) << failure;
}

TEST_F(GatewayRelayTest, SessionIsRecordedSealedAndVerifies) {
  const ApiResponse started = Started();
  const std::string session_id = started.String("sessionId");
  PatternWindow pattern(DisplayOf(session_id), 200, 150, 240, 160, {0x1f8f3a, 0xd23c1e, 0x2a4fd0, 0xf0d020});
  auto view = View();
  ASSERT_TRUE(view->Connect());
  view->Hello(started.String("ticket"));
  ASSERT_TRUE(view->WaitFor("ready", 20s)) << GatewayLog();
  ASSERT_TRUE(view->PumpUntil([&](const DesktopView& v) { return pattern.ShownOn(v); }, 15s)) << GatewayLog();
  view->Close();
  ASSERT_TRUE(WaitForText(dir_.path() / "gateway.log", "session ended")) << GatewayLog();
  std::string printed;
  const int status = VerifyRecording(session_id, printed);
  EXPECT_EQ(status, 0) << printed << GatewayLog();
  EXPECT_NE(printed.find("OK (sealed)"), std::string::npos) << printed;
}

TEST_F(GatewayRelayTest, BrowserThatStopsReadingKeepsGatewayMemoryBoundedAndCatchesUp) {
  const ApiResponse started = Started();
  const std::string display = DisplayOf(started.String("sessionId"));
  ChildProcess ico("/usr/bin/ico", {"-display", display, "-geometry", "600x500+0+0", "-r"}, dir_.path());
  auto view = View();
  ASSERT_TRUE(view->Connect());
  view->Hello(started.String("ticket"));
  ASSERT_TRUE(view->WaitFor("ready", 20s)) << GatewayLog();
  ASSERT_TRUE(view->PumpUntil([](const DesktopView& v) { return v.frames() > 20; }, 20s));
  const std::int64_t rss_before = RssKiB(gateway_->pid());
  // The browser reads nothing for 10 s while the desktop keeps changing.
  std::this_thread::sleep_for(10s);
  const std::int64_t rss_after = RssKiB(gateway_->pid());
  EXPECT_LT(rss_after - rss_before, 32 * 1024) << "KiB before " << rss_before << ", after " << rss_after;
  // It catches up: fresh frames keep arriving.
  const std::uint64_t seq = view->last_seq();
  EXPECT_TRUE(view->PumpUntil([&](const DesktopView& v) { return v.last_seq() > seq + 5; }, 10s)) << GatewayLog();
}

// Seen from the desktop's side: its RDP server logs the channels each client asks for.
// The gateway's link asks for none of the transfer channels, also while the page tries
// to paste and to drop a file (which the gateway only audits).
TEST_F(GatewayRelayTest, DesktopsRdpServerNeverSeesAClipboardOrDriveChannelEvenWhenThePagePastes) {
  const ApiResponse started = Started();
  const std::string session = started.String("sessionId");
  std::string desktop_id;
  for (const auto& desktop : provider().List()) {
    if (desktop.session_id == session) desktop_id = desktop.id;
  }
  ASSERT_FALSE(desktop_id.empty());
  const auto rdp_log = desktops_dir() / ("desktop-" + desktop_id) / "rdp.log";
  auto view = View();
  ASSERT_TRUE(view->Connect());
  view->Hello(started.String("ticket"));
  ASSERT_TRUE(view->WaitFor("ready", 20s)) << GatewayLog();
  view->SendText({{"type", "blocked"}, {"what", "paste"}, {"bytes", 15}});
  view->SendText({{"type", "blocked"}, {"what", "drop"}, {"bytes", 4096}});
  ASSERT_TRUE(view->PumpUntil([](const DesktopView& v) { return v.frames() > 0; }, 10s)) << GatewayLog();
  ASSERT_TRUE(WaitForText(rdp_log, "Accepted channels:", 10s)) << ReadFileText(rdp_log);
  const std::string log = ReadFileText(rdp_log);
  ASSERT_TRUE(LogHasConnection(log)) << log;
  for (const std::string& name : AcceptedChannels(log)) {
    ADD_FAILURE() << "the desktop's RDP server accepted channel '" << name << "' from the gateway";
  }
  // The page's attempts were reported and audited, and changed nothing on the wire.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline && harness().AuditOfType("channel.blocked").size() < 2) {
    view->ReadOne(200ms);
  }
  EXPECT_EQ(harness().AuditOfType("channel.blocked").size(), 2u) << GatewayLog();
  EXPECT_TRUE(AcceptedChannels(ReadFileText(rdp_log)).empty());
}

// The spy above can see: an ordinary RDP client (xfreerdp with clipboard and a shared
// drive) connecting to the same kind of server shows up with cliprdr and rdpdr.
TEST(RdpServerChannelLog, NamesTheChannelsAnOrdinaryClientAsksFor) {
  TempDir dir;
  auto free_display = [](int from) {
    int n = from;
    while (std::filesystem::exists("/tmp/.X11-unix/X" + std::to_string(n)) ||
           std::filesystem::exists("/tmp/.X" + std::to_string(n) + "-lock")) ++n;
    return n;
  };
  const int server_display = free_display(170 + static_cast<int>(::getpid() % 40));
  ChildProcess server_x("/usr/bin/Xvfb", {":" + std::to_string(server_display), "-screen", "0", "640x480x24", "-nolisten", "tcp"}, dir.path());
  const int client_display = free_display(server_display + 1);
  ChildProcess client_x("/usr/bin/Xvfb", {":" + std::to_string(client_display), "-screen", "0", "640x480x24", "-nolisten", "tcp"}, dir.path());
  for (int i = 0; i < 200 && !(std::filesystem::exists("/tmp/.X11-unix/X" + std::to_string(server_display)) &&
                                 std::filesystem::exists("/tmp/.X11-unix/X" + std::to_string(client_display)));
       ++i) {
    std::this_thread::sleep_for(25ms);
  }
  ChildProcess hash("/usr/bin/winpr-hash", {"-u", "spy", "-p", "spy-password", "-f", "sam"}, dir.path());
  ASSERT_EQ(hash.Wait(), 0);
  dir.Write("sam", hash.Stdout(), 0600);
  const int port = FreePort();
  ChildProcess server("/usr/bin/stdbuf",
                      {"-oL", "/usr/bin/freerdp-shadow-cli", "/bind-address:127.0.0.1", "/port:" + std::to_string(port), "/sec:nla", "/sam-file:" + (dir.path() / "sam").string()},
                      dir.path(),
                      {"DISPLAY=:" + std::to_string(server_display), "XDG_CONFIG_HOME=" + dir.path().string(), "WLOG_LEVEL=INFO"});
  bool listening = false;
  for (int i = 0; i < 200 && !listening; ++i) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket probe(io);
    boost::system::error_code ec;
    probe.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<std::uint16_t>(port)}, ec);
    listening = !ec;
    if (!listening) std::this_thread::sleep_for(25ms);
  }
  ASSERT_TRUE(listening) << server.Stderr();
  ChildProcess client("/usr/bin/xfreerdp",
                      {"/v:127.0.0.1:" + std::to_string(port), "/u:spy", "/p:spy-password", "/sec:nla", "/cert:ignore",
                       "+clipboard", "/drive:shared," + dir.path().string(), "/log-level:ERROR"},
                      dir.path(), {"DISPLAY=:" + std::to_string(client_display)});
  std::vector<std::string> seen;
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (std::chrono::steady_clock::now() < deadline &&
         !(std::find(seen.begin(), seen.end(), "cliprdr") != seen.end() &&
           std::find(seen.begin(), seen.end(), "rdpdr") != seen.end())) {
    std::this_thread::sleep_for(100ms);
    seen = AcceptedChannels(server.Stdout() + server.Stderr());
  }
  EXPECT_NE(std::find(seen.begin(), seen.end(), "cliprdr"), seen.end()) << server.Stdout() << server.Stderr();
  EXPECT_NE(std::find(seen.begin(), seen.end(), "rdpdr"), seen.end()) << server.Stdout() << server.Stderr();
}

}  // namespace
}  // namespace safedesk::testing
