// The gateway end to end without a browser: the real safedesk-gateway executable, the
// broker's real component API (mutual TLS) and request routes in process, real desktops
// (HostProcessProvider: Xvfb + freerdp-shadow-cli with NLA), and a WSS client speaking
// gateway/BROWSER_PROTOCOL.md that decodes every frame. Patterns are drawn in the
// desktops with Xlib; typing goes into a real xterm.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <thread>

#include "tests/integration/broker_api/component_api_fixture.h"
#include "tests/integration/gateway/desktop_view.h"
#include "tests/integration/gateway/x_pattern.h"
#include "tests/testing/child_process.h"
#include "common/crypto.h"
#include "common/random.h"
#include "tests/testing/test_support.h"

namespace safedesk::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

int FreePort() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

std::int64_t RssKiB(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return -1;
}

class GatewayRelayTest : public ComponentApiTest {
 protected:
  void SetUp() override {
    ComponentApiTest::SetUp();
    rita_ = std::make_unique<ApiClient>(User("rita", {"researcher"}));
    ada_ = std::make_unique<ApiClient>(User("ada", {"administrator"}));
    const TestPki& pki = harness().pki();
    const TestCertificate client = pki.Client("safedesk-gateway");
    dir_.Write("pki/ca.crt", pki.ca.certificate_pem, 0644);
    dir_.Write("pki/gateway.crt", pki.server.certificate_pem, 0644);
    dir_.Write("pki/gateway.key", pki.server.private_key_pem, 0600);
    dir_.Write("pki/client.crt", client.certificate_pem, 0644);
    dir_.Write("pki/client.key", client.private_key_pem, 0600);
    SeededRandom random(7);
    auto seal = Ed25519PrivateKey::Generate(random);
    ASSERT_TRUE(seal.ok());
    dir_.Write("keys/seal.pem", std::string(seal->ToPem().reveal()), 0600);
    dir_.Write("keys/seal.pub", std::string(seal->public_key().ToPem()), 0644);
    port_ = FreePort();
    metrics_port_ = FreePort();
    agent_port_ = FreePort();
    config_ = dir_.Write("gateway.toml",
                         "[log]\nfile = \"gateway.log\"\n"
                         "[gateway]\nlisten = \"127.0.0.1:" + std::to_string(port_) + "\"\n"
                         "metrics_listen = \"127.0.0.1:" + std::to_string(metrics_port_) + "\"\n"
                         "agent_feed_listen = \"127.0.0.1:" + std::to_string(agent_port_) + "\"\n"
                         "tls_cert = \"pki/gateway.crt\"\ntls_key = \"pki/gateway.key\"\n"
                         "client_cert = \"pki/client.crt\"\nclient_key = \"pki/client.key\"\nca_cert = \"pki/ca.crt\"\n"
                         "broker_url = \"https://localhost:" + std::to_string(component_port()) + "\"\n"
                         "[recording]\ndirectory = \"recordings\"\nseal_key_file = \"keys/seal.pem\"\n",
                         0644);
    gateway_ = std::make_unique<ChildProcess>(ExecutablePath("safedesk-gateway"), std::vector<std::string>{"--config", config_},
                                              dir_.path());
    ASSERT_TRUE(WaitForText(dir_.path() / "gateway.log", "listening on")) << gateway_->Stderr();
  }

  void TearDown() override {
    if (gateway_) {
      gateway_->Signal(SIGTERM);
      gateway_->Wait(20s);
    }
    ComponentApiTest::TearDown();
  }

  // rita asks, ada approves, rita starts: {sessionId, ticket}; the desktop is up.
  ApiResponse Started() {
    const std::string id = AskId(*rita_);
    EXPECT_EQ(StepUpAndDecide(*ada_, "ada", id).String("state"), "approved");
    ApiResponse started = Start(*rita_, id);
    EXPECT_EQ(started.status, 200) << started.body;
    return started;
  }

  std::string DisplayOf(const std::string& session_id) {
    for (const auto& desktop : provider().List()) {
      if (desktop.session_id == session_id) return desktop.display;
    }
    return {};
  }

  std::unique_ptr<DesktopView> View() { return std::make_unique<DesktopView>(static_cast<std::uint16_t>(port_), harness().pki().ca.certificate_pem); }

  std::string GatewayLog() { return ReadFileText(dir_.path() / "gateway.log"); }

  TempDir dir_;
  std::string config_;
  int port_ = 0;
  int metrics_port_ = 0;
  int agent_port_ = 0;
  std::unique_ptr<ChildProcess> gateway_;
  std::unique_ptr<ApiClient> rita_, ada_;
};

