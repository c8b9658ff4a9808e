#pragma once
// The gateway's test fixture: the broker's real component API (mutual TLS) and request
// routes in process (ComponentApiTest, with real HostProcessProvider desktops: Xvfb +
// freerdp-shadow-cli with NLA), the broker's pages served from web/, and the real
// safedesk-gateway executable with its own PKI, recording directory and seal key.
// Shared by gateway_relay_test.cc (a scripted WSS client) and gateway_browser_test.cc
// (headless Chromium on the desktop page).
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/asio.hpp>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "common/crypto.h"
#include "common/random.h"
#include "tests/integration/broker_api/component_api_fixture.h"
#include "tests/integration/gateway/desktop_view.h"
#include "tests/testing/child_process.h"
#include "tests/testing/test_support.h"

namespace safedesk::testing {

// The inherited ASAN_OPTIONS (the PAM tests set some) plus a small quarantine.
inline std::string AsanOptionsWithSmallQuarantine() {
  const char* inherited = std::getenv("ASAN_OPTIONS");
  std::string options = inherited != nullptr ? std::string(inherited) + ":" : std::string();
  return "ASAN_OPTIONS=" + options + "quarantine_size_mb=4:thread_local_quarantine_size_kb=64";
}

inline int FreePort() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

inline std::int64_t RssKiB(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return -1;
}

class GatewayTest : public ComponentApiTest {
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
                         "[recording]\ndirectory = \"recordings\"\nseal_key_file = \"keys/seal.pem\"\n"
                         "[broker]\npublic_url = \"" + PageOrigin() + "\"\n",
                         0644);
    gateway_ = std::make_unique<ChildProcess>(ExecutablePath("safedesk-gateway"), std::vector<std::string>{"--config", config_},
                                              dir_.path(),
                                              // Under AddressSanitizer freed memory waits in a
                                              // 256 MiB quarantine, which would swamp the memory
                                              // bound the flow-control test checks; a small
                                              // quarantine keeps use-after-free detection.
                                              std::vector<std::string>{AsanOptionsWithSmallQuarantine()});
    ASSERT_TRUE(WaitForText(dir_.path() / "gateway.log", "listening on")) << gateway_->Stderr();
  }

  void TearDown() override {
    if (gateway_) {
      gateway_->Signal(SIGTERM);
      gateway_->Wait(std::chrono::seconds(20));
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

  // Where the broker (this harness) serves the desktop page: the gateway's one allowed Origin.
  std::string PageOrigin() { return "https://localhost:" + std::to_string(harness().port()); }
  std::unique_ptr<DesktopView> View(std::string origin) {
    return std::make_unique<DesktopView>(static_cast<std::uint16_t>(port_), harness().pki().ca.certificate_pem,
                                         std::move(origin));
  }
  std::unique_ptr<DesktopView> View() { return View(PageOrigin()); }

  // `safedeskctl recording verify` on the session's recording, retried while the seal is
  // still being written (the recorder seals once the session's observer is gone).
  // Returns the exit status; `printed` gets what the command printed.
  int VerifyRecording(const std::string& session_id, std::string& printed) {
    const auto file = dir_.path() / "recordings" / (session_id + ".sdrec");
    TempDir out;
    int status = -1;
    for (int attempt = 0; attempt < 50 && status != 0; ++attempt) {
      ChildProcess ctl(ExecutablePath("safedeskctl"),
                       {"recording", "verify", "--public-key", (dir_.path() / "keys/seal.pub").string(), file.string()},
                       out.path());
      status = ctl.Wait();
      printed = ctl.Stdout() + ctl.Stderr();
      if (status != 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return status;
  }

  std::string GatewayLog() { return ReadFileText(dir_.path() / "gateway.log"); }

  TempDir dir_;
  std::string config_;
  int port_ = 0;
  int metrics_port_ = 0;
  int agent_port_ = 0;
  std::unique_ptr<ChildProcess> gateway_;
  std::unique_ptr<ApiClient> rita_, ada_;
};

}  // namespace safedesk::testing