TEST_F(GatewayRelayTest, DesktopPatternAppearsOnTheViewPixelForPixel) {
  const ApiResponse started = Started();
  const std::string display = DisplayOf(started.String("sessionId"));
  ASSERT_FALSE(display.empty());
  PatternWindow pattern(display, 200, 150, 240, 160, {0x1f8f3a, 0xd23c1e, 0x2a4fd0, 0xf0d020});
  ASSERT_TRUE(pattern.ok());
  auto view = View();
  ASSERT_TRUE(view->Connect());
  view->Hello(started.String("ticket"));
  auto ready = view->WaitFor("ready", 20s);
  ASSERT_TRUE(ready) << GatewayLog();
  ASSERT_EQ(std::string((*ready)["type"].as_string()), "ready") << json::serialize(*ready) << GatewayLog();
  EXPECT_TRUE(view->PumpUntil([&](const DesktopView& v) { return pattern.ShownOn(v); }, 15s)) << GatewayLog();
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
  const auto file = dir_.path() / "recordings" / (session_id + ".sdrec");
  // The recording is sealed once the session's observer is gone; give the seal a moment.
  TempDir out;
  int status = -1;
  std::string printed;
  for (int attempt = 0; attempt < 50 && status != 0; ++attempt) {
    ChildProcess ctl(ExecutablePath("safedeskctl"),
                     {"recording", "verify", "--public-key", (dir_.path() / "keys/seal.pub").string(), file.string()},
                     out.path());
    status = ctl.Wait();
    printed = ctl.Stdout() + ctl.Stderr();
    if (status != 0) std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(status, 0) << printed << GatewayLog();
  EXPECT_NE(printed.find("OK (sealed)"), std::string::npos) << printed;
}

TEST_F(GatewayRelayTest, TextTypedInTheViewArrivesInAnXtermInTheDesktop) {
  const ApiResponse started = Started();
  const std::string display = DisplayOf(started.String("sessionId"));
  ASSERT_FALSE(display.empty());
  const auto out = dir_.path() / "typed.txt";
  ChildProcess xterm("/usr/bin/xterm",
                     {"-display", display, "-geometry", "60x8+300+300", "-e", "sh", "-c",
                      "read line; printf %s \"$line\" > " + out.string()},
                     dir_.path());
  auto view = View();
  ASSERT_TRUE(view->Connect());
  view->Hello(started.String("ticket"));
  ASSERT_TRUE(view->WaitFor("ready", 20s)) << GatewayLog();
  // The xterm is up once its area is no longer the empty desktop.
  ASSERT_TRUE(view->PumpUntil([](const DesktopView& v) { return v.Share(310, 310, 40, 20, 0x000000) < 0.99 || v.Share(310, 310, 40, 20, 0xffffff) > 0.5; }, 15s));
  std::this_thread::sleep_for(500ms);
  view->Pointer(400, 330);  // no window manager: keyboard focus follows the pointer
  for (std::uint16_t code : {0x23, 0x12, 0x26, 0x26, 0x18, 0x1c}) {  // h e l l o Enter
    view->Key(code, true);
    view->Key(code, false);
  }
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline && ReadFileText(out) != "hello") {
    view->ReadOne(200ms);
  }
  EXPECT_EQ(ReadFileText(out), "hello") << GatewayLog();
}

TEST_F(GatewayRelayTest, SecondUseOfATicketIsRefused) {
  const ApiResponse started = Started();
  auto first = View();
  ASSERT_TRUE(first->Connect());
  first->Hello(started.String("ticket"));
  ASSERT_TRUE(first->WaitFor("ready", 20s)) << GatewayLog();
  auto second = View();
  ASSERT_TRUE(second->Connect());
  second->Hello(started.String("ticket"));
  auto answer = second->WaitFor("error", 10s);
  ASSERT_TRUE(answer) << GatewayLog();
  EXPECT_EQ(std::string((*answer)["type"].as_string()), "error");
}

TEST_F(GatewayRelayTest, ForgedTicketIsRefused) {
  const ApiResponse started = Started();
  std::string ticket = started.String("ticket");
  ticket[ticket.size() - 3] = ticket[ticket.size() - 3] == 'A' ? 'B' : 'A';
  auto view = View();
  ASSERT_TRUE(view->Connect());
  view->Hello(ticket);
  auto answer = view->WaitFor("error", 10s);
  ASSERT_TRUE(answer) << GatewayLog();
  EXPECT_EQ(std::string((*answer)["type"].as_string()), "error");
  EXPECT_EQ(harness().AuditOfType("ticket.rejected").size(), 1u);
}

TEST_F(GatewayRelayTest, TicketForOneSessionShowsOnlyThatSessionsDesktop) {
  const ApiResponse a = Started();
  const ApiResponse b = Started();
  PatternWindow pattern_a(DisplayOf(a.String("sessionId")), 100, 100, 200, 200, {0x11aa11, 0x11aa11, 0x11aa11, 0x11aa11});
  PatternWindow pattern_b(DisplayOf(b.String("sessionId")), 100, 100, 200, 200, {0xaa1111, 0xaa1111, 0xaa1111, 0xaa1111});
  ASSERT_TRUE(pattern_a.ok() && pattern_b.ok());
  // B's ticket (the harness clock moved past A's while B was approved).
  auto view = View();
  ASSERT_TRUE(view->Connect());
  view->Hello(b.String("ticket"));
  auto ready = view->WaitFor("ready", 20s);
  ASSERT_TRUE(ready) << GatewayLog();
  ASSERT_EQ(std::string((*ready)["type"].as_string()), "ready") << json::serialize(*ready);
  ASSERT_TRUE(view->PumpUntil([&](const DesktopView& v) { return pattern_b.ShownOn(v); }, 15s));
  EXPECT_FALSE(pattern_a.ShownOn(*view));
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

}  // namespace
}  // namespace safedesk::testing
